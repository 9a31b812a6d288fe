#pragma once
// Fire (EXPERIMENTAL, not evaluated on real footage; a rule must say `experimental: true`):
// flame-coloured pixels (bright, red > green > blue) that are moving foreground, in a zone,
// whose count flickers from frame to frame; persistence comes from the rule's minimum
// duration. Smoke is not detected.
#include "edge/analytics/detectors/detector.h"

namespace gridsight::analytics {
std::unique_ptr<Detector> make_fire_detector(const DetectorSetup& setup);
}  // namespace gridsight::analytics
