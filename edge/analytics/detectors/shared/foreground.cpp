#include "edge/analytics/detectors/shared/foreground.h"

#include <algorithm>
#include <opencv2/imgproc.hpp>
#include <utility>

namespace gridsight::analytics {

Foreground::Foreground(const MotionSettings& settings) : s_(settings) {
  blobs_.reserve(256);
  kernel_ = cv::getStructuringElement(cv::MORPH_RECT, cv::Size(3, 3));
}

void Foreground::configure(cv::Size size, const cv::Mat& ignore) {
  size_ = size;
  if (ignore.empty()) {
    ignore_ = cv::Mat(size, CV_8UC1, cv::Scalar(0));
  } else {
    ignore_ = ignore.clone();
  }
  cv::bitwise_not(ignore_, use_);
  use_px_ = std::max(1, cv::countNonZero(use_));
  fg_ = cv::Mat(size, CV_8UC1, cv::Scalar(0));
  blob_mask_ = cv::Mat(size, CV_8UC1, cv::Scalar(0));
  prev_raw_ = cv::Mat(size, CV_8UC1, cv::Scalar(0));
  prev_raw2_ = cv::Mat(size, CV_8UC1, cv::Scalar(0));
  reset();
}

void Foreground::reset() {
  frames_ = 0;
  first_ms_ = -1;
  valid_ = false;
  blobs_.clear();
  if (!fg_.empty()) fg_.setTo(0);
  if (!prev_raw_.empty()) prev_raw_.setTo(0);
  if (!prev_raw2_.empty()) prev_raw2_.setTo(0);
}

bool Foreground::update(const cv::Mat& gray, const cv::Mat& clipped, std::int64_t pts_ms) {
  if (gray.size() != size_) configure(gray.size(), cv::Mat());
  cv::GaussianBlur(gray, blur_, cv::Size(5, 5), 0);
  if (frames_ == 0) {
    blur_.convertTo(bg_, CV_32F);
    first_ms_ = pts_ms;
    last_ms_ = pts_ms;
    frames_ = 1;
    valid_ = false;
    blobs_.clear();
    return false;
  }
  const double dt = static_cast<double>(std::clamp<std::int64_t>(pts_ms - last_ms_, 1, 2'000));
  last_ms_ = pts_ms;
  ++frames_;

  // Gain: scale the frame to the background's brightness over pixels that were background.
  cv::bitwise_not(fg_, not_fg_);
  cv::bitwise_and(use_, not_fg_, stable_);
  // Clipped pixels cannot tell the gain (an exposure step saturates bright areas).
  if (clipped.empty()) {
    cv::compare(blur_, 250, unsat_, cv::CMP_LT);
  } else {
    cv::bitwise_not(clipped, unsat_);
  }
  cv::bitwise_and(stable_, unsat_, stable_);
  cv::compare(bg_, 250, unsat_, cv::CMP_LT);
  cv::bitwise_and(stable_, unsat_, stable_);
  if (cv::countNonZero(stable_) < use_px_ / 4) use_.copyTo(stable_);
  const double mf = cv::mean(blur_, stable_)[0];
  const double mb = cv::mean(bg_, stable_)[0];
  gain_ = mf > 1.0 ? std::clamp(mb / mf, 0.2, 5.0) : 1.0;
  blur_.convertTo(frame_f_, CV_32F, gain_);
  // A clipped pixel only says "at least this bright" (or "at most this dark"): where the
  // background is consistent with that, there is no change.
  if (clipped.empty()) {
    cv::compare(blur_, 250, unsat_, cv::CMP_GE);
  } else {
    cv::dilate(clipped, unsat_, kernel_);  // the blur spreads clipped values a little
  }
  if (cv::countNonZero(unsat_) > 0) {
    cv::max(frame_f_, bg_, clip_f_);
    clip_f_.copyTo(frame_f_, unsat_);
  }
  cv::compare(blur_, 5, unsat_, cv::CMP_LE);
  if (cv::countNonZero(unsat_) > 0) {
    cv::min(frame_f_, bg_, clip_f_);
    clip_f_.copyTo(frame_f_, unsat_);
  }

  cv::absdiff(frame_f_, bg_, diff_);
  noise_ = cv::mean(diff_, stable_)[0];
  thr_ = std::max(s_.threshold, s_.noise_factor * noise_);
  cv::compare(diff_, thr_, raw_, cv::CMP_GT);
  cv::bitwise_and(raw_, use_, raw_);
  changed_ = static_cast<double>(cv::countNonZero(raw_)) / use_px_;

  const bool learning = pts_ms - first_ms_ < s_.learn_ms;
  if (changed_ > s_.global_change) {
    // Most of the view changed at once: not objects. Re-learn from this frame.
    frame_f_.copyTo(bg_);
    fg_.setTo(0);
    prev_raw_.setTo(0);
    prev_raw2_.setTo(0);
    blobs_.clear();
    valid_ = false;
    return false;
  }

  // Persistent in three consecutive frames, speckles removed, parts joined.
  cv::bitwise_and(raw_, prev_raw_, fg_);
  cv::bitwise_and(fg_, prev_raw2_, fg_);
  std::swap(prev_raw2_, prev_raw_);  // Mat headers: no copy
  raw_.copyTo(prev_raw_);
  cv::morphologyEx(fg_, fg_, cv::MORPH_OPEN, kernel_);
  cv::dilate(fg_, fg_, kernel_, cv::Point(-1, -1), 2);
  cv::bitwise_and(fg_, use_, fg_);

  double a_bg = dt / static_cast<double>(s_.background_ms);
  double a_fg = dt / static_cast<double>(s_.absorb_ms);
  if (learning) a_bg = a_fg = std::max(a_bg, 1.0 / frames_);
  cv::bitwise_not(fg_, not_fg_);
  cv::accumulateWeighted(frame_f_, bg_, std::min(a_bg, 1.0), not_fg_);
  cv::accumulateWeighted(frame_f_, bg_, std::min(a_fg, 1.0), fg_);

  blobs_.clear();
  if (learning) {
    valid_ = false;
    return false;
  }
  const int n = cv::connectedComponentsWithStats(fg_, labels_, stats_, centroids_, 8, CV_32S);
  const double min_px = s_.min_blob * size_.area();
  bool ratio_ready = false;
  for (int i = 1; i < n && blobs_.size() < 256; ++i) {
    const int* st = stats_.ptr<int>(i);
    const cv::Rect box(st[cv::CC_STAT_LEFT], st[cv::CC_STAT_TOP], st[cv::CC_STAT_WIDTH],
                       st[cv::CC_STAT_HEIGHT]);
    if (s_.shadow_uniformity > 0) {
      // A shadow (or a patch of light) changes its area by a nearly uniform ratio; an object
      // does not. Such blobs are illumination: removed from the foreground.
      if (!ratio_ready) {
        cv::max(bg_, 1.0, ratio_);
        cv::divide(frame_f_, ratio_, ratio_);
        ratio_ready = true;
      }
      cv::compare(labels_(box), i, blob_mask_(box), cv::CMP_EQ);
      cv::Scalar rm, rsd;
      cv::meanStdDev(ratio_(box), rm, rsd, blob_mask_(box));
      const bool darker = rm[0] >= 0.3 && rm[0] <= 0.97;
      const bool lighter = rm[0] >= 1.03 && rm[0] <= 3.0;
      if ((darker || lighter) && rsd[0] < s_.shadow_uniformity * rm[0]) {
        fg_(box).setTo(0, blob_mask_(box));
        continue;
      }
    }
    if (st[cv::CC_STAT_AREA] < min_px) continue;
    Blob b;
    b.box = box;
    b.area = st[cv::CC_STAT_AREA];
    b.cx = static_cast<float>(centroids_.at<double>(i, 0));
    b.cy = static_cast<float>(centroids_.at<double>(i, 1));
    b.foot_x = b.cx;
    b.foot_y = static_cast<float>(b.box.y + b.box.height);
    blobs_.push_back(b);
  }
  valid_ = true;
  return true;
}

}  // namespace gridsight::analytics
