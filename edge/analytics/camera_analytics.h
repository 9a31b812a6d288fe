#pragma once
// One camera's analytics: frames in, incident records out (docs/analytics.md).
//
//   analytics::CameraAnalytics cam(analytics_config);       // per camera, own thread
//   std::vector<analytics::Incident> out;                     // reused
//   for each frame: cam.process(analytics::wrap_frame(f.data.data(), f.width, f.height, 3,
//                                                     f.stride, f.time_ms), out);
//   capture down: cam.no_signal(now_ms, out) about once a second
//   for (auto& r : out) if (r.phase == analytics::Phase::kOpened)
//       outbox.append({edge::Draft{analytics::to_event(r, camera_id, synced), evidence}});
//   out.clear();
//
// Stream time only: every duration is measured on AnalyticsFrame::pts_ms. Not thread-safe;
// one instance per camera, so reconfiguring one camera never touches another.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "edge/analytics/config/analytics_config.h"
#include "edge/analytics/frame.h"
#include "edge/analytics/rules/incident.h"

namespace gridsight::analytics {

class CameraAnalytics {
 public:
  explicit CameraAnalytics(AnalyticsConfig config);
  ~CameraAnalytics();
  CameraAnalytics(const CameraAnalytics&) = delete;
  CameraAnalytics& operator=(const CameraAnalytics&) = delete;

  // Analyses one frame; appends records to `out` (never clears it).
  void process(const AnalyticsFrame& frame, std::vector<Incident>& out);
  // The capture has no frames (camera down). After tamper.signal_gap without frames the
  // signal-lost condition holds; call periodically with the camera timeline / wall time.
  void no_signal(std::int64_t now_ms, std::vector<Incident>& out);
  // Closes every open incident (end of a file, shutdown).
  void flush(std::vector<Incident>& out);
  // New configuration for this camera: open incidents are closed, detectors rebuilt.
  void reconfigure(AnalyticsConfig config, std::vector<Incident>& out);

  bool paused() const;  // tampered or off preset: motion and lines are paused
  const AnalyticsConfig& config() const;
  std::vector<std::string> detector_names() const;
  std::uint64_t frames() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gridsight::analytics
