#pragma once
// Cameras to events: each configured video camera runs a capture pipeline (kept alive by the
// capture supervisor), its frames go through the camera's analytics, an opened incident
// triggers evidence (pre/post-roll clip and snapshot), and the event is committed to the
// outbox with its evidence once the post-roll is recorded.
//
// A configuration reload (apply) touches only what changed: a camera whose capture settings
// changed is rebuilt, one whose rules changed gets them on its running pipeline, new cameras
// start, removed ones stop, the others keep running untouched.

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "edge/capture/health.h"
#include "edge/commands/command_handler.h"
#include "edge/config/edge_config.h"
#include "edge/health/health.h"

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

  struct ReloadSummary {
    std::vector<std::string> started, stopped, restarted, reconfigured, unchanged;
  };
  // Applies the cameras of a new configuration (see above). Evidence settings are kept.
  ReloadSummary apply(const EdgeConfig& config);
  // Ends the camera's capture session and reconnects at once; false if it has no video.
  bool restart(const std::string& camera_id);
  bool has_video(const std::string& camera_id) const;
  // Health of every video camera, with pipeline builds and open incidents.
  std::vector<health::CameraStatus> status() const;
  // Latest analytics frame and open incidents (state "no_video" for a camera without video).
  commands::CameraLook look(const std::string& camera_id) const;

 private:
  struct Camera;
  void ensure_infrastructure();
  void launch(const CameraConfig& config);
  void halt(Camera& cam);
  void run_camera(Camera& cam);
  void run_collector();
  void emit(const Camera& cam, protocol::Event event, std::vector<protocol::Box> boxes);

  const EdgeConfig& config_;
  Outbox& outbox_;
  Clock& clock_;
  std::unique_ptr<evidence::EvidenceRecorder> recorder_;
  std::unique_ptr<capture::Supervisor> supervisor_;
  mutable std::mutex cameras_mu_;  // the camera list (apply vs readers)
  std::map<std::string, std::unique_ptr<Camera>> cameras_;
  std::map<std::string, std::uint64_t> starts_;         // pipeline builds per camera id
  std::map<std::string, std::int64_t> state_since_ms_;  // guarded by state_mu_
  mutable std::mutex state_mu_;
  std::mutex mu_;
  std::map<std::uint64_t, protocol::Event> awaiting_evidence_;  // trigger id -> event
  std::atomic<bool> running_{false};
  std::atomic<std::uint64_t> events_{0};
  std::thread collector_;
};

}  // namespace gridsight::edge
