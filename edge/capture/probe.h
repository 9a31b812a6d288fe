#pragma once
// Probing a camera's streams before it goes into service (`gridsight-edge --check-config`):
// each URL is opened the way the capture pipeline opens it (transport, timeouts), and its
// video stream's codec, resolution and frame rate are read. Nothing is decoded.

#include <cstdio>
#include <string>
#include <vector>

#include "edge/capture/config.h"

namespace gridsight::capture {

struct ProbeResult {
  std::string role;  // "main" or "sub"
  std::string url;   // credentials removed
  bool reachable = false;
  std::string codec;  // e.g. "h264"
  int width = 0;
  int height = 0;
  double fps = 0;     // 0: unknown
  std::string error;  // why the stream is not usable (reachable == false)
};

// Probes the camera's main stream and its sub-stream (when configured).
std::vector<ProbeResult> probe_camera(const CameraConfig& camera);

// Probes the camera and prints one line per stream to `out`. True when every stream is
// reachable and has video.
bool probe_and_report(const CameraConfig& camera, std::FILE* out);

// `url` without "user:password@".
std::string redact_url(const std::string& url);

}  // namespace gridsight::capture
