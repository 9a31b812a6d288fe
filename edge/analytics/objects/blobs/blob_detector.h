#pragma once
// Foreground blobs classified by calibrated size and shape (no weights file): a blob standing
// upright within the person height range is a person, a wide blob above the vehicle area is
// a vehicle, anything else is "other". The tracker adds motion (a vehicle that walks at a
// person's pace stays what most of its frames said).
#include "edge/analytics/objects/object_detector.h"

namespace gridsight::analytics {
std::unique_ptr<ObjectDetector> make_blob_detector(const ObjectSettings& settings,
                                                   std::shared_ptr<DnnModel> model);
// The class of a blob of `box` (normalised) under the calibration of `settings`.
ObjectClass classify_blob(const cv::Rect2f& box, float frame_aspect, const ObjectSettings& s);
}  // namespace gridsight::analytics
