#include "edge/daemon/video_pipeline.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/clock.h"
#include "edge/analytics/camera_analytics.h"
#include "edge/capture/supervisor.h"
#include "edge/evidence/recorder.h"
#include "edge/outbox/outbox.h"

namespace gridsight::edge {

struct VideoPipeline::Camera {
  CameraConfig config;
  std::shared_ptr<capture::FrameQueue> frames;
  std::unique_ptr<analytics::CameraAnalytics> analytics;
  std::atomic<bool> stop{false};
  std::thread thread;
  std::int64_t started_ms = 0;
  // Shared with readers (snapshot, status) and apply().
  mutable std::mutex mu;
  capture::AnalyticsFrame last;
  std::map<std::uint64_t, commands::CameraLook::Open> open;  // incident id -> open incident
  std::optional<analytics::AnalyticsConfig> pending_rules;   // applied on the camera thread
  std::vector<std::string> rule_ids;
  std::uint64_t rule_sets = 1;  // rule sets applied since the pipeline was built
  bool paused = false;
};

namespace {
std::vector<std::string> rule_ids(const std::optional<analytics::AnalyticsConfig>& d) {
  std::vector<std::string> ids;
  if (d && d->enabled) {
    for (const auto& r : d->rules) ids.push_back(r.id);
  }
  return ids;
}
}  // namespace

VideoPipeline::VideoPipeline(const EdgeConfig& config, Outbox& outbox, Clock& clock)
    : config_(config), outbox_(outbox), clock_(clock) {}

VideoPipeline::~VideoPipeline() {
  stop();
}

void VideoPipeline::ensure_infrastructure() {
  if (supervisor_) return;
  recorder_ = std::make_unique<evidence::EvidenceRecorder>(config_.evidence, clock_);
  supervisor_ = std::make_unique<capture::Supervisor>(
      clock_, [this](const std::string& id, capture::CameraState s) {
        spdlog::info("camera {}: {}", id, capture::to_string(s));
        std::lock_guard lock(state_mu_);
        state_since_ms_[id] = clock_.now_ms();
      });
  running_ = true;
  collector_ = std::thread([this] { run_collector(); });
}

std::size_t VideoPipeline::start() {
  const bool any_video = std::any_of(config_.cameras.begin(), config_.cameras.end(),
                                     [](const CameraConfig& c) { return c.capture.has_value(); });
  if (!any_video) return 0;  // no threads, no rings: an events-only box stays small
  ensure_infrastructure();
  std::lock_guard lock(cameras_mu_);
  for (const auto& c : config_.cameras) {
    if (c.capture) launch(c);
  }
  return cameras_.size();
}

void VideoPipeline::launch(const CameraConfig& c) {
  auto cam = std::make_unique<Camera>();
  cam->config = c;
  if (c.detection && c.detection->enabled) {
    cam->analytics = std::make_unique<analytics::CameraAnalytics>(*c.detection);
  }
  cam->rule_ids = rule_ids(c.detection);
  cam->started_ms = clock_.now_ms();
  {
    std::lock_guard lock(state_mu_);
    state_since_ms_[c.id] = cam->started_ms;
  }
  ++starts_[c.id];
  cam->frames = supervisor_->add(*c.capture, recorder_.get());
  Camera* p = cam.get();
  cam->thread = std::thread([this, p] { run_camera(*p); });
  cameras_[c.id] = std::move(cam);
}

void VideoPipeline::halt(Camera& cam) {
  cam.stop = true;
  supervisor_->remove(cam.config.id);  // closes its frame queue
  if (cam.thread.joinable()) cam.thread.join();
}

void VideoPipeline::stop() {
  if (!running_.exchange(false)) return;
  if (supervisor_) supervisor_->stop_all();  // closes the frame queues
  {
    std::lock_guard lock(cameras_mu_);
    for (auto& [id, cam] : cameras_) {
      cam->stop = true;
      if (cam->thread.joinable()) cam->thread.join();
    }
  }
  if (collector_.joinable()) collector_.join();
  // Events still waiting for their post-roll are committed now, without evidence: an event
  // is worth more than its clip.
  std::lock_guard lock(mu_);
  std::vector<Draft> rest;
  for (auto& [id, event] : awaiting_evidence_) rest.push_back(Draft{std::move(event), {}});
  awaiting_evidence_.clear();
  if (!rest.empty()) {
    spdlog::info("video: committing {} events without their unfinished evidence", rest.size());
    try {
      outbox_.append(std::move(rest));
    } catch (const std::exception& ex) {
      spdlog::error("video: cannot commit events at shutdown: {}", ex.what());
    }
  }
  recorder_.reset();
}

VideoPipeline::ReloadSummary VideoPipeline::apply(const EdgeConfig& config) {
  ReloadSummary sum;
  const bool any_video = std::any_of(config.cameras.begin(), config.cameras.end(),
                                     [](const CameraConfig& c) { return c.capture.has_value(); });
  if (any_video) ensure_infrastructure();
  std::lock_guard lock(cameras_mu_);
  // Removed, or no longer a video camera.
  for (auto it = cameras_.begin(); it != cameras_.end();) {
    const CameraConfig* next = config.camera(it->first);
    if (!next || !next->capture) {
      halt(*it->second);
      sum.stopped.push_back(it->first);
      it = cameras_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& c : config.cameras) {
    if (!c.capture) continue;
    auto it = cameras_.find(c.id);
    if (it == cameras_.end()) {
      launch(c);
      sum.started.push_back(c.id);
      continue;
    }
    Camera& cam = *it->second;
    if (cam.config.source_yaml != c.source_yaml) {
      halt(cam);
      cameras_.erase(it);
      launch(c);
      sum.restarted.push_back(c.id);
    } else if (cam.config.detection_yaml != c.detection_yaml) {
      // Same capture, new rules: the running pipeline takes them on its own thread.
      const bool had = cam.analytics != nullptr;
      const bool has = c.detection && c.detection->enabled;
      if (had != has) {
        halt(cam);
        cameras_.erase(it);
        launch(c);
        sum.restarted.push_back(c.id);
        continue;
      }
      std::lock_guard cl(cam.mu);
      cam.pending_rules = *c.detection;
      cam.config.detection = c.detection;
      cam.config.detection_yaml = c.detection_yaml;
      cam.config.location = c.location;
      cam.rule_ids = rule_ids(c.detection);
      ++cam.rule_sets;
      sum.reconfigured.push_back(c.id);
    } else {
      std::lock_guard cl(cam.mu);
      cam.config.location = c.location;
      cam.config.name = c.name;
      sum.unchanged.push_back(c.id);
    }
  }
  return sum;
}

bool VideoPipeline::restart(const std::string& camera_id) {
  std::lock_guard lock(cameras_mu_);
  if (!supervisor_ || !cameras_.count(camera_id)) return false;
  supervisor_->restart(camera_id);
  return true;
}

bool VideoPipeline::has_video(const std::string& camera_id) const {
  std::lock_guard lock(cameras_mu_);
  return cameras_.count(camera_id) != 0;
}

std::vector<capture::CameraHealth> VideoPipeline::health() const {
  return supervisor_ ? supervisor_->health() : std::vector<capture::CameraHealth>{};
}

std::vector<health::CameraStatus> VideoPipeline::status() const {
  std::vector<health::CameraStatus> out;
  std::lock_guard lock(cameras_mu_);
  for (const auto& [id, cam] : cameras_) {
    health::CameraStatus s;
    s.id = id;
    if (supervisor_) s.capture = supervisor_->health(id);
    {
      std::lock_guard sl(state_mu_);
      auto it = state_since_ms_.find(id);
      if (it != state_since_ms_.end()) s.state_since_ms = it->second;
    }
    auto st = starts_.find(id);
    s.pipeline_starts = st == starts_.end() ? 0 : st->second;
    s.pipeline_started_ms = cam->started_ms;
    s.analytics = cam->analytics != nullptr;
    std::lock_guard cl(cam->mu);
    s.analytics_paused = cam->paused;
    s.rules = cam->rule_ids;
    s.rule_sets = cam->rule_sets;
    for (const auto& [iid, o] : cam->open) {
      s.open_incidents.push_back(o.zone.empty() ? o.type : o.type + "@" + o.zone);
    }
    out.push_back(std::move(s));
  }
  return out;
}

commands::CameraLook VideoPipeline::look(const std::string& camera_id) const {
  commands::CameraLook l;
  l.state = "no_video";
  std::lock_guard lock(cameras_mu_);
  auto it = cameras_.find(camera_id);
  if (it == cameras_.end()) return l;
  if (supervisor_) {
    if (auto h = supervisor_->health(camera_id)) l.state = capture::to_string(h->state);
  }
  const Camera& cam = *it->second;
  std::lock_guard cl(cam.mu);
  for (const auto& [iid, o] : cam.open) l.open_incidents.push_back(o);
  if (!cam.last.data.empty()) {
    l.frame_ms = cam.last.time_ms;
    l.width = cam.last.width;
    l.height = cam.last.height;
    l.channels = capture::channels(cam.last.format);
    l.stride = cam.last.stride;
    l.pixels = cam.last.data;
  }
  return l;
}

void VideoPipeline::run_camera(Camera& cam) {
  std::vector<analytics::Incident> out;
  std::int64_t last_frame_ms = clock_.steady_ms();
  const bool synced = system_clock_synchronised();
  while (running_ && !cam.stop) {
    auto frame = cam.frames->pop(std::chrono::milliseconds(500));
    {
      std::optional<analytics::AnalyticsConfig> rules;
      {
        std::lock_guard cl(cam.mu);
        rules.swap(cam.pending_rules);
      }
      if (rules && cam.analytics) {
        cam.analytics->reconfigure(std::move(*rules), out);
        spdlog::info("camera {}: new rules applied", cam.config.id);
      }
    }
    if (frame) {
      last_frame_ms = clock_.steady_ms();
      if (cam.analytics) {
        cam.analytics->process(
            analytics::wrap_frame(frame->data.data(), frame->width, frame->height,
                                  capture::channels(frame->format), frame->stride, frame->time_ms,
                                  frame->seq),
            out);
      }
      std::lock_guard cl(cam.mu);
      cam.last = std::move(*frame);  // kept for snapshots (the buffer is reused next time)
      cam.paused = cam.analytics && cam.analytics->paused();
    } else if (cam.analytics && clock_.steady_ms() - last_frame_ms >= 1000) {
      cam.analytics->no_signal(clock_.now_ms(), out);
    }
    for (auto& r : out) {
      {
        std::lock_guard cl(cam.mu);
        if (r.phase == analytics::Phase::kOpened && !r.end_ms) {
          cam.open[r.id] = {r.type, r.zone, r.start_ms};
        } else if (r.phase == analytics::Phase::kClosed) {
          cam.open.erase(r.id);
        }
      }
      if (r.phase != analytics::Phase::kOpened) continue;  // one incident, one event
      protocol::Event e = analytics::to_event(r, cam.config.id, synced);
      if (!e.location) e.location = cam.config.location;
      emit(cam, std::move(e), r.boxes);
    }
    out.clear();
  }
  if (cam.analytics) cam.analytics->flush(out);
}

void VideoPipeline::emit(const Camera& cam, protocol::Event event,
                         std::vector<protocol::Box> boxes) {
  std::lock_guard lock(mu_);
  const std::uint64_t id = recorder_->trigger({cam.config.id, event.start_ms, std::move(boxes)});
  if (id != 0) {
    awaiting_evidence_.emplace(id, std::move(event));
    return;
  }
  // Too many triggers waiting for their post-roll: the event goes without evidence.
  spdlog::warn("camera {}: evidence refused (too many pending), event {} sent without it",
               cam.config.id, event.type);
  try {
    outbox_.append({Draft{std::move(event), {}}});
    ++events_;
  } catch (const std::exception& ex) {
    spdlog::error("camera {}: cannot commit event: {}", cam.config.id, ex.what());
  }
}

void VideoPipeline::run_collector() {
  while (true) {
    auto res = recorder_->next(std::chrono::milliseconds(300));
    if (!res) {
      if (!running_) break;
      continue;
    }
    protocol::Event event;
    {
      std::lock_guard lock(mu_);
      auto it = awaiting_evidence_.find(res->trigger_id);
      if (it == awaiting_evidence_.end()) continue;
      event = std::move(it->second);
      awaiting_evidence_.erase(it);
    }
    Draft d{std::move(event), {}};
    for (const auto& f : res->files) d.evidence.push_back({f.path, f.media_type, f.role});
    for (const auto& err : res->errors) spdlog::warn("evidence: {}", err);
    try {
      outbox_.append({std::move(d)});
      ++events_;
    } catch (const std::exception& ex) {
      spdlog::error("evidence: cannot commit event: {}", ex.what());
    }
  }
}

}  // namespace gridsight::edge
