#include "edge/capture/supervisor.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <stdexcept>
#include <thread>

#include "common/backoff.h"
#include "edge/capture/pipeline.h"

namespace gridsight::capture {

const char* to_string(CameraState s) {
  switch (s) {
    case CameraState::kConnecting:
      return "connecting";
    case CameraState::kStreaming:
      return "streaming";
    case CameraState::kStalled:
      return "stalled";
    case CameraState::kBackoff:
      return "backoff";
    case CameraState::kFailed:
      return "failed";
    case CameraState::kStopped:
      return "stopped";
  }
  return "unknown";
}

struct Supervisor::Camera {
  CameraConfig cfg;
  PacketObserver* packets = nullptr;
  std::shared_ptr<FrameQueue> queue;
  CameraStats stats;
  std::atomic<CameraState> state{CameraState::kConnecting};

  std::mutex mu;  // guards session, stop, restart; cv wakes the backoff wait
  std::condition_variable cv;
  CaptureSession* session = nullptr;
  bool stop = false;
  bool restart = false;
  std::thread thread;
};

Supervisor::Supervisor(Clock& clock, StateListener on_state)
    : clock_(clock), on_state_(std::move(on_state)) {}

Supervisor::~Supervisor() {
  stop_all();
}

std::shared_ptr<FrameQueue> Supervisor::add(const CameraConfig& config, PacketObserver* packets) {
  std::lock_guard lock(mu_);
  if (cameras_.count(config.id)) throw std::invalid_argument("duplicate camera id " + config.id);
  auto cam = std::make_unique<Camera>();
  cam->cfg = config;
  cam->packets = packets;
  cam->queue = std::make_shared<FrameQueue>(config.queue_capacity);
  Camera& ref = *cam;
  cameras_[config.id] = std::move(cam);
  ref.thread = std::thread([this, &ref] { run(ref); });
  return ref.queue;
}

void Supervisor::remove(const std::string& camera_id) {
  std::unique_ptr<Camera> cam;
  {
    std::lock_guard lock(mu_);
    auto it = cameras_.find(camera_id);
    if (it == cameras_.end()) return;
    cam = std::move(it->second);
    cameras_.erase(it);
  }
  {
    std::lock_guard lock(cam->mu);
    cam->stop = true;
    if (cam->session) cam->session->stop();
  }
  cam->cv.notify_all();
  cam->queue->close();
  if (cam->thread.joinable()) cam->thread.join();
}

void Supervisor::restart(const std::string& camera_id) {
  std::lock_guard lock(mu_);
  auto it = cameras_.find(camera_id);
  if (it == cameras_.end()) return;
  Camera& cam = *it->second;
  {
    std::lock_guard cl(cam.mu);
    cam.restart = true;
    if (cam.session) cam.session->stop();
  }
  cam.cv.notify_all();
}

void Supervisor::stop_all() {
  std::vector<std::string> ids;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, cam] : cameras_) ids.push_back(id);
  }
  for (auto& id : ids) remove(id);
}

std::optional<CameraHealth> Supervisor::health(const std::string& camera_id) const {
  std::lock_guard lock(mu_);
  auto it = cameras_.find(camera_id);
  if (it == cameras_.end()) return std::nullopt;
  CameraHealth h = it->second->stats.snapshot();
  h.camera_id = camera_id;
  h.state = it->second->state.load();
  return h;
}

std::vector<CameraHealth> Supervisor::health() const {
  std::vector<CameraHealth> out;
  std::lock_guard lock(mu_);
  for (auto& [id, cam] : cameras_) {
    CameraHealth h = cam->stats.snapshot();
    h.camera_id = id;
    h.state = cam->state.load();
    out.push_back(std::move(h));
  }
  return out;
}

void Supervisor::set_state(Camera& cam, CameraState s) {
  cam.state = s;
  if (on_state_) on_state_(cam.cfg.id, s);
}

void Supervisor::run(Camera& cam) {
  Backoff backoff(cam.cfg.backoff);
  int failures = 0;
  bool first = true;
  for (;;) {
    {
      std::lock_guard lock(cam.mu);
      if (cam.stop) break;
      cam.restart = false;
    }
    if (!first) cam.stats.reconnects.fetch_add(1);
    first = false;
    set_state(cam, CameraState::kConnecting);
    CaptureSession session(cam.cfg, clock_, *cam.queue, cam.packets, cam.stats,
                           [&](CameraState s) { set_state(cam, s); });
    {
      std::lock_guard lock(cam.mu);
      if (cam.stop || cam.restart) session.stop();
      cam.session = &session;
    }
    SessionResult r = session.run();
    {
      std::lock_guard lock(cam.mu);
      cam.session = nullptr;
    }
    if (cam.packets) cam.packets->on_stream_end(cam.cfg.id);

    bool restart = false;
    {
      std::lock_guard lock(cam.mu);
      if (cam.stop) break;
      restart = cam.restart;
    }
    if (restart) {
      spdlog::info("camera {}: restarting", cam.cfg.id);
      backoff.reset();
      failures = 0;
      continue;
    }
    if (r.kind == SessionResult::Kind::kEnded) {
      spdlog::info("camera {}: source ended", cam.cfg.id);
      set_state(cam, CameraState::kStopped);
      break;
    }
    cam.stats.set_error(r.error);
    if (r.streamed_ms >= cam.cfg.stable_after_ms) {
      backoff.reset();
      failures = 0;
    }
    ++failures;
    if (cam.cfg.max_attempts > 0 && failures >= cam.cfg.max_attempts) {
      spdlog::error("camera {}: giving up after {} failed attempts: {}", cam.cfg.id, failures,
                    r.error);
      set_state(cam, CameraState::kFailed);
      break;
    }
    std::int64_t delay = backoff.next_delay_ms();
    spdlog::warn("camera {}: {} ({}); reconnecting in {} ms", cam.cfg.id,
                 r.kind == SessionResult::Kind::kStalled ? "stalled" : "failed", r.error, delay);
    set_state(cam, CameraState::kBackoff);
    std::unique_lock lock(cam.mu);
    cam.cv.wait_for(lock, std::chrono::milliseconds(delay),
                    [&] { return cam.stop || cam.restart; });
    if (cam.stop) break;
  }
}

}  // namespace gridsight::capture
