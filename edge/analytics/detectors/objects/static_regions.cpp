#include "edge/analytics/detectors/objects/static_regions.h"

#include <cmath>
#include <opencv2/imgproc.hpp>

#include "edge/analytics/objects/object_detector.h"

namespace gridsight::analytics {

void StaticRegions::reset() {
  prev_.release();
  still_.release();
  regions_.clear();
  last_ms_ = -1;
}

double StaticRegions::structure(const cv::Mat& img, const cv::Rect& roi) {
  cv::Sobel(img(roi), gx_, CV_16S, 1, 0);
  cv::Sobel(img(roi), gy_, CV_16S, 0, 1);
  return cv::norm(gx_, cv::NORM_L1) + cv::norm(gy_, cv::NORM_L1);
}

void StaticRegions::update(const cv::Mat& gray, const cv::Mat& fg, const cv::Mat& background,
                           const std::vector<cv::Rect2f>& people, std::int64_t t_ms) {
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
  const cv::Rect whole(0, 0, gray.cols, gray.rows);
  for (const auto& p : people) {
    const cv::Rect r(
        cv::Point(static_cast<int>(p.x * gray.cols), static_cast<int>(p.y * gray.rows)),
        cv::Point(static_cast<int>(std::ceil((p.x + p.width) * gray.cols)),
                  static_cast<int>(std::ceil((p.y + p.height) * gray.rows))));
    static_(r & whole).setTo(0);
  }
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
    {  // left: the longest any of its pixels has been unchanged
      const cv::Rect roi(stats_.at<int>(i, cv::CC_STAT_LEFT), stats_.at<int>(i, cv::CC_STAT_TOP),
                         stats_.at<int>(i, cv::CC_STAT_WIDTH),
                         stats_.at<int>(i, cv::CC_STAT_HEIGHT));
      cv::compare(labels_(roi), i, region_mask_, cv::CMP_EQ);
      double longest = 0;
      cv::minMaxLoc(still_(roi), nullptr, &longest, nullptr, nullptr, region_mask_);
      r.left_ms = t_ms - std::max(static_cast<std::int64_t>(longest), s_.static_after_ms);
    }
    float best = 0.2f;
    for (const auto& old : regions_) {
      const float o = iou(old.box, r.box);
      if (o > best) {
        best = o;
        r.id = old.id;
        r.since_ms = std::min(r.since_ms, old.since_ms);
        r.left_ms = std::min(r.left_ms, old.left_ms);
      }
    }
    if (r.id == 0) {
      r.id = next_id_++;
      for (const auto& old : regions_) {
        if ((old.box & r.box).area() <= 0.5f * r.box.area() || old.box.area() <= 2 * r.box.area()) {
          continue;
        }
        // Part of a larger static region: split off by a person now tracked over the rest
        // (it keeps its time), or what is left after the rest went away (a remnant).
        float covered = r.box.area();
        for (const auto& p : people) covered += (p & old.box).area();
        if (covered >= 0.5f * old.box.area()) {
          r.since_ms = std::min(r.since_ms, old.since_ms);
          r.left_ms = std::min(r.left_ms, old.left_ms);
        } else {
          r.remnant = true;
        }
      }
    } else {
      for (const auto& old : regions_) {
        if (old.id == r.id) r.remnant = old.remnant;
      }
    }
    if (!background.empty() && background.size() == gray.size()) {
      if (background.type() == CV_8U) {
        bg8_ = background;
      } else {
        background.convertTo(bg8_, CV_8U);
      }
      // The box with a margin: the edges of what was placed (or removed) are at its border.
      const cv::Rect box(
          stats_.at<int>(i, cv::CC_STAT_LEFT) - 2, stats_.at<int>(i, cv::CC_STAT_TOP) - 2,
          stats_.at<int>(i, cv::CC_STAT_WIDTH) + 4, stats_.at<int>(i, cv::CC_STAT_HEIGHT) + 4);
      const cv::Rect roi = box & cv::Rect(0, 0, gray.cols, gray.rows);
      r.ghost = structure(gray, roi) < structure(bg8_, roi);
      if (uniformity_ > 0) {
        bg8_(roi).convertTo(bgf_, CV_32F);
        cv::max(bgf_, 1.0, bgf_);
        gray(roi).convertTo(ratio_, CV_32F);
        cv::divide(ratio_, bgf_, ratio_);
        cv::compare(labels_(roi), i, region_mask_, cv::CMP_EQ);
        cv::bitwise_and(region_mask_, stable_(roi), region_mask_);  // not who passes over it
        cv::Scalar rm, rsd;
        cv::meanStdDev(ratio_, rm, rsd, region_mask_);
        const bool changed = (rm[0] >= 0.3 && rm[0] <= 0.97) || (rm[0] >= 1.03 && rm[0] <= 3.0);
        r.illumination = changed && rsd[0] < uniformity_ * rm[0];
      }
    }
    next_.push_back(r);
  }
  std::swap(regions_, next_);
}

}  // namespace gridsight::analytics
