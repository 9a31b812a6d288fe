#include "edge/evidence/recorder.h"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "common/config/section.h"
#include "edge/evidence/media.h"
#include "edge/evidence/ring.h"

namespace gridsight::evidence {

EvidenceConfig EvidenceConfig::read(config::Section& s) {
  EvidenceConfig c;
  c.directory = s.required_string("directory");
  if (c.directory.empty()) s.fail("directory", "must not be empty");
  c.pre_roll_ms = s.duration_ms("pre_roll", 10'000, 0, 120'000);
  c.post_roll_ms = s.duration_ms("post_roll", 5'000, 0, 120'000);
  c.ring_max_bytes = s.bytes("ring_max_bytes", 32ull << 20, 64ull << 10, 1ull << 30);
  c.clip = s.boolean("clip", true);
  c.snapshot = s.boolean("snapshot", true);
  c.jpeg_quality = static_cast<int>(s.integer("jpeg_quality", 85, 10, 100));
  c.max_wait_ms = s.duration_ms("max_wait", 60'000, 1'000, 3'600'000);
  c.max_pending = static_cast<std::size_t>(s.integer("max_pending", 32, 1, 1024));
  s.finish();
  return c;
}

namespace {

struct Job {
  std::uint64_t id = 0;
  Trigger trigger;
  std::vector<capture::PacketPtr> packets;
  std::int64_t deadline_steady_ms = 0;
};

std::string safe(const std::string& s) {
  std::string out;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    out += ok ? c : '_';
  }
  return out;
}

}  // namespace

struct EvidenceRecorder::Impl {
  EvidenceConfig cfg;
  Clock& clock;
  mutable std::mutex mu;
  std::condition_variable work_cv, done_cv;
  std::map<std::string, PacketRing> rings;
  std::map<std::string, std::vector<Job>> pending;  // per camera, waiting for post-roll
  std::size_t pending_count = 0;
  std::deque<Job> ready;  // post-roll complete, to be written
  std::deque<EvidenceResult> done;
  std::uint64_t next_id = 1;
  bool stopping = false;
  std::thread worker;

  Impl(EvidenceConfig c, Clock& cl) : cfg(std::move(c)), clock(cl) {
    std::filesystem::create_directories(cfg.directory);
    worker = std::thread([this] { work(); });
  }

  ~Impl() {
    {
      std::lock_guard lock(mu);
      stopping = true;
      for (auto& [cam, jobs] : pending) {
        for (auto& j : jobs) ready.push_back(std::move(j));
      }
      pending.clear();
    }
    work_cv.notify_all();
    worker.join();
  }

  PacketRing& ring_of(const std::string& cam) {
    auto it = rings.find(cam);
    if (it == rings.end()) {
      it = rings.emplace(cam, PacketRing(cfg.pre_roll_ms, cfg.ring_max_bytes)).first;
    }
    return it->second;
  }

  // Moves jobs of `cam` whose post-roll is complete (or all, when `all`) to ready. Locked.
  bool release(const std::string& cam, std::int64_t newest_ms, bool all) {
    auto it = pending.find(cam);
    if (it == pending.end()) return false;
    bool any = false;
    auto& jobs = it->second;
    for (auto j = jobs.begin(); j != jobs.end();) {
      if (all || newest_ms >= j->trigger.time_ms + cfg.post_roll_ms) {
        ready.push_back(std::move(*j));
        j = jobs.erase(j);
        --pending_count;
        any = true;
      } else {
        ++j;
      }
    }
    return any;
  }

  void on_packet(const std::string& cam, capture::PacketPtr p) {
    bool wake = false;
    {
      std::lock_guard lock(mu);
      auto it = pending.find(cam);
      if (it != pending.end()) {
        for (auto& j : it->second) j.packets.push_back(p);
      }
      std::int64_t t = p->time_ms;
      ring_of(cam).push(std::move(p));
      wake = release(cam, t, false);
    }
    if (wake) work_cv.notify_one();
  }

  void on_stream_end(const std::string& cam) {
    bool wake = false;
    {
      std::lock_guard lock(mu);
      wake = release(cam, 0, true);
    }
    if (wake) work_cv.notify_one();
  }

  std::uint64_t trigger(Trigger t) {
    std::lock_guard lock(mu);
    if (pending_count >= cfg.max_pending) {
      spdlog::warn("evidence: too many pending triggers, refusing one for camera {}", t.camera_id);
      return 0;
    }
    Job j;
    j.id = next_id++;
    j.packets = ring_of(t.camera_id).since(t.time_ms - cfg.pre_roll_ms);
    j.deadline_steady_ms = clock.steady_ms() + cfg.post_roll_ms + cfg.max_wait_ms;
    j.trigger = std::move(t);
    std::uint64_t id = j.id;
    std::string cam = j.trigger.camera_id;
    pending[cam].push_back(std::move(j));
    ++pending_count;
    // Already complete (post-roll 0, or a trigger in the past).
    if (release(cam, ring_of(cam).newest_ms(), false)) work_cv.notify_one();
    return id;
  }

  void work() {
    std::unique_lock lock(mu);
    for (;;) {
      work_cv.wait_for(lock, std::chrono::milliseconds(250),
                       [&] { return stopping || !ready.empty(); });
      // Triggers whose camera never reached the post-roll.
      std::int64_t now = clock.steady_ms();
      for (auto& [cam, jobs] : pending) {
        for (auto j = jobs.begin(); j != jobs.end();) {
          if (now >= j->deadline_steady_ms) {
            ready.push_back(std::move(*j));
            j = jobs.erase(j);
            --pending_count;
          } else {
            ++j;
          }
        }
      }
      while (!ready.empty()) {
        Job job = std::move(ready.front());
        ready.pop_front();
        lock.unlock();
        EvidenceResult r = write(job);
        lock.lock();
        done.push_back(std::move(r));
        done_cv.notify_all();
      }
      if (stopping) return;
    }
  }

  EvidenceResult write(Job& job) {
    EvidenceResult r;
    r.trigger_id = job.id;
    r.trigger = job.trigger;
    namespace fs = std::filesystem;
    std::string base = (fs::path(cfg.directory) /
                        (safe(job.trigger.camera_id) + "_" + std::to_string(job.trigger.time_ms) +
                         "_" + std::to_string(job.id)))
                           .string();
    auto attempt = [&](const std::string& ext, const char* media_type, const char* role,
                       auto&& produce) {
      std::string final_path = base + ext;
      std::string tmp = base + ".part" + ext;
      try {
        produce(tmp);
        fs::rename(tmp, final_path);
        r.files.push_back({final_path, media_type, role});
      } catch (const std::exception& e) {
        std::error_code ec;
        fs::remove(tmp, ec);
        r.errors.push_back(std::string(role) + ": " + e.what());
        spdlog::warn("evidence: camera {} trigger {}: {} failed: {}", job.trigger.camera_id, job.id,
                     role, e.what());
      }
    };
    if (cfg.snapshot) {
      attempt(".jpg", "image/jpeg", "snapshot", [&](const std::string& p) {
        r.snapshot_ms = write_snapshot(job.packets, job.trigger.time_ms, job.trigger.boxes,
                                       cfg.jpeg_quality, p);
      });
    }
    if (cfg.clip) {
      attempt(".mp4", "video/mp4", "clip", [&](const std::string& p) {
        // Only up to the end of the post-roll.
        std::int64_t end = job.trigger.time_ms + cfg.post_roll_ms;
        std::vector<capture::PacketPtr> packets;
        for (auto& pk : job.packets) {
          if (pk->time_ms > end && !packets.empty()) break;
          packets.push_back(pk);
        }
        ClipInfo ci = write_clip(packets, p);
        r.clip_start_ms = ci.start_ms;
        r.clip_end_ms = ci.end_ms;
      });
    }
    job.packets.clear();
    return r;
  }

  std::optional<EvidenceResult> next(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu);
    done_cv.wait_for(lock, timeout, [&] { return !done.empty(); });
    if (done.empty()) return std::nullopt;
    EvidenceResult r = std::move(done.front());
    done.pop_front();
    return r;
  }
};

EvidenceRecorder::EvidenceRecorder(EvidenceConfig config, Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(config), clock)) {}
EvidenceRecorder::~EvidenceRecorder() = default;

void EvidenceRecorder::on_packet(const std::string& camera_id, capture::PacketPtr packet) {
  if (packet) impl_->on_packet(camera_id, std::move(packet));
}
void EvidenceRecorder::on_stream_end(const std::string& camera_id) {
  impl_->on_stream_end(camera_id);
}
std::uint64_t EvidenceRecorder::trigger(Trigger t) {
  return impl_->trigger(std::move(t));
}
std::optional<EvidenceResult> EvidenceRecorder::next(std::chrono::milliseconds timeout) {
  return impl_->next(timeout);
}

EvidenceRecorder::RingStats EvidenceRecorder::ring(const std::string& camera_id) const {
  std::lock_guard lock(impl_->mu);
  RingStats s;
  auto it = impl_->rings.find(camera_id);
  if (it == impl_->rings.end()) return s;
  s.bytes = it->second.bytes();
  s.packets = it->second.size();
  s.oldest_ms = it->second.oldest_ms();
  s.newest_ms = it->second.newest_ms();
  return s;
}

}  // namespace gridsight::evidence
