#pragma once
// OpenCV's built-in HOG people detector (objdetect; no weights file). People only.
#include "edge/analytics/objects/object_detector.h"

namespace gridsight::analytics {
std::unique_ptr<ObjectDetector> make_hog_detector(const ObjectSettings& settings,
                                                  std::shared_ptr<DnnModel> model);
}  // namespace gridsight::analytics
