#include "edge/daemon/video_pipeline.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>

#include "common/clock.h"
#include "edge/analytics/camera_analytics.h"
#include "edge/capture/supervisor.h"
#include "edge/evidence/recorder.h"
#include "edge/outbox/outbox.h"
#include "protocol/ids.h"

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
// How long after an incident began its rule can fire: the longest minimum duration plus dwell
// of the camera's rules, a track's confirmation, and the frames waiting for analytics (queue
// and one second of decoder reorder / sub-stream skew). The evidence ring keeps this beyond
// the pre-roll, so a clip reaches pre_roll before the incident's start.
std::int64_t detection_delay_ms(const CameraConfig& c) {
  std::int64_t queued = 1'000;
  if (c.capture && c.capture->analytics_fps > 0) {
    queued += static_cast<std::int64_t>(static_cast<double>(c.capture->queue_capacity + 1) *
                                        1000.0 / c.capture->analytics_fps);
  }
  if (!c.detection || !c.detection->enabled) return queued;
  std::int64_t rule = 0;
  for (const auto& r : c.detection->rules) {
    std::int64_t d = r.min_duration_ms + r.dwell_ms;
    for (const auto& sub : r.subtypes) d = std::max(d, sub.min_duration_ms);
    rule = std::max(rule, d);
  }
  return queued + rule + c.detection->objects.confirm_ms;
}

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
  {
    std::lock_guard lock(mu_);  // a new analytics instance numbers its incidents afresh
    std::erase_if(opened_, [&](const auto& kv) { return kv.first.first == c.id; });
  }
  recorder_->set_detection_delay(c.id, detection_delay_ms(c));
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
  for (auto& [id, a] : awaiting_) {
    if (!a.end_ms) rest.push_back(Draft{std::move(a.event), {}});
  }
  awaiting_.clear();
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
      recorder_->set_detection_delay(c.id, detection_delay_ms(c));
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
  if (cam.analytics && cam.config.detection) {
    for (const auto& r : cam.config.detection->rules) {
      if (!r.type.empty()) l.rule_types.push_back(r.type);
    }
  }
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
        // Incidents closed by the new rules did not end in front of the camera: no update.
        std::lock_guard lock(mu_);
        std::lock_guard cl(cam.mu);
        for (const auto& r : out) {
          cam.open.erase(r.id);
          opened_.erase({cam.config.id, r.id});
        }
        out.clear();
      }
    }
    std::int64_t fired_ms = clock_.now_ms();  // camera time the records below were made
    if (frame) {
      fired_ms = frame->time_ms;
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
      bool was_open = false;
      {
        std::lock_guard cl(cam.mu);
        if (r.phase == analytics::Phase::kOpened && !r.end_ms) {
          cam.open[r.id] = {r.type, r.zone, r.start_ms};
        } else if (r.phase == analytics::Phase::kClosed) {
          was_open = cam.open.erase(r.id) > 0;
        }
      }
      if (r.phase == analytics::Phase::kClosed && was_open && r.end_ms) {
        close_incident(cam, r, std::max(fired_ms, *r.end_ms));  // the update "ended"
        continue;
      }
      if (r.phase != analytics::Phase::kOpened) continue;  // one incident, one event
      protocol::Event e = analytics::to_event(r, cam.config.id, synced);
      if (!e.location) e.location = cam.config.location;
      emit(cam, r.end_ms ? 0 : r.id, std::move(e), r.boxes, std::max(fired_ms, r.start_ms));
    }
    out.clear();
  }
  if (cam.analytics) cam.analytics->flush(out);
}

void VideoPipeline::emit(const Camera& cam, std::uint64_t incident, protocol::Event event,
                         std::vector<protocol::Box> boxes, std::int64_t fired_ms) {
  std::lock_guard lock(mu_);
  const std::uint64_t id =
      recorder_->trigger({cam.config.id, fired_ms, std::move(boxes), event.start_ms});
  if (id != 0) {
    awaiting_.emplace(id, Awaiting{std::move(event), incident, std::nullopt});
    return;
  }
  // Too many triggers waiting for their post-roll: the event goes without evidence.
  spdlog::warn("camera {}: evidence refused (too many pending), event {} sent without it",
               cam.config.id, event.type);
  event.event_id = protocol::new_event_id(clock_.now_ms());
  try {
    const auto seqs = outbox_.append({Draft{event, {}}});
    ++events_;
    if (incident != 0) {
      event.seq = seqs.at(0);
      event.device_id = config_.device_id;
      opened_[{cam.config.id, incident}] = std::move(event);
    }
  } catch (const std::exception& ex) {
    spdlog::error("camera {}: cannot commit event: {}", cam.config.id, ex.what());
  }
}

void VideoPipeline::close_incident(const Camera& cam, const analytics::Incident& r,
                                   std::int64_t at_ms) {
  std::lock_guard lock(mu_);
  // The closing snapshot comes after the incident's own (one queue), so by the time it is
  // made the incident's event is committed, or known to have failed.
  const std::uint64_t id = recorder_->snapshot({cam.config.id, at_ms, {}, 0});
  Awaiting a;
  a.event.camera_id = cam.config.id;
  a.incident = r.id;
  a.end_ms = r.end_ms;
  if (id != 0) {
    awaiting_.emplace(id, std::move(a));
  } else {
    commit_end(std::move(a), evidence::EvidenceResult{});
  }
}

void VideoPipeline::run_collector() {
  std::int64_t stop_deadline = 0;
  while (true) {
    auto res = recorder_->next(std::chrono::milliseconds(300));
    if (!res) {
      if (running_) continue;
      // Stopping: the clips the cameras' ends released are written and committed first
      // (bounded; a clip left behind is still in its spool for the next start).
      if (stop_deadline == 0) stop_deadline = clock_.steady_ms() + 10'000;
      if (recorder_->idle() || clock_.steady_ms() >= stop_deadline) break;
      continue;
    }
    for (const auto& err : res->errors) spdlog::warn("evidence: {}", err);
    if (res->stage == evidence::EvidenceResult::Stage::kEvent) {
      commit_event(*res);
    } else {
      commit_clip(*res);
    }
  }
}

void VideoPipeline::commit_event(const evidence::EvidenceResult& res) {
  Awaiting a;
  {
    std::lock_guard lock(mu_);
    auto it = awaiting_.find(res.trigger_id);
    if (it == awaiting_.end()) return;
    a = std::move(it->second);
    awaiting_.erase(it);
    if (a.end_ms) {
      commit_end(std::move(a), res);
      return;
    }
  }
  protocol::Event event = std::move(a.event);
  // The event is minted here so that its clip can name it before it is committed.
  event.event_id = protocol::new_event_id(clock_.now_ms());
  Draft d{event, {}};
  for (const auto& f : res.files) d.evidence.push_back({f.path, f.media_type, f.role});
  try {
    const auto seqs = outbox_.append({std::move(d)});
    ++events_;
    event.seq = seqs.at(0);
    event.device_id = config_.device_id;
  } catch (const std::exception& ex) {
    spdlog::error("evidence: cannot commit event: {}", ex.what());
    return;
  }
  std::lock_guard lock(mu_);
  if (a.incident != 0) opened_[{event.camera_id, a.incident}] = event;
  if (!config_.evidence.clip) return;
  std::string encoded = protocol::encode(event);
  // Its clip follows; should the daemon die first, the spool brings it back.
  if (!recorder_->bind(res.trigger_id, encoded)) {
    committed_.emplace(res.trigger_id, std::move(encoded));  // clip already being written
  }
}

// Locked (mu_). The incident's update "ended", with the closing snapshot.
void VideoPipeline::commit_end(Awaiting a, const evidence::EvidenceResult& res) {
  auto it = opened_.find({a.event.camera_id, a.incident});
  if (it == opened_.end()) {  // its event was never committed: nothing to end
    std::error_code ec;
    for (const auto& f : res.files) std::filesystem::remove(f.path, ec);
    return;
  }
  protocol::Event update = std::move(it->second);
  opened_.erase(it);
  update.update_of = update.event_id;
  update.update = protocol::kUpdateEnded;
  update.event_id.clear();
  update.seq = 0;
  update.end_ms = std::max(update.start_ms, a.end_ms.value_or(update.start_ms));
  update.evidence.clear();
  update.boxes.clear();
  const std::string of = update.update_of;
  Draft d{std::move(update), {}};
  for (const auto& f : res.files) d.evidence.push_back({f.path, f.media_type, "snapshot"});
  try {
    outbox_.append({std::move(d)});
    spdlog::info("camera {}: incident {} ended: the camera no longer sees it", a.event.camera_id,
                 of);
  } catch (const std::exception& ex) {
    spdlog::error("camera {}: cannot commit the end of an incident: {}", a.event.camera_id,
                  ex.what());
  }
}

void VideoPipeline::commit_clip(const evidence::EvidenceResult& res) {
  std::string encoded = res.event;
  {
    std::lock_guard lock(mu_);
    auto it = committed_.find(res.trigger_id);
    if (it != committed_.end()) {
      if (encoded.empty()) encoded = std::move(it->second);
      committed_.erase(it);
    }
  }
  auto forget = [&] {
    std::error_code ec;
    for (const auto& f : res.files) std::filesystem::remove(f.path, ec);
    if (!res.spool_path.empty()) std::filesystem::remove(res.spool_path, ec);
  };
  if (encoded.empty()) {
    spdlog::warn("evidence: camera {}: a clip without a committed event is dropped",
                 res.trigger.camera_id);
    forget();
    return;
  }
  auto original = protocol::decode_event(encoded);
  if (!original) {
    spdlog::error("evidence: the event of a clip cannot be read back: {}",
                  original.error.describe());
    forget();
    return;
  }
  if (res.files.empty()) {  // the clip failed (logged): the event stands without it
    forget();
    return;
  }
  protocol::Event update = *original.value;
  update.update_of = update.event_id;
  update.update = protocol::kUpdateEvidence;
  update.event_id.clear();
  update.seq = 0;
  update.evidence.clear();
  update.attributes["clip_start_ms"] = std::to_string(res.clip_start_ms);
  update.attributes["clip_end_ms"] = std::to_string(res.clip_end_ms);
  Draft d{std::move(update), {}};
  for (const auto& f : res.files) d.evidence.push_back({f.path, f.media_type, f.role});
  try {
    outbox_.append({std::move(d)});
  } catch (const std::exception& ex) {
    spdlog::error("evidence: cannot commit the clip of event {}: {}", original.value->event_id,
                  ex.what());
    return;  // the spool stays: the next start tries again
  }
  if (!res.spool_path.empty()) {
    std::error_code ec;
    std::filesystem::remove(res.spool_path, ec);
  }
  spdlog::info("camera {}: clip of event {} committed ({} ms from {})", original.value->camera_id,
               original.value->event_id, res.clip_end_ms - res.clip_start_ms, res.clip_start_ms);
}

}  // namespace gridsight::edge
