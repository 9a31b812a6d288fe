// gridsight-aggregator: the central service. Subscribes to every edge, stores and confirms
// their events, and (as the grid engine lands) turns them into cases (docs/aggregator.md).
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "aggregator/api/api_service.h"
#include "aggregator/cases/case_engine.h"
#include "aggregator/cases/class_catalog.h"
#include "aggregator/cases/working_calendar.h"
#include "aggregator/config/aggregator_config.h"
#include "aggregator/daemon/case_feed.h"
#include "aggregator/dispatch/connector/connector.h"
#include "aggregator/dispatch/fanout_sink.h"
#include "aggregator/dispatch/mqtt_case_sink.h"
#include "aggregator/fleet/command_client.h"
#include "aggregator/fleet/fleet_monitor.h"
#include "aggregator/grid/camera_registry.h"
#include "aggregator/grid/grid_model.h"
#include "aggregator/ingest/evidence_receiver.h"
#include "aggregator/ingest/ingest.h"
#include "aggregator/store/sqlite/sqlite_case_store.h"
#include "aggregator/store/sqlite/sqlite_event_store.h"
#include "common/clock.h"
#include "common/config/section.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/mqtt/session.h"
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
  const std::filesystem::path data(cfg.data_dir);
  std::filesystem::create_directories(data);
  SqliteEventStore store((data / "aggregator.db").string());
  EvidenceReceiver evidence(data / "evidence", cfg.evidence, store, metrics);
  protocol::Topics topics(cfg.mqtt.topic_root);

  std::unique_ptr<mqtt::Session> session;
  Ingest ingest(cfg.ingest, topics, store, evidence, clock, metrics,
                [&](const std::string& device, const std::string& payload) {
                  session->publish(topics.device(device, protocol::TopicKind::kAck), payload, 1,
                                   false);
                });
  mqtt::Session::Handlers h;
  h.on_connected = [&](bool) {
    session->subscribe({topics.all_devices(protocol::TopicKind::kEvents),
                        topics.all_devices(protocol::TopicKind::kEvidence),
                        topics.all_devices(protocol::TopicKind::kNotice),
                        topics.all_devices(protocol::TopicKind::kState),
                        topics.all_devices(protocol::TopicKind::kTelemetry),
                        topics.all_devices(protocol::TopicKind::kCommandResult)},
                       1);
  };
  // Fleet table and alerts, remote commands (docs/fleet.md).
  std::unique_ptr<fleet::FleetMonitor> fleet_monitor;
  if (cfg.fleet.enabled) {
    fleet_monitor = std::make_unique<fleet::FleetMonitor>(
        cfg.fleet, (data / cfg.fleet.database).string(), topics, clock, metrics,
        [&, topic = fleet::FleetMonitor::topic(cfg.mqtt.topic_root)](const std::string& alert) {
          session->publish(topic, alert, 1, false);
        });
  }
  fleet::CommandClient commands(
      topics,
      [&](const std::string& topic, const std::string& payload) {
        return session->publish(topic, payload, 1, false);
      },
      clock);
  h.on_message = [&](std::string topic, std::string payload) {
    if (auto t = topics.parse(topic); t && t->kind == protocol::TopicKind::kCommandResult) {
      commands.on_result(t->device_id, payload);
      return;
    }
    if (fleet_monitor) fleet_monitor->submit(topic, payload);
    ingest.submit(std::move(topic), std::move(payload));
  };
  session = std::make_unique<mqtt::Session>(cfg.mqtt, std::nullopt, std::move(h), metrics,
                                            "gridsight_aggregator");
  // The grid engine (optional): stored events become cases.
  struct CaseParts {
    grid::GridModel grid;
    grid::CameraRegistry cameras;
    cases::ClassCatalog classes;
    cases::WorkingCalendar calendar;
    cases::EngineConfig engine_config;
  };
  std::unique_ptr<CaseParts> parts;
  std::unique_ptr<store::SqliteCaseStore> case_store;
  std::unique_ptr<MqttCaseSink> case_sink;
  std::unique_ptr<api::FeedNotifyingSink> notifying_sink;
  cases::NoRecheckChannel no_recheck;
  fleet::RemoteRecheck remote_recheck(commands, cfg.fleet.command_timeout_ms,
                                      [&](const std::string& device) {
                                        if (!fleet_monitor) return true;
                                        auto d = fleet_monitor->device(device);
                                        return !d || d->online;  // unknown: ask anyway
                                      });
  cases::RecheckChannel& recheck =
      cfg.fleet.recheck ? static_cast<cases::RecheckChannel&>(remote_recheck) : no_recheck;
  FanoutSink outputs;  // MQTT, the platform connector, ...
  std::unique_ptr<connector::Connector> platform;
  std::unique_ptr<cases::CaseEngine> engine;
  std::unique_ptr<CaseFeed> feed;
  if (cfg.cases.enabled) {
    auto section = [](const std::string& file) { return config::load_file(file); };
    auto cams = section(cfg.cases.cameras_file);
    auto cls = section(cfg.cases.classes_file);
    auto cal = section(cfg.cases.calendar_file);
    auto eng = cfg.cases.engine_file.empty() ? config::load_string("{}", "<engine defaults>")
                                             : section(cfg.cases.engine_file);
    parts = std::make_unique<CaseParts>(
        CaseParts{grid::GridModel::load_file(cfg.cases.grid_file, {}),
                  grid::CameraRegistry::read(cams), cases::ClassCatalog::read(cls),
                  cases::WorkingCalendar::read(cal), cases::EngineConfig::read(eng)});
    case_store = std::make_unique<store::SqliteCaseStore>((data / "cases.db").string());
    case_sink = std::make_unique<MqttCaseSink>(*session, cfg.mqtt.topic_root);
    outputs.add(*case_sink);
    if (cfg.connector.enabled) {
      connector::EngineAccess access;
      access.lookup = [&](cases::CaseId id) { return case_store->get(id); };  // engine thread
      access.names = [&](const cases::Case& c) {
        connector::CaseNames n;
        if (const auto* k = parts->classes.find(c.class_code)) n.class_name = k->name;
        if (const auto* cell = parts->grid.find(c.cell_code)) n.cell_name = cell->name;
        return n;
      };
      access.act = [&](cases::CaseId id, const cases::Command& cmd) {
        return feed->with_engine([&](cases::CaseEngine& e) { return e.act(id, cmd); });
      };
      platform = std::make_unique<connector::Connector>(cfg.connector,
                                                        (data / cfg.connector.queue_file).string(),
                                                        std::move(access), clock, metrics);
      outputs.add(*platform);
    }
    notifying_sink = std::make_unique<api::FeedNotifyingSink>(outputs);  // then the live feed
    engine = std::make_unique<cases::CaseEngine>(parts->grid, parts->cameras, parts->classes,
                                                 parts->calendar, *case_store, *notifying_sink,
                                                 recheck, clock, parts->engine_config, &metrics);
    feed = std::make_unique<CaseFeed>((data / "aggregator.db").string(), *engine, clock,
                                      cfg.cases.tick_interval_ms);
    spdlog::info("cases: grid of {} cells, {} classes; outputs on {}", parts->grid.size(),
                 parts->classes.size(), case_sink->topic());
  }

  // The HTTP API (optional; docs/api.md).
  std::unique_ptr<api::ApiService> api_service;
  if (cfg.api.enabled) {
    api::ApiContext ctx;
    ctx.engine = engine.get();
    ctx.engine_mutex = feed ? &feed->engine_mutex() : nullptr;
    ctx.case_db_path = (data / "cases.db").string();
    ctx.event_db_path = (data / "aggregator.db").string();
    ctx.evidence_dir = data / "evidence";
    if (parts) {
      ctx.grid = &parts->grid;
      ctx.cameras = &parts->cameras;
      ctx.classes = &parts->classes;
      ctx.grid_file = cfg.cases.grid_file;
      // The calendar's UTC offset: local midnight of a day vs. that day's UTC midnight.
      constexpr std::int64_t kSomeDay = 20'000;
      ctx.utc_offset_minutes =
          static_cast<int>((kSomeDay * 86'400'000 - parts->calendar.at(kSomeDay, 0)) / 60'000);
    }
    ctx.indicators = &cfg.indicators;
    ctx.clock = &clock;
    ctx.metrics = &metrics;
    ctx.fleet = fleet_monitor.get();
    if (platform) {  // the platform's status callback, token-authenticated by the API
      ctx.connector_callback = [&platform](const std::string& body) {
        const auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
        if (j.is_discarded()) {
          return std::pair<int, std::string>(
              400, R"({"error":"malformed_json","reason":"the body is not JSON"})");
        }
        const auto r = platform->apply_callback(j);
        return std::pair<int, std::string>(r.http_status, r.to_json().dump());
      };
    }
    api_service = std::make_unique<api::ApiService>(cfg.api, std::move(ctx));
    if (notifying_sink) notifying_sink->set_service(api_service.get());
    api_service->start();
  }

  const auto counts = store.counts();
  spdlog::info("gridsight-aggregator {}: {} events from {} devices stored so far",
               GRIDSIGHT_VERSION, counts.events, counts.devices);
  ingest.start();
  if (fleet_monitor) fleet_monitor->start();
  session->start();
  if (feed) feed->start();
  if (platform) {
    platform->start();
    spdlog::info("connector: cases go to {} (platform:{})", cfg.connector.endpoint,
                 cfg.connector.name);
  }
  service::Notifier notifier;
  service::Heartbeat main_loop;
  main_loop.beat();
  const std::int64_t stuck_ms =
      std::max<std::int64_t>(notifier.watchdog_interval_us() / 1000, 30'000);
  notifier.start_watchdog([&] { return main_loop.recent(stuck_ms); });
  notifier.ready("running");

  // A summary line every 10 s, and the wait for a signal.
  timespec tick{1, 0};
  std::uint64_t last_stored = 0;
  std::int64_t last_summary = clock.steady_ms();
  while (true) {
    tick = {1, 0};
    int sig = sigtimedwait(&signals, nullptr, &tick);
    main_loop.beat();
    if (sig == SIGHUP) {
      spdlog::info("gridsight-aggregator: SIGHUP: nothing to reload without a restart");
      continue;
    }
    if (sig == SIGINT || sig == SIGTERM) {
      spdlog::info("gridsight-aggregator: signal {} received, shutting down", sig);
      break;
    }
    if (clock.steady_ms() - last_summary < 10'000) continue;
    last_summary = clock.steady_ms();
    auto s = ingest.stats();
    if (s.stored != last_stored || s.dead_letters) {
      spdlog::info("ingest: {} events stored (+{}), {} duplicates, {} dead letters, {} batches",
                   s.stored, s.stored - last_stored, s.duplicates, s.dead_letters, s.batches);
      last_stored = s.stored;
    }
  }
  if (platform) platform->stop();
  notifier.stopping();
  notifier.stop_watchdog();
  if (api_service) api_service->stop();
  if (feed) feed->stop();
  session->stop();
  if (fleet_monitor) fleet_monitor->stop();
  ingest.stop();
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
