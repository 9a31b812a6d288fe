#pragma once
// Camera health for telemetry and the status page.

#include <cstdint>
#include <string>

namespace gridsight::capture {

enum class CameraState { kConnecting, kStreaming, kStalled, kBackoff, kFailed, kStopped };
const char* to_string(CameraState s);

struct CameraHealth {
  std::string camera_id;
  CameraState state = CameraState::kConnecting;
  double input_fps = 0;     // video packets received per second (recent window)
  double decoded_fps = 0;   // frames out of the decoder per second
  double analysed_fps = 0;  // frames handed to analytics per second
  std::uint64_t packets = 0;
  std::uint64_t decoded = 0;
  std::uint64_t analysed = 0;
  std::uint64_t skipped = 0;  // packets decoded with non-reference frames discarded
  std::uint64_t dropped = 0;  // analytics frames dropped because the queue was full
  std::uint64_t decode_errors = 0;
  std::uint64_t reconnects = 0;  // sessions started after the first one
  std::string last_error;
  std::string codec;  // analytics stream codec, e.g. "h264"
  int width = 0;      // analytics stream source resolution
  int height = 0;
  std::string decoder;  // decoder in use, e.g. "h264", "h264_v4l2m2m", "hevc (vaapi)"
};

}  // namespace gridsight::capture
