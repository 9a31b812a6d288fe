#pragma once
// One capture session of one camera: open the source(s), demux, feed the evidence ring with
// the main stream's packets, decode only what analytics needs and hand it over, until the
// source fails, ends or is stopped. It never retries: edge/capture/supervisor owns retries.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "common/clock.h"
#include "edge/capture/config.h"
#include "edge/capture/frame.h"
#include "edge/capture/health.h"
#include "edge/capture/packet.h"

namespace gridsight::capture {

// Counters of one camera, kept across sessions (owned by the supervisor; updated by the
// session's thread, read by anyone).
struct CameraStats {
  std::atomic<std::uint64_t> packets{0}, decoded{0}, analysed{0}, dropped{0}, decode_errors{0},
      reconnects{0}, next_seq{0};
  std::atomic<double> input_fps{0}, decoded_fps{0}, analysed_fps{0};

  void set_stream(std::string codec, int width, int height, std::string decoder);
  void set_error(std::string error);
  // Everything but the state, which the supervisor knows.
  CameraHealth snapshot() const;

 private:
  mutable std::mutex mu_;
  std::string codec_, decoder_, last_error_;
  int width_ = 0, height_ = 0;
};

struct SessionResult {
  enum class Kind {
    kStopped,  // stop() was called
    kEnded,    // a file without loop reached its end
    kFailed,   // could not open, or broke before streaming
    kStalled,  // was streaming, then no packet for stall_timeout or the connection dropped
  };
  Kind kind = Kind::kFailed;
  std::string error;
  std::int64_t streamed_ms = 0;  // how long it was streaming (steady time)
};

class CaptureSession {
 public:
  // `frames` and `stats` must outlive the session; `packets` may be null (no evidence).
  // `on_state` is called with kStreaming once frames flow and kStalled when they stop.
  CaptureSession(const CameraConfig& config, Clock& clock, FrameQueue& frames,
                 PacketObserver* packets, CameraStats& stats,
                 std::function<void(CameraState)> on_state = {});
  ~CaptureSession();
  CaptureSession(const CaptureSession&) = delete;
  CaptureSession& operator=(const CaptureSession&) = delete;

  // Blocks until the session ends. Call once.
  SessionResult run();
  // Ends run() promptly (every blocking libav call is interruptible). Any thread.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gridsight::capture
