// gridsight-edge: the edge daemon. Wires configuration, outbox, uplink and event sources,
// then waits for SIGTERM/SIGINT and shuts down cleanly (docs/edge.md).
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <memory>

#include "common/clock.h"
#include "common/config/section.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/service/notify.h"
#include "common/tls/credential_check.h"
#include "edge/capture/probe.h"
#include "edge/config/edge_config.h"
#include "edge/control/control_socket.h"
#include "edge/control/test_event_command.h"
#include "edge/daemon/device_services.h"
#include "edge/daemon/status_page.h"
#include "edge/daemon/video_pipeline.h"
#include "edge/daemon/zone_editing.h"
#include "edge/discovery/discover_command.h"
#include "edge/health/log_ring.h"
#include "edge/outbox/outbox.h"
#include "edge/status/zone_editor.h"
#include "edge/synthetic/synthetic_source.h"
#include "edge/uplink/uplink.h"

#ifndef GRIDSIGHT_VERSION
#define GRIDSIGHT_VERSION "0.0.0"
#endif

namespace gridsight::edge {
namespace {

int run(int argc, char** argv) {
  CLI::App app{"gridsight-edge: turns camera feeds into grid events, buffered and delivered"};
  std::string config_path;
  bool check_only = false;
  bool synthetic = false;
  std::string synthetic_camera, device_id, data_dir, log_level;
  double synthetic_rate = 0;
  std::int64_t synthetic_count = -1, mqtt_port = 0;
  app.add_option("-c,--config", config_path,
                 "YAML configuration file (default: embedded defaults)");
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
  app.fallthrough();  // --config and the other options also after a subcommand
  auto* test_event = app.add_subcommand(
      "test-event",
      "Ask the running daemon to raise a test event and report the aggregator's confirmation "
      "(exit 0 confirmed, 4 not in time, 5 refused, 6 no daemon)");
  std::string test_camera;
  double test_timeout_s = 60;
  test_event->add_option("--camera", test_camera, "Camera the event is for (default: the first)");
  test_event->add_option("--timeout", test_timeout_s, "Seconds to wait for the confirmation")
      ->check(CLI::Range(1.0, static_cast<double>(control::kMaxWaitMs) / 1000.0));
  discovery::DiscoverOptions discover_options;
  CLI::App* discover = discovery::add_discover_command(app, discover_options);
  CLI11_PARSE(app, argc, argv);
  if (discover->parsed()) return discovery::run_discover(std::move(discover_options));

  EdgeConfig cfg;
  try {
    cfg = config_path.empty() ? EdgeConfig::defaults() : EdgeConfig::load(config_path);
  } catch (const config::Error& e) {
    std::fprintf(stderr, "gridsight-edge: configuration error: %s\n", e.what());
    return 2;
  }
  // Command-line overrides, applied again to a reloaded configuration.
  auto overrides = [=](EdgeConfig& c) {
    if (!device_id.empty()) c.device_id = device_id;
    if (!data_dir.empty()) c.data_dir = data_dir;
    if (mqtt_port) c.mqtt.port = static_cast<int>(mqtt_port);
    if (!log_level.empty()) c.log_level = log_level;
    if (synthetic) c.synthetic.enabled = true;
    if (!synthetic_camera.empty()) c.synthetic.camera = synthetic_camera;
    if (synthetic_rate > 0) c.synthetic.rate_hz = synthetic_rate;
    if (synthetic_count >= 0) c.synthetic.count = static_cast<std::uint64_t>(synthetic_count);
  };
  overrides(cfg);
  if (cfg.synthetic.enabled) {
    if (cfg.synthetic.camera.empty() && !cfg.cameras.empty())
      cfg.synthetic.camera = cfg.cameras[0].id;
    if (!cfg.camera(cfg.synthetic.camera)) {
      std::fprintf(stderr, "gridsight-edge: synthetic source: no camera \"%s\" is configured\n",
                   cfg.synthetic.camera.c_str());
      return 2;
    }
  }
  if (test_event->parsed()) {
    return control::run_test_event(control::socket_path(cfg.data_dir), test_camera,
                                   static_cast<std::int64_t>(test_timeout_s * 1000), stdout);
  }
  if (check_only) {
    std::vector<std::string> problems;  // the MQTT client's key and certificates
    if (cfg.mqtt.tls.enabled) {
      problems = tls::check_client_files(
          {cfg.mqtt.tls.ca_file, cfg.mqtt.tls.cert_file, cfg.mqtt.tls.key_file},
          std::time(nullptr));
    }
    for (const auto& p : problems) {
      std::fprintf(stderr, "gridsight-edge: configuration error: %s\n", p.c_str());
    }
    if (problems.empty()) {
      std::printf("configuration OK: device %s, %zu camera(s)\n", cfg.device_id.c_str(),
                  cfg.cameras.size());
    }
    bool cameras_ok = true;  // each camera URL opened: reachable, codec, resolution
    for (const auto& c : cfg.cameras) {
      if (c.capture) cameras_ok = capture::probe_and_report(*c.capture, stdout) && cameras_ok;
    }
    return !problems.empty() ? 2 : cameras_ok ? 0 : 3;
  }
  setup_logging("edge", cfg.log_level);
  edge::health::LogRing::install(500);  // recent lines for the diagnostics command

  // Signals are taken synchronously by the main thread; block them before threads start.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);  // reload the configuration
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

  service::Notifier notifier;
  VideoPipeline video(cfg, outbox, clock);
  DeviceServices services(cfg, outbox, video, clock, metrics,
                          {config_path, overrides, GRIDSIGHT_VERSION, started_ms});
  auto uplink = std::make_unique<Uplink>(
      cfg.device_id, cfg.mqtt, cfg.uplink, outbox, clock, metrics,
      [&services]() { return services.telemetry(); }, GRIDSIGHT_VERSION);
  services.attach(*uplink);
  services.start();
  status::RecentEvents recent_events;
  outbox.on_append([u = uplink.get(), &recent_events] {
    u->wake();
    recent_events.notify();
  });
  uplink->start();

  if (std::size_t n = video.start()) spdlog::info("video: {} camera(s) started", n);
  // The zone editor on the status page: edits the configuration file, applied by a reload.
  ZoneEditing zones(config_path, data, services);
  auto status_page = start_status_page(
      cfg, outbox, video, metrics, recent_events,
      [&services] { return services.report().to_json(); },
      status::zone_editor_routes(
          {[&zones] { return zones.cameras(); },
           [&zones](const std::string& c, const nlohmann::json& d) { return zones.check(c, d); },
           [&zones](const std::string& c, const nlohmann::json& d) { return zones.save(c, d); }}));
  // Commands on the box itself (gridsight-edge test-event). Without it the box still delivers.
  control::ControlSocket control_socket(
      control::socket_path(data), outbox, clock,
      {[&services](const std::string& id) { return services.camera_config(id); },
       [&uplink] { return uplink->status(); }});
  try {
    control_socket.start();
  } catch (const std::exception& e) {
    spdlog::error("control: cannot start: {}", e.what());
  }

  std::unique_ptr<SyntheticSource> source;
  if (cfg.synthetic.enabled) {
    source = std::make_unique<SyntheticSource>(cfg.synthetic, *cfg.camera(cfg.synthetic.camera),
                                               outbox, clock, data / "scratch");
    source->start();
  }

  // The main loop: signals, and a heartbeat the service watchdog checks.
  service::Heartbeat main_loop;
  main_loop.beat();
  const std::int64_t stuck_ms =
      std::max<std::int64_t>(notifier.watchdog_interval_us() / 1000, 3000);
  notifier.start_watchdog([&] {
    return main_loop.recent(stuck_ms) && clock.steady_ms() - uplink->heartbeat_ms() <= stuck_ms;
  });
  notifier.ready("running: " + std::to_string(cfg.cameras.size()) + " camera(s)");
  int sig = 0;
  while (true) {
    timespec tick{1, 0};
    sig = sigtimedwait(&signals, nullptr, &tick);
    main_loop.beat();
    if (sig == SIGHUP) {
      spdlog::info("gridsight-edge: SIGHUP: reloading {}", config_path);
      notifier.reloading();
      try {
        services.reload();
      } catch (const std::exception& e) {
        spdlog::error("gridsight-edge: reload refused: {}", e.what());
      }
      notifier.ready("running (configuration reloaded)");
    } else if (sig == SIGINT || sig == SIGTERM) {
      break;
    }
  }
  spdlog::info("gridsight-edge: signal {} received, shutting down", sig);
  notifier.stopping();
  notifier.stop_watchdog();
  if (status_page) status_page->stop();
  control_socket.stop();
  recent_events.stop();
  services.stop();
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
