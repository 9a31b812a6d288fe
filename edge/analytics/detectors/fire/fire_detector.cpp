#include "edge/analytics/detectors/fire/fire_detector.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "edge/analytics/detectors/shared/channel.h"
#include "edge/analytics/detectors/shared/foreground.h"
#include "edge/analytics/detectors/shared/regions.h"

namespace gridsight::analytics {
namespace {

constexpr std::size_t kHistory = 10;  // frames of flicker history
constexpr double kFlicker = 0.08;     // coefficient of variation of the flame pixel count

class FireDetector final : public Detector {
 public:
  explicit FireDetector(const DetectorSetup& setup) : size_(setup.work_size) {
    for (const Rule* rule : setup.rules) {
      std::vector<const Zone*> zones;
      for (const auto& id : rule->zones) zones.push_back(setup.config->zone(id));
      if (zones.empty()) zones.push_back(nullptr);
      for (const Zone* zone : zones) {
        Watch w;
        w.mask =
            zone ? polygon_mask(zone->polygon, size_) : cv::Mat(size_, CV_8UC1, cv::Scalar(255));
        if (setup.static_mask && !setup.static_mask->empty()) {
          w.mask.setTo(0, *setup.static_mask);
        }
        w.min_px = std::max(4, static_cast<int>(rule->min_area * cv::countNonZero(w.mask)));
        ChannelSpec spec = rule_channel(*rule, zone, setup, "fire");
        spec.attributes["experimental"] = "true";
        w.channel = setup.engine->add_channel(std::move(spec));
        watches_.push_back(std::move(w));
      }
    }
  }

  const char* name() const override { return "fire"; }
  void reset() override {
    for (auto& w : watches_) w.n = 0;
  }

  void process(const FrameContext& f, RuleEngine& engine) override {
    if (!f.image || f.image->empty() || f.image->channels() < 3) return;
    cv::resize(*f.image, small_, size_, 0, 0, cv::INTER_AREA);
    if (small_.channels() == 4) cv::cvtColor(small_, small_, cv::COLOR_BGRA2BGR);
    cv::split(small_, ch_);  // B, G, R
    // Flame colour: bright red channel, red > green > blue, clearly saturated.
    cv::compare(ch_[2], 170, flame_, cv::CMP_GE);
    cv::compare(ch_[2], ch_[1], tmp_, cv::CMP_GT);
    cv::bitwise_and(flame_, tmp_, flame_);
    cv::compare(ch_[1], ch_[0], tmp_, cv::CMP_GT);
    cv::bitwise_and(flame_, tmp_, flame_);
    cv::subtract(ch_[2], ch_[0], diff_);
    cv::compare(diff_, 70, tmp_, cv::CMP_GE);
    cv::bitwise_and(flame_, tmp_, flame_);
    const bool moving = f.foreground && f.foreground_valid;
    for (auto& w : watches_) {
      cv::bitwise_and(flame_, w.mask, inside_);
      const int colour = cv::countNonZero(inside_);
      w.hist[w.n % kHistory] = colour;
      ++w.n;
      if (!moving || colour < w.min_px || w.n < kHistory) continue;
      cv::bitwise_and(inside_, f.foreground->mask(), inside_);
      if (cv::countNonZero(inside_) < w.min_px / 2) continue;  // not moving: a painted sign
      double mean = 0, var = 0;
      for (int v : w.hist) mean += v;
      mean /= kHistory;
      for (int v : w.hist) var += (v - mean) * (v - mean);
      const double cv_ = std::sqrt(var / kHistory) / std::max(1.0, mean);
      if (cv_ < kFlicker) continue;  // a steady red object moving through is no flame
      const cv::Rect b = cv::boundingRect(inside_);
      NormBox nb;
      nb.x = static_cast<float>(b.x) / size_.width;
      nb.y = static_cast<float>(b.y) / size_.height;
      nb.w = static_cast<float>(b.width) / size_.width;
      nb.h = static_cast<float>(b.height) / size_.height;
      nb.confidence = 0.5f;
      engine.observe(w.channel, 0.5, &nb, 1);
    }
  }

 private:
  struct Watch {
    cv::Mat mask;
    int min_px = 4;
    std::size_t channel = 0;
    std::array<int, kHistory> hist{};
    std::size_t n = 0;
  };
  cv::Size size_;
  std::vector<Watch> watches_;
  cv::Mat small_, flame_, tmp_, diff_, inside_;
  std::vector<cv::Mat> ch_;
};

}  // namespace

std::unique_ptr<Detector> make_fire_detector(const DetectorSetup& setup) {
  return std::make_unique<FireDetector>(setup);
}

}  // namespace gridsight::analytics
