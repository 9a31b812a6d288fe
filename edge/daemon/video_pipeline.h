#pragma once
// Cameras to events: each configured video camera runs a capture pipeline (kept alive by the
// capture supervisor), its frames go through the camera's analytics, an opened incident
// triggers evidence (pre/post-roll clip and snapshot), and the event is committed to the
// outbox with its evidence once the post-roll is recorded.

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "edge/capture/health.h"
#include "edge/config/edge_config.h"

namespace gridsight {
class Clock;
}
namespace gridsight::capture {
class Supervisor;
}
namespace gridsight::evidence {
class EvidenceRecorder;
}

namespace gridsight::edge {

class Outbox;

class VideoPipeline {
 public:
  VideoPipeline(const EdgeConfig& config, Outbox& outbox, Clock& clock);
  ~VideoPipeline();
  VideoPipeline(const VideoPipeline&) = delete;
  VideoPipeline& operator=(const VideoPipeline&) = delete;

  // Starts every camera with a url; returns how many.
  std::size_t start();
  void stop();
  std::vector<capture::CameraHealth> health() const;
  std::uint64_t events() const { return events_; }

 private:
  struct Camera;
  void run_camera(Camera& cam);
  void run_collector();
  void emit(const Camera& cam, protocol::Event event, std::vector<protocol::Box> boxes);

  const EdgeConfig& config_;
  Outbox& outbox_;
  Clock& clock_;
  std::unique_ptr<evidence::EvidenceRecorder> recorder_;
  std::unique_ptr<capture::Supervisor> supervisor_;
  std::vector<std::unique_ptr<Camera>> cameras_;
  std::mutex mu_;
  std::map<std::uint64_t, protocol::Event> awaiting_evidence_;  // trigger id -> event
  std::atomic<bool> running_{false};
  std::atomic<std::uint64_t> events_{0};
  std::thread collector_;
};

}  // namespace gridsight::edge
