#include "edge/analytics/objects/blobs/blob_detector.h"

#include "edge/analytics/detectors/shared/foreground.h"

namespace gridsight::analytics {
namespace {

class BlobDetector final : public ObjectDetector {
 public:
  explicit BlobDetector(const ObjectSettings& s) : s_(s) {}
  const char* name() const override { return "blobs"; }
  bool uses_foreground() const override { return true; }

  void detect(const ObjectInput& in, std::vector<Detection>& out) override {
    if (!in.foreground) return;
    const cv::Size size = in.foreground->mask().size();
    if (size.area() == 0) return;
    const float fw = static_cast<float>(size.width), fh = static_cast<float>(size.height);
    for (const auto& b : in.foreground->blobs()) {
      Detection d;
      d.box = cv::Rect2f(b.box.x / fw, b.box.y / fh, b.box.width / fw, b.box.height / fh);
      d.cls = classify_blob(d.box, fw / fh, s_);
      // Shape and size say less than a model: a fixed, modest confidence.
      d.confidence = d.cls == ObjectClass::kOther ? 0.5f : 0.6f;
      out.push_back(d);
    }
  }

 private:
  ObjectSettings s_;
};

}  // namespace

ObjectClass classify_blob(const cv::Rect2f& box, float frame_aspect, const ObjectSettings& s) {
  // Pixel aspect (height / width) from normalised sizes.
  const float aspect = box.width > 0 ? box.height / (box.width * frame_aspect) : 0.f;
  if (box.area() >= s.vehicle_min_area && aspect <= s.vehicle_max_aspect) {
    return ObjectClass::kVehicle;
  }
  if (aspect >= s.person_min_aspect && box.height >= s.person_min_height &&
      box.height <= s.person_max_height) {
    return ObjectClass::kPerson;
  }
  return ObjectClass::kOther;
}

std::unique_ptr<ObjectDetector> make_blob_detector(const ObjectSettings& settings,
                                                   std::shared_ptr<DnnModel>) {
  return std::make_unique<BlobDetector>(settings);
}

}  // namespace gridsight::analytics
