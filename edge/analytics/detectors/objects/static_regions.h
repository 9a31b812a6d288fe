#pragma once
// Static foreground (left objects, piled debris, stalls): foreground pixels that stay
// unchanged accumulate time; pixels that return to background start again; pixels that
// change while still foreground (someone walking past) hold their time. Regions of pixels
// static for at least static_after are kept with an id and the time they became static.

#include <cstdint>
#include <opencv2/core.hpp>
#include <vector>

#include "edge/analytics/config/analytics_config.h"

namespace gridsight::analytics {

class StaticRegions {
 public:
  struct Region {
    std::int64_t id = 0;
    cv::Rect2f box;             // normalised
    std::int64_t since_ms = 0;  // static since (stream time)
    std::int64_t age_ms(std::int64_t now) const { return now - since_ms; }
  };

  explicit StaticRegions(const ObjectSettings& settings) : s_(settings) {}
  void update(const cv::Mat& gray, const cv::Mat& foreground, std::int64_t t_ms);
  void reset();
  const std::vector<Region>& regions() const { return regions_; }

 private:
  ObjectSettings s_;
  cv::Mat prev_, still_, stable_, diff_, not_fg_, static_, labels_, stats_, centroids_, kernel_;
  std::vector<Region> regions_, next_;
  std::int64_t last_ms_ = -1, next_id_ = 1;
};

}  // namespace gridsight::analytics
