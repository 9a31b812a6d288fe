#pragma once
// Motion / zone intrusion: the share of a zone covered by foreground (masks applied).

#include <memory>

#include "edge/analytics/detectors/detector.h"

namespace gridsight::analytics {

std::unique_ptr<Detector> make_motion_detector(const DetectorSetup& setup);

}  // namespace gridsight::analytics
