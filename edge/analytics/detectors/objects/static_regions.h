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
    std::int64_t since_ms = 0;  // static since (stream time): counted for the dwell
    // When it was left: the longest any of its pixels has been unchanged (stream time, at
    // most since_ms). The event's start and its owner's search window; not the dwell, which a
    // region made of several passers-by's still moments would otherwise reach at once.
    std::int64_t left_ms = 0;
    // What is left where a larger static region was (most of an object taken away, or the
    // background's adaptation around it): never reported.
    bool remnant = false;
    // Less structure in the frame than in the background there: something that was in the
    // background went away (a ghost), nothing was left. Never reported.
    bool ghost = false;
    // Changed by a nearly uniform ratio against the background: a shadow or a patch of
    // light, not an object. Never reported.
    bool illumination = false;
    bool reportable() const { return !remnant && !ghost && !illumination; }
    std::int64_t age_ms(std::int64_t now) const { return now - since_ms; }
  };

  StaticRegions(const ObjectSettings& settings, double shadow_uniformity)
      : s_(settings), uniformity_(shadow_uniformity) {}
  // `people`: boxes (normalised) of people; a person standing still is not an object.
  // `background`: the background model (CV_32F or CV_8U, work size), for ghosts; may be empty.
  void update(const cv::Mat& gray, const cv::Mat& foreground, const cv::Mat& background,
              const std::vector<cv::Rect2f>& people, std::int64_t t_ms);
  void reset();
  const std::vector<Region>& regions() const { return regions_; }

 private:
  ObjectSettings s_;
  double uniformity_;
  cv::Mat bgf_, ratio_, region_mask_;
  double structure(const cv::Mat& img, const cv::Rect& roi);
  cv::Mat bg8_, gx_, gy_, mag_;
  cv::Mat prev_, still_, stable_, diff_, not_fg_, static_, labels_, stats_, centroids_, kernel_;
  std::vector<Region> regions_, next_;
  std::int64_t last_ms_ = -1, next_id_ = 1;
};

}  // namespace gridsight::analytics
