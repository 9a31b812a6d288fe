#pragma once
// Rasterising configured polygons at the analysis size.

#include <opencv2/core/mat.hpp>
#include <vector>

#include "edge/analytics/config/analytics_config.h"

namespace gridsight::analytics {

// 255 inside the polygon (normalised coordinates), 0 outside.
cv::Mat polygon_mask(const std::vector<Point>& polygon, cv::Size size);
// 255 where any mask polygon covers.
cv::Mat masks_union(const std::vector<Mask>& masks, cv::Size size);

}  // namespace gridsight::analytics
