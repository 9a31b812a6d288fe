// gridsight-edge: the edge daemon. Wires configuration, outbox, uplink and event sources,
// then waits for SIGTERM/SIGINT and shuts down cleanly (docs/edge.md).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <csignal>
#include <filesystem>
#include <memory>

#include "common/clock.h"
#include "common/config/section.h"
#include "common/log.h"
#include "common/metrics.h"
#include "edge/capture/probe.h"
#include "edge/config/edge_config.h"
#include "edge/daemon/video_pipeline.h"
#include "edge/outbox/outbox.h"
#include "edge/synthetic/synthetic_source.h"
#include "edge/uplink/uplink.h"

#ifndef GRIDSIGHT_VERSION
#define GRIDSIGHT_VERSION "0.0.0"
#endif

namespace gridsight::edge {
namespace {

std::string telemetry_json(const std::string& device_id, Outbox& outbox, const Uplink* uplink,
                           const VideoPipeline* video, Clock& clock, std::int64_t started_ms) {
  const auto s = outbox.stats();
  nlohmann::json j;
  j["schema"] = "1.0";
  j["device_id"] = device_id;
  j["at_ms"] = clock.now_ms();
  j["version"] = GRIDSIGHT_VERSION;
  j["uptime_s"] = (clock.now_ms() - started_ms) / 1000;
  j["clock_synced"] = system_clock_synchronised();
  j["outbox"] = {{"pending", s.pending},
                 {"pending_bytes", s.pending_bytes},
                 {"oldest_pending_ms", s.oldest_pending_ms ? nlohmann::json(*s.oldest_pending_ms)
                                                           : nlohmann::json(nullptr)},
                 {"last_seq", s.last_seq},
                 {"confirmed_total", s.confirmed_total},
                 {"evicted_total", s.evicted_total},
                 {"dead_lettered_total", s.dead_lettered_total},
                 {"evidence_pending", s.evidence_pending},
                 {"evidence_bytes", s.evidence_bytes},
                 {"evidence_evicted_total", s.evidence_evicted_total},
                 {"notices_pending", s.notices_pending}};
  if (uplink) {
    const auto u = uplink->status();
    j["uplink"] = {{"connected", u.connected},        {"unconfirmed", u.unconfirmed},
                   {"published_total", u.published_total}, {"resent_total", u.resent_total},
                   {"refused_total", u.refused_total},     {"last_error", u.last_error}};
  }
  if (video) {
    nlohmann::json cams = nlohmann::json::array();
    for (const auto& h : video->health()) {
      cams.push_back({{"id", h.camera_id},
                      {"state", capture::to_string(h.state)},
                      {"input_fps", h.input_fps},
                      {"decoded_fps", h.decoded_fps},
                      {"analysed_fps", h.analysed_fps},
                      {"dropped", h.dropped},
                      {"decode_errors", h.decode_errors},
                      {"reconnects", h.reconnects},
                      {"last_error", h.last_error},
                      {"codec", h.codec},
                      {"width", h.width},
                      {"height", h.height},
                      {"decoder", h.decoder}});
    }
    j["cameras"] = std::move(cams);
  }
  return j.dump();
}

int run(int argc, char** argv) {
  CLI::App app{"gridsight-edge: turns camera feeds into grid events, buffered and delivered"};
  std::string config_path;
  bool check_only = false;
  bool synthetic = false;
  std::string synthetic_camera, device_id, data_dir, log_level;
  double synthetic_rate = 0;
  std::int64_t synthetic_count = -1, mqtt_port = 0;
  app.add_option("-c,--config", config_path, "YAML configuration file (default: embedded defaults)");
  app.add_flag("--check-config", check_only,
               "Validate the configuration, probe each camera URL and exit (2: invalid, 3: a "
               "camera is unreachable)");
  app.add_option("--device-id", device_id, "Override device_id");
  app.add_option("--data-dir", data_dir, "Override data_dir (outbox and evidence)");
  app.add_option("--mqtt-port", mqtt_port, "Override mqtt.port")->check(CLI::Range(1, 65535));
  app.add_option("--log-level", log_level, "Override log_level");
  app.add_flag("--synthetic", synthetic,
               "Enable the synthetic event source (tests, benchmarks, demos without video)");
  app.add_option("--synthetic-camera", synthetic_camera, "Camera the synthetic source reports for");
  app.add_option("--synthetic-rate", synthetic_rate, "Synthetic events per second")
      ->check(CLI::Range(0.001, 100000.0));
  app.add_option("--synthetic-count", synthetic_count, "Stop after this many synthetic events")
      ->check(CLI::NonNegativeNumber);
  CLI11_PARSE(app, argc, argv);

  EdgeConfig cfg;
  try {
    cfg = config_path.empty() ? EdgeConfig::defaults() : EdgeConfig::load(config_path);
  } catch (const config::Error& e) {
    std::fprintf(stderr, "gridsight-edge: configuration error: %s\n", e.what());
    return 2;
  }
  if (!device_id.empty()) cfg.device_id = device_id;
  if (!data_dir.empty()) cfg.data_dir = data_dir;
  if (mqtt_port) cfg.mqtt.port = static_cast<int>(mqtt_port);
  if (!log_level.empty()) cfg.log_level = log_level;
  if (synthetic) cfg.synthetic.enabled = true;
  if (!synthetic_camera.empty()) cfg.synthetic.camera = synthetic_camera;
  if (synthetic_rate > 0) cfg.synthetic.rate_hz = synthetic_rate;
  if (synthetic_count >= 0) cfg.synthetic.count = static_cast<std::uint64_t>(synthetic_count);
  if (cfg.synthetic.enabled) {
    if (cfg.synthetic.camera.empty() && !cfg.cameras.empty()) cfg.synthetic.camera = cfg.cameras[0].id;
    if (!cfg.camera(cfg.synthetic.camera)) {
      std::fprintf(stderr, "gridsight-edge: synthetic source: no camera \"%s\" is configured\n",
                   cfg.synthetic.camera.c_str());
      return 2;
    }
  }
  if (check_only) {
    std::printf("configuration OK: device %s, %zu camera(s)\n", cfg.device_id.c_str(),
                cfg.cameras.size());
    bool cameras_ok = true;  // each camera URL opened: reachable, codec, resolution
    for (const auto& c : cfg.cameras) {
      if (c.capture) cameras_ok = capture::probe_and_report(*c.capture, stdout) && cameras_ok;
    }
    return cameras_ok ? 0 : 3;
  }
  setup_logging("edge", cfg.log_level);

  // Signals are taken synchronously by the main thread; block them before threads start.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Clock& clock = SystemClock::instance();
  const std::int64_t started_ms = clock.now_ms();
  Metrics metrics;
  const std::filesystem::path data(cfg.data_dir);
  std::filesystem::create_directories(data);
  Outbox outbox(data / "outbox", cfg.device_id, cfg.outbox, clock, metrics);
  const auto st = outbox.stats();
  spdlog::info("gridsight-edge {} device {}: outbox {} pending events (last seq {})",
               GRIDSIGHT_VERSION, cfg.device_id, st.pending, st.last_seq);

  VideoPipeline video(cfg, outbox, clock);
  std::unique_ptr<Uplink> uplink;
  uplink = std::make_unique<Uplink>(
      cfg.device_id, cfg.mqtt, cfg.uplink, outbox, clock, metrics,
      [&]() {
        return telemetry_json(cfg.device_id, outbox, uplink.get(), &video, clock, started_ms);
      },
      GRIDSIGHT_VERSION);
  outbox.on_append([u = uplink.get()] { u->wake(); });
  uplink->start();

  if (std::size_t n = video.start()) spdlog::info("video: {} camera(s) started", n);

  std::unique_ptr<SyntheticSource> source;
  if (cfg.synthetic.enabled) {
    source = std::make_unique<SyntheticSource>(cfg.synthetic, *cfg.camera(cfg.synthetic.camera),
                                               outbox, clock, data / "scratch");
    source->start();
  }

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("gridsight-edge: signal {} received, shutting down", sig);
  if (source) source->stop();
  video.stop();  // commits what it has before the uplink says goodbye
  uplink->stop();
  const auto end = outbox.stats();
  spdlog::info("gridsight-edge: stopped with {} events pending in the outbox", end.pending);
  return 0;
}

}  // namespace
}  // namespace gridsight::edge

int main(int argc, char** argv) {
  try {
    return gridsight::edge::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gridsight-edge: fatal: %s\n", e.what());
    return 1;
  }
}
