#include "edge/synthetic/synthetic_source.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <fstream>

#include "common/clock.h"
#include "edge/outbox/outbox.h"

namespace gridsight::edge {

SyntheticSource::SyntheticSource(SyntheticConfig config, CameraConfig camera, Outbox& outbox,
                                 Clock& clock, std::filesystem::path scratch_dir)
    : config_(std::move(config)),
      camera_(std::move(camera)),
      outbox_(outbox),
      clock_(clock),
      scratch_dir_(std::move(scratch_dir)) {}

SyntheticSource::~SyntheticSource() { stop(); }

void SyntheticSource::start() {
  if (running_.exchange(true)) return;
  std::filesystem::create_directories(scratch_dir_);
  spdlog::warn("synthetic source ON for camera {}: {} events/s of type {} (not real video)",
               camera_.id, config_.rate_hz, config_.type);
  thread_ = std::thread([this] { run(); });
}

void SyntheticSource::stop() {
  running_ = false;
  if (thread_.joinable()) thread_.join();
}

protocol::Event synthetic_event(const CameraConfig& camera, const std::string& type,
                                std::int64_t now_ms, std::uint64_t n, const std::string& source) {
  protocol::Event e;
  e.camera_id = camera.id;
  e.type = type;
  e.start_ms = now_ms;
  e.end_ms = now_ms;
  e.clock_synced = system_clock_synchronised();
  e.confidence = 1.0;
  e.zone = "synthetic";
  e.location = camera.location;
  // A box that wanders across the frame, so consecutive events differ.
  const double phase = static_cast<double>(n % 100) / 100.0;
  e.boxes.push_back({0.8 * phase, 0.4, 0.2, 0.3, "person", 0.9, static_cast<std::int64_t>(n)});
  e.attributes["source"] = source;
  e.attributes["n"] = std::to_string(n);
  return e;
}

Draft SyntheticSource::make_draft(std::uint64_t n, std::int64_t now_ms) {
  Draft d;
  d.event = synthetic_event(camera_, config_.type, now_ms, n, "synthetic");
  if (config_.evidence_bytes > 0) {
    // Deterministic bytes, unique per event (so every event has its own evidence object).
    auto path = scratch_dir_ / ("synthetic-" + std::to_string(now_ms) + "-" + std::to_string(n) + ".bin");
    std::ofstream out(path, std::ios::binary);
    std::string block = "SYNTHETIC-SNAPSHOT " + camera_.id + " " + std::to_string(n) + "\n";
    std::uint64_t written = 0;
    while (written < config_.evidence_bytes) {
      auto k = std::min<std::uint64_t>(block.size(), config_.evidence_bytes - written);
      out.write(block.data(), static_cast<std::streamsize>(k));
      written += k;
    }
    out.close();
    d.evidence.push_back({path, "image/jpeg", "snapshot"});
  }
  return d;
}

void SyntheticSource::run() {
  const auto t0 = std::chrono::steady_clock::now();
  const auto tick = std::chrono::milliseconds(
      std::clamp<std::int64_t>(static_cast<std::int64_t>(1000.0 / config_.rate_hz), 5, 1000));
  std::uint64_t done = 0;
  while (running_) {
    const double elapsed_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    auto due = static_cast<std::uint64_t>(std::floor(elapsed_s * config_.rate_hz)) + 1;
    if (config_.count > 0) due = std::min(due, config_.count);
    if (due > done) {
      const std::int64_t now = clock_.now_ms();
      std::vector<Draft> batch;
      const std::uint64_t n = std::min<std::uint64_t>(due - done, 1000);
      for (std::uint64_t i = 0; i < n; ++i) batch.push_back(make_draft(done + i + 1, now));
      try {
        outbox_.append(std::move(batch));
        done += n;
        produced_ = done;
      } catch (const std::exception& e) {
        spdlog::error("synthetic source: cannot append: {}", e.what());
      }
    }
    if (config_.count > 0 && done >= config_.count) {
      spdlog::info("synthetic source: produced all {} events", done);
      break;
    }
    std::this_thread::sleep_for(tick);
  }
}

}  // namespace gridsight::edge
