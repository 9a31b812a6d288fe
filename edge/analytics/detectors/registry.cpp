#include "edge/analytics/detectors/registry.h"

#include "edge/analytics/detectors/fire/fire_detector.h"
#include "edge/analytics/detectors/line_crossing/line_crossing_detector.h"
#include "edge/analytics/detectors/motion/motion_detector.h"
#include "edge/analytics/detectors/objects/objects_detector.h"
#include "edge/analytics/detectors/tamper/tamper_detector.h"

namespace gridsight::analytics {
namespace {

std::unique_ptr<Detector> make_tamper(const DetectorSetup& setup) {
  return std::make_unique<TamperDetector>(setup, setup.config->ptz);
}

}  // namespace

const std::vector<DetectorEntry>& detector_registry() {
  // Tamper first: a view off its preset pauses the others in the same frame.
  static const std::vector<DetectorEntry> kList = {
      {{DetectorKind::kTamper}, "tamper", false, &make_tamper},
      {{DetectorKind::kMotion}, "motion", true, &make_motion_detector},
      {{DetectorKind::kLineCrossing}, "line_crossing", true, &make_line_crossing_detector},
      // Detection, tracking and static regions shared by the object rules.
      {{DetectorKind::kLoitering, DetectorKind::kCrowd, DetectorKind::kParking,
        DetectorKind::kLeftObject, DetectorKind::kStall},
       "objects",
       true,
       &make_objects_detector},
      {{DetectorKind::kFire}, "fire", true, &make_fire_detector},  // experimental
  };
  return kList;
}

}  // namespace gridsight::analytics
