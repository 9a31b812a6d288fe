#pragma once
// Owns every camera's retries, in one place (as mediamtx does): a capture session runs until
// it fails or ends, and the supervisor starts the next one after an exponential backoff with
// jitter (common/backoff.h). Each camera has its own thread, so one camera's trouble never
// delays another.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "edge/capture/config.h"
#include "edge/capture/frame.h"
#include "edge/capture/health.h"
#include "edge/capture/packet.h"

namespace gridsight::capture {

class Supervisor {
 public:
  // Called on the camera's thread at every state change (tests, status page push).
  using StateListener = std::function<void(const std::string& camera_id, CameraState state)>;

  explicit Supervisor(Clock& clock = SystemClock::instance(), StateListener on_state = {});
  ~Supervisor();  // stops every camera
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Starts a camera. Its analytics frames arrive on the returned queue (bounded: frames that
  // do not fit are dropped and counted). `packets` (may be null) receives the main stream's
  // packets, e.g. an evidence::EvidenceRecorder; it must outlive the camera.
  // Throws std::invalid_argument for a duplicate id.
  std::shared_ptr<FrameQueue> add(const CameraConfig& config, PacketObserver* packets = nullptr);
  // Stops a camera and forgets it; its queue is closed.
  void remove(const std::string& camera_id);
  // Ends the camera's current session and reconnects at once (no backoff).
  void restart(const std::string& camera_id);
  void stop_all();

  std::optional<CameraHealth> health(const std::string& camera_id) const;
  std::vector<CameraHealth> health() const;

 private:
  struct Camera;
  void run(Camera& cam);
  void set_state(Camera& cam, CameraState s);

  Clock& clock_;
  StateListener on_state_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Camera>> cameras_;
};

}  // namespace gridsight::capture
