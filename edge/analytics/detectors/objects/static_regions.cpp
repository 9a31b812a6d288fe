#include "edge/analytics/detectors/objects/static_regions.h"

#include <opencv2/imgproc.hpp>

#include "edge/analytics/objects/object_detector.h"

namespace gridsight::analytics {

void StaticRegions::reset() {
  prev_.release();
  still_.release();
  regions_.clear();
  last_ms_ = -1;
}

void StaticRegions::update(const cv::Mat& gray, const cv::Mat& fg, std::int64_t t_ms) {
  if (prev_.size() != gray.size() || last_ms_ < 0) {
    gray.copyTo(prev_);
    still_ = cv::Mat::zeros(gray.size(), CV_32F);
    kernel_ = cv::getStructuringElement(cv::MORPH_RECT, cv::Size(5, 5));
    last_ms_ = t_ms;
    regions_.clear();
    return;
  }
  const double dt = static_cast<double>(t_ms - last_ms_);
  last_ms_ = t_ms;
  cv::absdiff(gray, prev_, diff_);
  gray.copyTo(prev_);
  cv::compare(diff_, s_.static_diff, stable_, cv::CMP_LT);
  cv::bitwise_and(stable_, fg, stable_);
  cv::add(still_, cv::Scalar(dt), still_, stable_);
  cv::bitwise_not(fg, not_fg_);
  still_.setTo(0, not_fg_);
  cv::compare(still_, static_cast<double>(s_.static_after_ms), static_, cv::CMP_GE);
  cv::morphologyEx(static_, static_, cv::MORPH_CLOSE, kernel_);

  const int n = cv::connectedComponentsWithStats(static_, labels_, stats_, centroids_, 8, CV_32S);
  const double min_px = s_.static_min_area * gray.total();
  const float w = static_cast<float>(gray.cols), h = static_cast<float>(gray.rows);
  next_.clear();
  for (int i = 1; i < n; ++i) {
    if (stats_.at<int>(i, cv::CC_STAT_AREA) < min_px) continue;
    Region r;
    r.box = cv::Rect2f(
        stats_.at<int>(i, cv::CC_STAT_LEFT) / w, stats_.at<int>(i, cv::CC_STAT_TOP) / h,
        stats_.at<int>(i, cv::CC_STAT_WIDTH) / w, stats_.at<int>(i, cv::CC_STAT_HEIGHT) / h);
    r.since_ms = t_ms - s_.static_after_ms;
    float best = 0.2f;
    for (const auto& old : regions_) {
      const float o = iou(old.box, r.box);
      if (o > best) {
        best = o;
        r.id = old.id;
        r.since_ms = std::min(r.since_ms, old.since_ms);
      }
    }
    if (r.id == 0) r.id = next_id_++;
    next_.push_back(r);
  }
  std::swap(regions_, next_);
}

}  // namespace gridsight::analytics
