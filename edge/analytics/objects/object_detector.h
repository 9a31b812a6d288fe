#pragma once
// Object detection behind one interface (docs/analytics.md "Objects"). Backends, one folder
// each, listed in registry.cpp: `blobs` (foreground blobs classified by calibrated size and
// shape; no weights), `hog` (OpenCV's built-in HOG people detector; no weights) and `dnn`
// (an OpenCV DNN model described by a manifest in models/).
//
// Detection runs on the regions with motion (and on the whole frame on a schedule), never on
// every full frame: the caller passes the regions.

#include <memory>
#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

#include "edge/analytics/config/analytics_config.h"

namespace gridsight::analytics {

class Foreground;

struct Detection {
  cv::Rect2f box;  // normalised to the frame (0..1)
  ObjectClass cls = ObjectClass::kOther;
  float confidence = 0;
};

struct ObjectInput {
  const cv::Mat* frame = nullptr;          // the analytics frame at its input size (BGR or grey)
  const Foreground* foreground = nullptr;  // work-size background subtraction (may be null)
  std::vector<cv::Rect2f> regions;         // normalised; empty: the whole frame
};

class ObjectDetector {
 public:
  virtual ~ObjectDetector() = default;
  virtual const char* name() const = 0;
  // Whether the backend works on the foreground only (blobs): it runs every frame.
  virtual bool uses_foreground() const { return false; }
  // Appends the detections of `in` to `out` (not cleared).
  virtual void detect(const ObjectInput& in, std::vector<Detection>& out) = 0;
};

// A loaded DNN model, shared by the cameras using the same manifest (read-only after load).
class DnnModel;
// Loads the model of a manifest; throws std::runtime_error naming the manifest when the
// model file is missing or broken (a start-up error).
std::shared_ptr<DnnModel> load_dnn_model(const ModelManifest& manifest);

// The backend `settings.backend`; `model` for dnn (from load_dnn_model).
std::unique_ptr<ObjectDetector> make_object_detector(const ObjectSettings& settings,
                                                     std::shared_ptr<DnnModel> model);

// The names of the backends, in the registry's order.
std::vector<std::string> object_backends();

// Greedy non-maximum suppression per class (boxes normalised), in place.
void suppress_overlaps(std::vector<Detection>& dets, float iou_threshold);
float iou(const cv::Rect2f& a, const cv::Rect2f& b);

}  // namespace gridsight::analytics
