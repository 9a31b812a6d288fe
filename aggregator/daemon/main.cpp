// gridsight-aggregator: the central service. Subscribes to every edge, stores and confirms
// their events, and (as the grid engine lands) turns them into cases (docs/aggregator.md).
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <ctime>

#include "aggregator/config/aggregator_config.h"
#include "aggregator/daemon/assembly.h"
#include "aggregator/daemon/check_config.h"
#include "common/clock.h"
#include "common/config/section.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/service/notify.h"

#ifndef GRIDSIGHT_VERSION
#define GRIDSIGHT_VERSION "0.0.0"
#endif

namespace gridsight::aggregator {
namespace {

int run(int argc, char** argv) {
  CLI::App app{"gridsight-aggregator: collects edge events into grid cases"};
  std::string config_path, data_dir, log_level;
  std::int64_t mqtt_port = 0;
  bool check_only = false, log_events = false;
  app.add_option("-c,--config", config_path,
                 "YAML configuration file (default: embedded defaults)");
  app.add_flag("--check-config", check_only, "Validate the configuration and exit");
  app.add_option("--data-dir", data_dir, "Override data_dir");
  app.add_option("--mqtt-port", mqtt_port, "Override mqtt.port")->check(CLI::Range(1, 65535));
  app.add_option("--log-level", log_level, "Override log_level");
  app.add_flag("--log-events", log_events, "Log every stored event (demo)");
  CLI11_PARSE(app, argc, argv);

  AggregatorConfig cfg;
  try {
    cfg = config_path.empty() ? AggregatorConfig::defaults() : AggregatorConfig::load(config_path);
  } catch (const config::Error& e) {
    std::fprintf(stderr, "gridsight-aggregator: configuration error: %s\n", e.what());
    return 2;
  }
  if (!data_dir.empty()) cfg.data_dir = data_dir;
  if (mqtt_port) cfg.mqtt.port = static_cast<int>(mqtt_port);
  if (!log_level.empty()) cfg.log_level = log_level;
  if (log_events) cfg.ingest.log_events = true;
  if (check_only) {
    const auto problems = check_config_files(cfg, std::time(nullptr));
    for (const auto& p : problems) {
      std::fprintf(stderr, "gridsight-aggregator: configuration error: %s\n", p.c_str());
    }
    if (!problems.empty()) return 2;
    std::printf("configuration OK\n");
    return 0;
  }
  setup_logging("aggregator", cfg.log_level);

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Clock& clock = SystemClock::instance();
  Metrics metrics;
  Assembly parts(cfg, clock, metrics);
  spdlog::info("gridsight-aggregator {} starting", GRIDSIGHT_VERSION);
  parts.components().start();
  service::Notifier notifier;
  service::Heartbeat main_loop;
  main_loop.beat();
  const std::int64_t stuck_ms =
      std::max<std::int64_t>(notifier.watchdog_interval_us() / 1000, 30'000);
  notifier.start_watchdog([&] { return main_loop.recent(stuck_ms); });
  notifier.ready("running");

  // A summary line every 10 s, and the wait for a signal.
  std::int64_t last_summary = clock.steady_ms();
  while (true) {
    timespec tick{1, 0};
    int sig = sigtimedwait(&signals, nullptr, &tick);
    main_loop.beat();
    if (sig == SIGHUP) {
      const auto fixed = parts.components().reload();
      spdlog::info("gridsight-aggregator: SIGHUP: {} part(s) need a restart to change",
                   fixed.size());
      continue;
    }
    if (sig == SIGINT || sig == SIGTERM) {
      spdlog::info("gridsight-aggregator: signal {} received, shutting down", sig);
      break;
    }
    if (clock.steady_ms() - last_summary < 10'000) continue;
    last_summary = clock.steady_ms();
    parts.log_summary();
  }
  notifier.stopping();
  notifier.stop_watchdog();
  parts.components().stop();
  return 0;
}

}  // namespace
}  // namespace gridsight::aggregator

int main(int argc, char** argv) {
  try {
    return gridsight::aggregator::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gridsight-aggregator: fatal: %s\n", e.what());
    return 1;
  }
}
