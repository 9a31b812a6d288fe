#pragma once
// Cameras to events: each configured video camera runs a capture pipeline (kept alive by the
// capture supervisor), its frames go through the camera's analytics, and an opened incident
// triggers evidence. The event is committed to the outbox at once with its snapshot; its clip
// (pre-roll before the incident began, post-roll after the rule fired) follows as an
// incident update (protocol 1.1, update "evidence") when the post-roll is recorded.
//
// A configuration reload (apply) touches only what changed: a camera whose capture settings
// changed is rebuilt, one whose rules changed gets them on its running pipeline, new cameras
// start, removed ones stop, the others keep running untouched.

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "edge/analytics/rules/incident.h"
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
struct EvidenceResult;
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
  void commit_event(const evidence::EvidenceResult& res);
  void commit_clip(const evidence::EvidenceResult& res);
  // `fired_ms`: camera time of the frame on which the rule fired (snapshot, post-roll).
  void emit(const Camera& cam, std::uint64_t incident, protocol::Event event,
            std::vector<protocol::Box> boxes, std::int64_t fired_ms);

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
  // A snapshot on its way: for an incident's event (committed with it), or for its end.
  struct Awaiting {
    protocol::Event event;  // to commit; for an end: the incident's committed first event
    std::uint64_t incident = 0;
    std::optional<std::int64_t> end_ms;  // set: the incident ended
  };
  using IncidentKey = std::pair<std::string, std::uint64_t>;  // camera, analytics incident id
  void close_incident(const Camera& cam, const analytics::Incident& r, std::int64_t at_ms);
  void commit_end(Awaiting a, const evidence::EvidenceResult& res);
  std::map<std::uint64_t, Awaiting> awaiting_;      // trigger id ->
  std::map<std::uint64_t, std::string> committed_;  // trigger id -> event, clip not bound
  std::map<IncidentKey, protocol::Event> opened_;   // incidents reported and still open
  std::atomic<bool> running_{false};
  std::atomic<std::uint64_t> events_{0};
  std::thread collector_;
};

}  // namespace gridsight::edge
