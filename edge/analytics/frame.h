#pragma once
// The analytics input: one decoded frame at the analytics size, on stream time.

#include <cstdint>
#include <opencv2/core/mat.hpp>

namespace gridsight::analytics {

struct AnalyticsFrame {
  cv::Mat image;            // CV_8UC3 (BGR), CV_8UC1 (grey) or CV_8UC4 (BGRA); any size
  std::int64_t pts_ms = 0;  // stream time: the camera timeline (UTC ms), never wall time
  std::uint64_t seq = 0;    // per camera, increasing (informational)
};

// Wraps a raw capture buffer (BGR24 or GRAY8) without copying; `data` must outlive the frame.
inline AnalyticsFrame wrap_frame(const std::uint8_t* data, int width, int height, int channels,
                                 int stride, std::int64_t pts_ms, std::uint64_t seq = 0) {
  AnalyticsFrame f;
  f.image = cv::Mat(height, width, channels == 1 ? CV_8UC1 : CV_8UC3,
                    const_cast<std::uint8_t*>(data), static_cast<std::size_t>(stride));
  f.pts_ms = pts_ms;
  f.seq = seq;
  return f;
}

}  // namespace gridsight::analytics
