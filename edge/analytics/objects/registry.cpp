// The explicit list of object detection backends (one folder each under objects/).
#include <algorithm>
#include <stdexcept>

#include "edge/analytics/objects/blobs/blob_detector.h"
#include "edge/analytics/objects/dnn/dnn_detector.h"
#include "edge/analytics/objects/hog/hog_detector.h"
#include "edge/analytics/objects/object_detector.h"

namespace gridsight::analytics {
namespace {

struct BackendEntry {
  const char* name;
  std::unique_ptr<ObjectDetector> (*make)(const ObjectSettings&, std::shared_ptr<DnnModel>);
};

const BackendEntry kBackends[] = {
    {"blobs", &make_blob_detector},
    {"hog", &make_hog_detector},
    {"dnn", &make_dnn_detector},
};

}  // namespace

std::unique_ptr<ObjectDetector> make_object_detector(const ObjectSettings& settings,
                                                     std::shared_ptr<DnnModel> model) {
  for (const auto& b : kBackends) {
    if (settings.backend == b.name) return b.make(settings, std::move(model));
  }
  throw std::invalid_argument("unknown object detection backend: " + settings.backend);
}

std::vector<std::string> object_backends() {
  std::vector<std::string> names;
  for (const auto& b : kBackends) names.emplace_back(b.name);
  return names;
}

float iou(const cv::Rect2f& a, const cv::Rect2f& b) {
  const float inter = (a & b).area();
  const float uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0.f;
}

void suppress_overlaps(std::vector<Detection>& dets, float iou_threshold) {
  std::sort(dets.begin(), dets.end(),
            [](const Detection& a, const Detection& b) { return a.confidence > b.confidence; });
  std::size_t kept = 0;
  for (std::size_t i = 0; i < dets.size(); ++i) {
    bool keep = true;
    for (std::size_t j = 0; j < kept && keep; ++j) {
      if (dets[j].cls == dets[i].cls && iou(dets[j].box, dets[i].box) > iou_threshold) keep = false;
    }
    if (keep) dets[kept++] = dets[i];
  }
  dets.resize(kept);
}

}  // namespace gridsight::analytics
