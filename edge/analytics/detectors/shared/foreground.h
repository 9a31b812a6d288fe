#pragma once
// Background subtraction shared by motion/intrusion and line crossing.
//
// - a running-average background (float) with selective update: background pixels adapt
//   with `background_time`, foreground pixels only with `absorb_time` (a left object
//   stays foreground for a while, then becomes background);
// - global gain compensation: each frame is scaled to the background's brightness (gradual
//   light changes, camera auto-exposure steps);
// - a noise-adaptive threshold (the mean residual difference of background pixels times
//   `noise_factor`, at least `threshold`): rain, snow and sensor noise raise it;
// - temporal persistence (changed in three consecutive frames) and a morphological opening
//   remove short-lived speckles (raindrops);
// - a global change guard: when most of the frame changes at once (lights switched, an
//   exposure jump the gain cannot explain), the background re-learns and the frame reports
//   no foreground.

#include <cstdint>
#include <opencv2/core/mat.hpp>
#include <vector>

#include "edge/analytics/config/analytics_config.h"

namespace gridsight::analytics {

class Foreground {
 public:
  struct Blob {
    cv::Rect box;  // work-size pixels
    int area = 0;
    float cx = 0, cy = 0;          // centroid, work-size pixels
    float foot_x = 0, foot_y = 0;  // bottom centre
  };

  explicit Foreground(const MotionSettings& settings);
  // Work size and the static mask (255 = ignored, may be empty).
  void configure(cv::Size size, const cv::Mat& ignore);
  // `clipped` (may be empty): 255 where a colour channel of the frame is saturated.
  // Returns whether the foreground of this frame is valid (not learning, no global change).
  bool update(const cv::Mat& gray, const cv::Mat& clipped, std::int64_t pts_ms);
  void reset();

  const cv::Mat& mask() const { return fg_; }        // 255 = foreground
  const cv::Mat& background() const { return bg_; }  // CV_32F grey, work size (blurred)
  const std::vector<Blob>& blobs() const { return blobs_; }
  bool valid() const { return valid_; }
  double threshold() const { return thr_; }
  double gain() const { return gain_; }
  double changed_fraction() const { return changed_; }

 private:
  MotionSettings s_;
  cv::Size size_;
  cv::Mat ignore_, use_;  // use_ = 255 where analysed
  cv::Mat blur_, frame_f_, bg_, diff_, raw_, prev_raw_, prev_raw2_, fg_, not_fg_, stable_, unsat_,
      clip_f_, kernel_;
  cv::Mat labels_, stats_, centroids_, ratio_, blob_mask_;
  std::vector<Blob> blobs_;
  std::int64_t first_ms_ = -1, last_ms_ = 0;
  int frames_ = 0;
  bool valid_ = false;
  double thr_ = 0, gain_ = 1, noise_ = 0, changed_ = 0;
  int use_px_ = 0;
};

}  // namespace gridsight::analytics
