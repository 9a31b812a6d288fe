#pragma once
// The explicit list of detector implementations (one folder each under detectors/).

#include <memory>
#include <vector>

#include "edge/analytics/detectors/detector.h"

namespace gridsight::analytics {

struct DetectorEntry {
  std::vector<DetectorKind> kinds;  // the rules it takes
  const char* name;
  bool needs_foreground;  // uses the shared background subtraction
  std::unique_ptr<Detector> (*make)(const DetectorSetup& setup);
};

const std::vector<DetectorEntry>& detector_registry();

}  // namespace gridsight::analytics
