#pragma once
// Line crossing: foreground blobs tracked frame to frame (nearest neighbour); a track whose
// foot point (bottom centre) moves across a tripwire in a counted direction is a crossing.

#include <memory>

#include "edge/analytics/detectors/detector.h"

namespace gridsight::analytics {

std::unique_ptr<Detector> make_line_crossing_detector(const DetectorSetup& setup);

}  // namespace gridsight::analytics
