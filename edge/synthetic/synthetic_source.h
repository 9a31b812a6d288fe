#pragma once
// A synthetic event source bound to one configured camera (docs/configuration.md,
// "synthetic"): events at a fixed rate, optionally with a synthetic snapshot attached, for
// tests, benchmarks and demos without video. Only runs when explicitly enabled.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <thread>

#include "edge/config/edge_config.h"

namespace gridsight {
class Clock;
}

namespace gridsight::edge {

class Outbox;

// A synthetic event of `type` for `camera` at `now_ms` (the n-th of its run): its watched
// location, a box that wanders across the frame, attributes source=`source`, n.
protocol::Event synthetic_event(const CameraConfig& camera, const std::string& type,
                                std::int64_t now_ms, std::uint64_t n, const std::string& source);

class SyntheticSource {
 public:
  SyntheticSource(SyntheticConfig config, CameraConfig camera, Outbox& outbox, Clock& clock,
                  std::filesystem::path scratch_dir);
  ~SyntheticSource();
  void start();
  void stop();
  std::uint64_t produced() const { return produced_; }

 private:
  void run();
  Draft make_draft(std::uint64_t n, std::int64_t now_ms);

  SyntheticConfig config_;
  CameraConfig camera_;
  Outbox& outbox_;
  Clock& clock_;
  std::filesystem::path scratch_dir_;
  std::atomic<std::uint64_t> produced_{0};
  std::atomic<bool> running_{false};
  std::thread thread_;
};

}  // namespace gridsight::edge
