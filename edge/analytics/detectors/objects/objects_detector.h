#pragma once
// The object rules (loitering, crowd, parking, left_object, stall) on one shared pipeline per
// camera: object detection (objects/, on motion regions or a schedule), tracking, and static
// regions (docs/analytics.md "Objects").
#include "edge/analytics/detectors/detector.h"

namespace gridsight::analytics {
std::unique_ptr<Detector> make_objects_detector(const DetectorSetup& setup);
}  // namespace gridsight::analytics
