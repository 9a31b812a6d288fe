#pragma once
// An OpenCV DNN model described by a manifest (models/*.yaml, docs/analytics.md "Models"):
// darknet, onnx, caffe or tensorflow; YOLO-style or SSD-style output decoding; labels mapped
// to person / vehicle / bicycle / other.
#include <opencv2/dnn.hpp>

#include "edge/analytics/objects/object_detector.h"

namespace gridsight::analytics {

class DnnModel {
 public:
  explicit DnnModel(const ModelManifest& manifest);  // throws std::runtime_error
  const ModelManifest& manifest() const { return manifest_; }
  // Runs the network on `image` (BGR or grey, any size); detections normalised to `image`.
  void detect(const cv::Mat& image, float min_confidence, std::vector<Detection>& out);

 private:
  ModelManifest manifest_;
  cv::dnn::Net net_;  // one per camera: a Net is not shared between threads
  std::vector<cv::String> outputs_;
  std::vector<cv::Mat> blobs_;
  cv::Mat input_, bgr_;
};

std::unique_ptr<ObjectDetector> make_dnn_detector(const ObjectSettings& settings,
                                                  std::shared_ptr<DnnModel> model);

// Output decoding (exposed for tests). YOLO: rows [cx, cy, w, h, objectness, scores...];
// SSD: a [1, 1, N, 7] blob of [image, class, score, x1, y1, x2, y2] (normalised).
void decode_yolo(const cv::Mat& rows, const ModelManifest& m, float min_confidence,
                 std::vector<Detection>& out);
void decode_ssd(const cv::Mat& blob, const ModelManifest& m, float min_confidence,
                std::vector<Detection>& out);

}  // namespace gridsight::analytics
