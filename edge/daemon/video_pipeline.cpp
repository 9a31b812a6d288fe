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
  const CameraConfig* config = nullptr;
  std::shared_ptr<capture::FrameQueue> frames;
  std::unique_ptr<analytics::CameraAnalytics> analytics;
  std::thread thread;
};

VideoPipeline::VideoPipeline(const EdgeConfig& config, Outbox& outbox, Clock& clock)
    : config_(config), outbox_(outbox), clock_(clock) {}

VideoPipeline::~VideoPipeline() {
  stop();
}

std::size_t VideoPipeline::start() {
  const bool any_video = std::any_of(config_.cameras.begin(), config_.cameras.end(),
                                     [](const CameraConfig& c) { return c.capture.has_value(); });
  if (!any_video) return 0;  // no threads, no rings: an events-only box stays small
  recorder_ = std::make_unique<evidence::EvidenceRecorder>(config_.evidence, clock_);
  supervisor_ = std::make_unique<capture::Supervisor>(
      clock_, [](const std::string& id, capture::CameraState s) {
        spdlog::info("camera {}: {}", id, capture::to_string(s));
      });
  running_ = true;
  for (const auto& c : config_.cameras) {
    if (!c.capture) continue;
    auto cam = std::make_unique<Camera>();
    cam->config = &c;
    if (c.detection && c.detection->enabled) {
      cam->analytics = std::make_unique<analytics::CameraAnalytics>(*c.detection);
    }
    cam->frames = supervisor_->add(*c.capture, recorder_.get());
    cameras_.push_back(std::move(cam));
  }
  for (auto& cam : cameras_) {
    Camera* p = cam.get();
    cam->thread = std::thread([this, p] { run_camera(*p); });
  }
  collector_ = std::thread([this] { run_collector(); });
  return cameras_.size();
}

void VideoPipeline::stop() {
  if (!running_.exchange(false)) return;
  if (supervisor_) supervisor_->stop_all();  // closes the frame queues
  for (auto& cam : cameras_) {
    if (cam->thread.joinable()) cam->thread.join();
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

std::vector<capture::CameraHealth> VideoPipeline::health() const {
  return supervisor_ ? supervisor_->health() : std::vector<capture::CameraHealth>{};
}

void VideoPipeline::run_camera(Camera& cam) {
  std::vector<analytics::Incident> out;
  std::int64_t last_frame_ms = clock_.steady_ms();
  const bool synced = system_clock_synchronised();
  while (running_) {
    auto frame = cam.frames->pop(std::chrono::milliseconds(500));
    if (!cam.analytics) continue;
    if (frame) {
      last_frame_ms = clock_.steady_ms();
      cam.analytics->process(analytics::wrap_frame(frame->data.data(), frame->width, frame->height,
                                                   capture::channels(frame->format), frame->stride,
                                                   frame->time_ms, frame->seq),
                             out);
    } else if (clock_.steady_ms() - last_frame_ms >= 1000) {
      cam.analytics->no_signal(clock_.now_ms(), out);
    }
    for (auto& r : out) {
      if (r.phase != analytics::Phase::kOpened) continue;  // one incident, one event
      protocol::Event e = analytics::to_event(r, cam.config->id, synced);
      if (!e.location) e.location = cam.config->location;
      emit(cam, std::move(e), r.boxes);
    }
    out.clear();
  }
  if (cam.analytics) cam.analytics->flush(out);
}

void VideoPipeline::emit(const Camera& cam, protocol::Event event,
                         std::vector<protocol::Box> boxes) {
  std::lock_guard lock(mu_);
  const std::uint64_t id = recorder_->trigger({cam.config->id, event.start_ms, std::move(boxes)});
  if (id != 0) {
    awaiting_evidence_.emplace(id, std::move(event));
    return;
  }
  // Too many triggers waiting for their post-roll: the event goes without evidence.
  spdlog::warn("camera {}: evidence refused (too many pending), event {} sent without it",
               cam.config->id, event.type);
  try {
    outbox_.append({Draft{std::move(event), {}}});
    ++events_;
  } catch (const std::exception& ex) {
    spdlog::error("camera {}: cannot commit event: {}", cam.config->id, ex.what());
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
