#pragma once
// Configuration of one camera's capture pipeline (the `cameras:` list of edge.yaml).
// See docs/capture.md for every key.

#include <cstdint>
#include <string>

#include "common/backoff.h"

namespace gridsight::config {
class Section;
}

namespace gridsight::capture {

enum class Transport { kTcp, kUdp };
enum class HwAccel { kNone, kV4l2m2m, kVaapi };
enum class PixelFormat { kBgr24, kRgb24, kGray8 };

const char* to_string(HwAccel hw);
const char* to_string(PixelFormat fmt);
int channels(PixelFormat fmt);

struct CameraConfig {
  std::string id;
  // Main stream: evidence (packet ring, clips, snapshots), and analytics too when no
  // sub-stream is configured. rtsp://, http(s)://, file path or file:// URL.
  std::string url;
  // Optional sub-stream for analytics (the low-resolution stream of an IP camera).
  std::string sub_url;
  Transport transport = Transport::kTcp;  // RTSP only

  double analytics_fps = 5.0;
  int analytics_width = 640;
  int analytics_height = 0;  // 0: keep the source's aspect ratio
  PixelFormat pixel_format = PixelFormat::kBgr24;
  std::size_t queue_capacity = 4;  // analytics frames; the oldest is kept, new ones dropped

  HwAccel hwaccel = HwAccel::kNone;
  std::string hw_device;  // vaapi render node; empty: the default
  int decode_threads = 1;
  // Skip decoding non-reference frames (B-frames...) that analytics will not see.
  bool skip_nonref = true;

  std::int64_t open_timeout_ms = 5'000;   // connect, RTSP handshake, stream probing
  std::int64_t stall_timeout_ms = 3'000;  // no video packet for this long: stalled

  // File sources only.
  bool loop = false;     // start again at the end (demo)
  bool realtime = true;  // pace reads on stream time; false: as fast as analytics consumes

  BackoffPolicy backoff{};                // reconnect delays
  std::int64_t stable_after_ms = 10'000;  // a session this long resets the backoff
  int max_attempts = 0;                   // consecutive failed attempts before "failed"; 0: never

  static CameraConfig read(config::Section& s);
};

// True when `url` names a local file (no scheme, or file:).
bool is_file_url(const std::string& url);

}  // namespace gridsight::capture
