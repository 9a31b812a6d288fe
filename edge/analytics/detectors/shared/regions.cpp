#include "edge/analytics/detectors/shared/regions.h"

#include <cmath>
#include <opencv2/imgproc.hpp>

namespace gridsight::analytics {

cv::Mat polygon_mask(const std::vector<Point>& polygon, cv::Size size) {
  cv::Mat m(size, CV_8UC1, cv::Scalar(0));
  std::vector<cv::Point> pts;
  for (const auto& p : polygon) {
    pts.emplace_back(static_cast<int>(std::lround(p.x * (size.width - 1))),
                     static_cast<int>(std::lround(p.y * (size.height - 1))));
  }
  if (pts.size() >= 3) cv::fillPoly(m, std::vector<std::vector<cv::Point>>{pts}, cv::Scalar(255));
  return m;
}

cv::Mat masks_union(const std::vector<Mask>& masks, cv::Size size) {
  cv::Mat m(size, CV_8UC1, cv::Scalar(0));
  for (const auto& mask : masks) cv::bitwise_or(m, polygon_mask(mask.polygon, size), m);
  return m;
}

}  // namespace gridsight::analytics
