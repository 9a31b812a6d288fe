#include "edge/evidence/recorder.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "common/config/section.h"
#include "edge/evidence/media.h"
#include "edge/evidence/ring.h"
#include "edge/evidence/spool.h"

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

// A clip waiting for its post-roll (or being written).
struct Job {
  std::uint64_t id = 0;
  Trigger trigger;
  std::vector<capture::PacketPtr> packets;
  std::int64_t deadline_steady_ms = 0;
  std::string event;                 // set by bind()
  std::unique_ptr<ClipSpool> spool;  // set by bind() while recording
  std::string spool_path;            // a spool recovered at start: the clip comes from it
};

// The snapshot that goes with the event, made at once.
struct Shot {
  std::uint64_t id = 0;
  Trigger trigger;
  std::vector<capture::PacketPtr> packets;
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

constexpr const char* kSpoolSuffix = ".clip.spool";

}  // namespace

struct EvidenceRecorder::Impl {
  EvidenceConfig cfg;
  Clock& clock;
  mutable std::mutex mu;
  std::condition_variable work_cv, done_cv;
  std::map<std::string, PacketRing> rings;
  std::map<std::string, std::int64_t> delays;       // detection delay per camera
  std::map<std::string, std::vector<Job>> pending;  // per camera, waiting for post-roll
  std::size_t pending_count = 0;
  std::deque<Shot> shots;  // snapshots to make now (before any clip)
  std::deque<Job> ready;   // post-roll complete (or recovered spools), to be written
  std::size_t writing = 0;
  std::deque<EvidenceResult> done;
  std::uint64_t next_id = 1;
  bool stopping = false;
  std::thread worker;

  Impl(EvidenceConfig c, Clock& cl) : cfg(std::move(c)), clock(cl) {
    std::filesystem::create_directories(cfg.directory);
    recover_spools();
    worker = std::thread([this] { work(); });
  }

  ~Impl() {
    {
      std::lock_guard lock(mu);
      stopping = true;
      // Clips still recording: a spooled one stays on disk for the next start (its event is
      // committed and waits for it); the others are written with what they have.
      for (auto& [cam, jobs] : pending) {
        for (auto& j : jobs) {
          if (!j.spool) ready.push_back(std::move(j));
        }
      }
      pending.clear();
    }
    work_cv.notify_all();
    worker.join();
  }

  // Spools a previous run left: their events are committed, their clips still owed.
  void recover_spools() {
    namespace fs = std::filesystem;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(cfg.directory, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.size() <= std::strlen(kSpoolSuffix) ||
          name.compare(name.size() - std::strlen(kSpoolSuffix), std::string::npos, kSpoolSuffix) !=
              0) {
        continue;
      }
      Job j;
      j.spool_path = entry.path().string();
      ready.push_back(std::move(j));
      spdlog::info("evidence: recovering the clip of {} (the daemon stopped while recording it)",
                   name);
    }
  }

  PacketRing& ring_of(const std::string& cam) {
    auto it = rings.find(cam);
    if (it == rings.end()) {
      auto d = delays.find(cam);
      std::int64_t keep = cfg.pre_roll_ms + (d == delays.end() ? 0 : d->second);
      it = rings.emplace(cam, PacketRing(keep, cfg.ring_max_bytes)).first;
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
        for (auto& j : it->second) {
          if (j.spool) j.spool->append(*p);
          j.packets.push_back(p);
        }
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
    if (cfg.clip && pending_count >= cfg.max_pending) {
      spdlog::warn("evidence: too many pending triggers, refusing one for camera {}", t.camera_id);
      return 0;
    }
    const std::uint64_t id = next_id++;
    PacketRing& ring = ring_of(t.camera_id);
    shots.push_back(Shot{id, t, ring.since(t.time_ms)});
    if (cfg.clip) {
      Job j;
      j.id = id;
      j.packets = ring.since(t.clip_from_ms() - cfg.pre_roll_ms);
      j.deadline_steady_ms = clock.steady_ms() + cfg.post_roll_ms + cfg.max_wait_ms;
      j.trigger = std::move(t);
      std::string cam = j.trigger.camera_id;
      pending[cam].push_back(std::move(j));
      ++pending_count;
      // Already complete (post-roll 0, or a trigger in the past).
      release(cam, ring.newest_ms(), false);
    }
    work_cv.notify_one();
    return id;
  }

  std::uint64_t snapshot(Trigger t) {
    std::lock_guard lock(mu);
    const std::uint64_t id = next_id++;
    auto packets = ring_of(t.camera_id).since(t.time_ms);
    shots.push_back(Shot{id, std::move(t), std::move(packets)});
    work_cv.notify_one();
    return id;
  }

  std::string spool_path_of(const Job& j) const {
    return (std::filesystem::path(cfg.directory) /
            (safe(j.trigger.camera_id) + "_" + std::to_string(j.trigger.time_ms) + "_" +
             std::to_string(j.id) + kSpoolSuffix))
        .string();
  }

  bool bind(std::uint64_t id, const std::string& event) {
    std::lock_guard lock(mu);
    auto bind_job = [&](Job& j) {
      j.event = event;
      if (j.packets.empty()) return;
      try {
        j.spool = std::make_unique<ClipSpool>(
            spool_path_of(j),
            SpoolHeader{event, j.trigger.time_ms, j.trigger.time_ms + cfg.post_roll_ms},
            *j.packets.front()->stream);
        for (const auto& p : j.packets) j.spool->append(*p);
      } catch (const std::exception& e) {
        spdlog::warn(
            "evidence: camera {} trigger {}: cannot spool the clip ({}); it is kept in "
            "memory only",
            j.trigger.camera_id, j.id, e.what());
      }
    };
    for (auto& [cam, jobs] : pending) {
      for (auto& j : jobs) {
        if (j.id == id) {
          bind_job(j);
          return true;
        }
      }
    }
    for (auto& j : ready) {
      if (j.id == id) {
        bind_job(j);
        return true;
      }
    }
    return false;
  }

  bool idle() const {
    std::lock_guard lock(mu);
    return pending_count == 0 && shots.empty() && ready.empty() && writing == 0 && done.empty();
  }

  void work() {
    std::unique_lock lock(mu);
    for (;;) {
      work_cv.wait_for(lock, std::chrono::milliseconds(250),
                       [&] { return stopping || !ready.empty() || !shots.empty(); });
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
      // Snapshots first: their events wait for them.
      while (!shots.empty() || !ready.empty()) {
        ++writing;
        EvidenceResult r;
        if (!shots.empty()) {
          Shot shot = std::move(shots.front());
          shots.pop_front();
          lock.unlock();
          r = write_snapshot_of(shot);
        } else {
          Job job = std::move(ready.front());
          ready.pop_front();
          job.spool.reset();  // closed: complete on disk (removed once the update is committed)
          lock.unlock();
          r = write_clip_of(job);
        }
        lock.lock();
        --writing;
        done.push_back(std::move(r));
        done_cv.notify_all();
      }
      if (stopping) return;
    }
  }

  std::string base_of(const Trigger& t, std::uint64_t id) const {
    return (std::filesystem::path(cfg.directory) /
            (safe(t.camera_id) + "_" + std::to_string(t.time_ms) + "_" + std::to_string(id)))
        .string();
  }

  // Writes one file as <base><ext> via <base>.part<ext>; failures go to r.errors.
  template <typename Produce>
  void attempt(EvidenceResult& r, const std::string& base, const std::string& ext,
               const char* media_type, const char* role, Produce&& produce) {
    namespace fs = std::filesystem;
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
      spdlog::warn("evidence: camera {}: {} failed: {}", r.trigger.camera_id, role, e.what());
    }
  }

  EvidenceResult write_snapshot_of(Shot& shot) {
    EvidenceResult r;
    r.stage = EvidenceResult::Stage::kEvent;
    r.trigger_id = shot.id;
    r.trigger = shot.trigger;
    if (cfg.snapshot) {
      attempt(r, base_of(shot.trigger, shot.id), ".jpg", "image/jpeg", "snapshot",
              [&](const std::string& p) {
                r.snapshot_ms = write_snapshot(shot.packets, shot.trigger.time_ms,
                                               shot.trigger.boxes, cfg.jpeg_quality, p);
              });
    }
    return r;
  }

  EvidenceResult write_clip_of(Job& job) {
    EvidenceResult r;
    r.stage = EvidenceResult::Stage::kClip;
    r.trigger_id = job.id;
    r.trigger = job.trigger;
    r.event = job.event;
    std::int64_t end = job.trigger.time_ms + cfg.post_roll_ms;
    std::int64_t want_from = job.trigger.clip_from_ms() - cfg.pre_roll_ms;
    std::string base = base_of(job.trigger, job.id);
    if (!job.spool_path.empty()) {  // recovered: everything comes from the spool
      r.spool_path = job.spool_path;
      try {
        SpooledClip sc = read_spool(job.spool_path);
        r.event = sc.header.event;
        r.trigger.time_ms = sc.header.time_ms;
        end = sc.header.end_ms;
        want_from = INT64_MIN;
        job.packets = std::move(sc.packets);
        std::string name = std::filesystem::path(job.spool_path).filename().string();
        base = (std::filesystem::path(cfg.directory) /
                (name.substr(0, name.size() - std::strlen(kSpoolSuffix)) + "_recovered"))
                   .string();
      } catch (const std::exception& e) {
        r.errors.push_back(std::string("clip: ") + e.what());
        spdlog::warn("evidence: cannot recover {}: {}", job.spool_path, e.what());
        return r;
      }
    } else if (!job.event.empty() && !job.packets.empty()) {
      std::error_code ec;
      if (std::filesystem::exists(spool_path_of(job), ec)) r.spool_path = spool_path_of(job);
    }
    attempt(r, base, ".mp4", "video/mp4", "clip", [&](const std::string& p) {
      // Only up to the end of the post-roll.
      std::vector<capture::PacketPtr> packets;
      for (auto& pk : job.packets) {
        if (pk->time_ms > end && !packets.empty()) break;
        packets.push_back(pk);
      }
      ClipInfo ci = write_clip(packets, p);
      r.clip_start_ms = ci.start_ms;
      r.clip_end_ms = ci.end_ms;
      if (want_from != INT64_MIN && ci.start_ms > want_from) {
        spdlog::warn(
            "evidence: camera {} trigger {}: the clip starts {} ms after the pre-roll it "
            "should cover (the ring did not reach back that far)",
            job.trigger.camera_id, job.id, ci.start_ms - want_from);
      }
    });
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
void EvidenceRecorder::set_detection_delay(const std::string& camera_id, std::int64_t delay_ms) {
  std::lock_guard lock(impl_->mu);
  impl_->delays[camera_id] = std::max<std::int64_t>(0, delay_ms);
  auto it = impl_->rings.find(camera_id);
  if (it != impl_->rings.end()) it->second.set_keep_ms(impl_->cfg.pre_roll_ms + delay_ms);
}

std::uint64_t EvidenceRecorder::trigger(Trigger t) {
  return impl_->trigger(std::move(t));
}
std::uint64_t EvidenceRecorder::snapshot(Trigger t) {
  return impl_->snapshot(std::move(t));
}
bool EvidenceRecorder::bind(std::uint64_t id, const std::string& event) {
  return impl_->bind(id, event);
}
bool EvidenceRecorder::idle() const {
  return impl_->idle();
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
  s.keep_ms = it->second.keep_ms();
  return s;
}

}  // namespace gridsight::evidence
