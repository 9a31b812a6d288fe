#pragma once
// A frame handed to analytics: already at the analytics size and pixel format.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/bounded_queue.h"
#include "edge/capture/config.h"

namespace gridsight::capture {

struct AnalyticsFrame {
  std::string camera_id;
  std::uint64_t seq = 0;     // per camera, increasing across reconnects
  std::int64_t time_ms = 0;  // camera timeline (see docs/capture.md): use for events/triggers
  int width = 0;
  int height = 0;
  PixelFormat format = PixelFormat::kBgr24;
  int stride = 0;  // bytes per row (width * channels)
  std::vector<std::uint8_t> data;
};

using FrameQueue = BoundedQueue<AnalyticsFrame>;

}  // namespace gridsight::capture
