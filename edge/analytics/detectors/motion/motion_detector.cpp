#include "edge/analytics/detectors/motion/motion_detector.h"

#include <algorithm>
#include <opencv2/imgproc.hpp>

#include "edge/analytics/detectors/shared/channel.h"
#include "edge/analytics/detectors/shared/foreground.h"
#include "edge/analytics/detectors/shared/regions.h"

namespace gridsight::analytics {
namespace {

class MotionDetector final : public Detector {
 public:
  explicit MotionDetector(const DetectorSetup& setup) : size_(setup.work_size) {
    for (const Rule* rule : setup.rules) {
      std::vector<const Zone*> zones;
      for (const auto& id : rule->zones) zones.push_back(setup.config->zone(id));
      if (zones.empty()) zones.push_back(nullptr);  // the whole frame
      for (const Zone* zone : zones) {
        Watch w;
        w.min_area = rule->min_area;
        w.mask =
            zone ? polygon_mask(zone->polygon, size_) : cv::Mat(size_, CV_8UC1, cv::Scalar(255));
        if (setup.static_mask && !setup.static_mask->empty()) {
          cv::Mat keep;
          cv::bitwise_not(*setup.static_mask, keep);
          cv::bitwise_and(w.mask, keep, w.mask);
        }
        w.px = std::max(1, cv::countNonZero(w.mask));
        ChannelSpec spec = rule_channel(*rule, zone, setup, "motion");
        w.channel = setup.engine->add_channel(std::move(spec));
        watches_.push_back(std::move(w));
      }
    }
  }

  const char* name() const override { return "motion"; }

  void process(const FrameContext& f, RuleEngine& engine) override {
    if (!f.foreground || !f.foreground_valid) return;
    const auto& blobs = f.foreground->blobs();
    for (const Watch& w : watches_) {
      cv::bitwise_and(f.foreground->mask(), w.mask, inside_);
      const double share = static_cast<double>(cv::countNonZero(inside_)) / w.px;
      if (share < w.min_area) continue;
      std::size_t n = 0;
      for (const auto& b : blobs) {
        if (n == boxes_.size()) break;
        if (cv::countNonZero(inside_(b.box)) * 3 < b.area) continue;  // mostly outside
        NormBox& nb = boxes_[n++];
        nb.x = static_cast<float>(b.box.x) / size_.width;
        nb.y = static_cast<float>(b.box.y) / size_.height;
        nb.w = static_cast<float>(b.box.width) / size_.width;
        nb.h = static_cast<float>(b.box.height) / size_.height;
        nb.confidence = 0.6f;
      }
      const double confidence = std::min(1.0, 0.6 + 0.4 * share / (4 * w.min_area));
      engine.observe(w.channel, confidence, boxes_.data(), n);
    }
  }

 private:
  struct Watch {
    cv::Mat mask;
    int px = 1;
    double min_area = 0;
    std::size_t channel = 0;
  };
  cv::Size size_;
  std::vector<Watch> watches_;
  cv::Mat inside_;
  std::array<NormBox, RuleEngine::kMaxBoxes> boxes_{};
};

}  // namespace

std::unique_ptr<Detector> make_motion_detector(const DetectorSetup& setup) {
  return std::make_unique<MotionDetector>(setup);
}

}  // namespace gridsight::analytics
