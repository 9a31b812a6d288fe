#include "aggregator/daemon/assembly.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "aggregator/api/api_service.h"
#include "aggregator/cases/case_service.h"
#include "aggregator/cases/class_catalog.h"
#include "aggregator/cases/working_calendar.h"
#include "aggregator/daemon/sqlite_api_stores.h"
#include "aggregator/dispatch/connector/connector.h"
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
#include "common/metrics.h"
#include "common/mqtt/session.h"
#include "protocol/ids.h"
#include "protocol/messages.h"

namespace gridsight::aggregator {

namespace {

// The grid engine's static data (docs/grid-engine.md).
struct CaseData {
  grid::GridModel grid;
  grid::CameraRegistry cameras;
  cases::ClassCatalog classes;
  cases::WorkingCalendar calendar;
  cases::EngineConfig engine;

  static std::unique_ptr<CaseData> load(const CasesConfig& c) {
    auto section = [](const std::string& file) { return config::load_file(file); };
    auto cams = section(c.cameras_file);
    auto cls = section(c.classes_file);
    auto cal = section(c.calendar_file);
    auto eng = c.engine_file.empty() ? config::load_string("{}", "<engine defaults>")
                                     : section(c.engine_file);
    return std::make_unique<CaseData>(
        CaseData{grid::GridModel::load_file(c.grid_file, {}), grid::CameraRegistry::read(cams),
                 cases::ClassCatalog::read(cls), cases::WorkingCalendar::read(cal),
                 cases::EngineConfig::read(eng)});
  }
};

}  // namespace

// Declared in construction order; each part is made from those above it. Whatever is
// referred to before it exists (the session in the ack callback, ingest in the message
// handler) is used only once the components run.
struct Assembly::Parts {
  Parts(const AggregatorConfig& c, Clock& clk, Metrics& m)
      : cfg(c),
        clock(clk),
        metrics(m),
        data((std::filesystem::create_directories(c.data_dir), c.data_dir)),
        events((data / "aggregator.db").string()),
        evidence(data / "evidence", cfg.evidence, events, metrics),
        topics(cfg.mqtt.topic_root),
        commands(
            topics,
            [this](const std::string& topic, const std::string& payload) {
              return session->publish(topic, payload, 1, false);
            },
            clock,
            [this](const fleet::CommandRecord& r) {  // the audit: the fleet table's
              if (fleet_monitor) fleet_monitor->record_command(r);
            }),
        remote_recheck(commands, cfg.fleet.command_timeout_ms, [this](const std::string& device) {
          if (!fleet_monitor) return true;
          auto d = fleet_monitor->device(device);
          return !d || d->online;  // unknown: ask anyway
        }) {
    make_session();
    if (cfg.fleet.enabled) make_fleet();
    if (cfg.cases.enabled) make_cases();
    if (cfg.api.enabled) make_api();
    make_ingest();
    declare();
  }

  // The aggregator's presence (docs/protocol.md): retained, with "lost" as the last will;
  // boxes hold their re-sends while it is away.
  mqtt::Will presence(bool online, const std::string& reason) const {
    protocol::DeviceState s;
    s.device_id = cfg.mqtt.client_id;
    s.online = online;
    s.reason = reason;
    s.session = run_id;
    s.at_ms = reason == "lost" ? 0 : clock.now_ms();
    s.clock_synced = system_clock_synchronised();
    return mqtt::Will{topics.aggregator_state(), protocol::encode(s), true};
  }

  void make_session() {
    mqtt::Session::Handlers h;
    h.on_connected = [this](bool) {
      const auto refused =
          session->subscribe({topics.all_devices(protocol::TopicKind::kEvents),
                              topics.all_devices(protocol::TopicKind::kEvidence),
                              topics.all_devices(protocol::TopicKind::kNotice),
                              topics.all_devices(protocol::TopicKind::kState),
                              topics.all_devices(protocol::TopicKind::kTelemetry),
                              topics.all_devices(protocol::TopicKind::kCommandResult)},
                             1);
      // After the broker's SUBACK: from here on no box's message is missed (tests and
      // operators wait for this line, not for "connected").
      if (refused.empty()) spdlog::info("ingest: subscribed to the boxes' topics");
      const mqtt::Will birth = presence(true, "");
      session->publish(birth.topic, birth.payload, 1, true);
    };
    h.on_message = [this](std::string topic, std::string payload) {
      if (auto t = topics.parse(topic); t && t->kind == protocol::TopicKind::kCommandResult) {
        commands.on_result(t->device_id, payload);
        return;
      }
      if (fleet_monitor) fleet_monitor->submit(topic, payload);
      ingest->submit(std::move(topic), std::move(payload));
    };
    session = std::make_unique<mqtt::Session>(cfg.mqtt, presence(false, "lost"), std::move(h),
                                              metrics, "gridsight_aggregator");
  }

  void make_fleet() {
    fleet_monitor = std::make_unique<fleet::FleetMonitor>(
        cfg.fleet, (data / cfg.fleet.database).string(), topics, clock, metrics,
        [this, topic = fleet::FleetMonitor::topic(cfg.mqtt.topic_root)](const std::string& a) {
          session->publish(topic, a, 1, false);
        });
  }

  void make_cases() {
    case_data = CaseData::load(cfg.cases);
    case_store = std::make_unique<store::SqliteCaseStore>((data / "cases.db").string());
    event_log = std::make_unique<SqliteEventStore>((data / "aggregator.db").string());
    cases::CaseServiceConfig sc;
    sc.tick_interval_ms = cfg.cases.tick_interval_ms;
    sc.poison_attempts = cfg.cases.poison_attempts;
    sc.poison_retry_ms = cfg.cases.poison_retry_ms;
    cases::RecheckChannel& recheck = cfg.fleet.recheck
                                         ? static_cast<cases::RecheckChannel&>(remote_recheck)
                                         : static_cast<cases::RecheckChannel&>(no_recheck);
    case_service = std::make_unique<cases::CaseService>(
        sc,
        [this](cases::CaseSink& outputs) {
          return std::make_unique<cases::CaseEngine>(
              case_data->grid, case_data->cameras, case_data->classes, case_data->calendar,
              *case_store, outputs, clock, case_data->engine, &metrics);
        },
        *case_store, *event_log, recheck, clock, metrics);
    case_sink = std::make_unique<MqttCaseSink>(*session, cfg.mqtt.topic_root);
    case_service->subscribe(*case_sink);
    spdlog::info("cases: grid of {} cells, {} classes; outputs on {}", case_data->grid.size(),
                 case_data->classes.size(), case_sink->topic());
    if (cfg.connector.enabled) make_connector();
  }

  void make_connector() {
    connector_reader = std::make_unique<store::SqliteCaseStore>((data / "cases.db").string());
    connector::EngineAccess access;
    access.lookup = [this](cases::CaseId id) { return connector_reader->get(id); };
    access.names = [this](const cases::Case& c) {
      connector::CaseNames n;
      if (const auto* k = case_data->classes.find(c.class_code)) n.class_name = k->name;
      if (const auto* cell = case_data->grid.find(c.cell_code)) n.cell_name = cell->name;
      return n;
    };
    access.act = [this](cases::CaseId id, const cases::Command& cmd) {
      return case_service->act(id, cmd).get();
    };
    platform = std::make_unique<connector::Connector>(cfg.connector,
                                                      (data / cfg.connector.queue_file).string(),
                                                      std::move(access), clock, metrics);
    case_service->subscribe(*platform);
  }

  void make_api() {
    api::ApiContext ctx;
    ctx.cases = case_service.get();
    use_sqlite_stores(ctx, (data / "cases.db").string(), (data / "aggregator.db").string());
    ctx.evidence_dir = data / "evidence";
    if (case_data) {
      ctx.grid = &case_data->grid;
      ctx.cameras = &case_data->cameras;
      ctx.classes = &case_data->classes;
      ctx.grid_file = cfg.cases.grid_file;
      // The calendar's UTC offset: local midnight of a day vs. that day's UTC midnight.
      constexpr std::int64_t kSomeDay = 20'000;
      ctx.utc_offset_minutes =
          static_cast<int>((kSomeDay * 86'400'000 - case_data->calendar.at(kSomeDay, 0)) / 60'000);
    }
    ctx.indicators = &cfg.indicators;
    ctx.clock = &clock;
    ctx.metrics = &metrics;
    ctx.fleet = fleet_monitor.get();
    if (platform) {  // the platform's status callback, token-authenticated by the API
      ctx.connector_callback = [this](const std::string& body) {
        const auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
        if (j.is_discarded()) {
          return std::pair<int, std::string>(
              400, R"({"error":"malformed_json","reason":"the body is not JSON"})");
        }
        const auto r = platform->apply_callback(j);
        return std::pair<int, std::string>(r.http_status, r.to_json().dump());
      };
    }
    api = std::make_unique<api::ApiService>(cfg.api, std::move(ctx));
  }

  void make_ingest() {
    Ingest::OnStored on_stored;
    if (case_service) {
      on_stored = [this](protocol::Event&& e, std::int64_t received_ms, std::int64_t row) {
        case_service->push({row, std::move(e), received_ms});
      };
    }
    ingest = std::make_unique<Ingest>(
        cfg.ingest, topics, events, evidence, clock, metrics,
        [this](const std::string& device, const std::string& payload) {
          session->publish(topics.device(device, protocol::TopicKind::kAck), payload, 1, false);
        },
        std::move(on_stored));
  }

  // One start order (this list), one stop order (its reverse), one reload path.
  void declare() {
    if (case_service) {
      list.add({"cases", [this] { case_service->start(); }, [this] { case_service->stop(); }, {}});
    }
    if (platform) {
      list.add({"connector",
                [this] {
                  platform->start();
                  spdlog::info("connector: cases go to {} (platform:{})", cfg.connector.endpoint,
                               cfg.connector.name);
                },
                [this] { platform->stop(); },
                {}});
    }
    if (api) list.add({"api", [this] { api->start(); }, [this] { api->stop(); }, {}});
    if (fleet_monitor) {
      list.add(
          {"fleet", [this] { fleet_monitor->start(); }, [this] { fleet_monitor->stop(); }, {}});
    }
    list.add({"ingest",
              [this] {
                const auto counts = events.counts();
                spdlog::info("ingest: {} events from {} devices stored so far", counts.events,
                             counts.devices);
                ingest->start();
              },
              [this] { ingest->stop(); },
              {}});
    list.add({"mqtt",
              [this] { session->start(); },
              [this] {
                session->stop(presence(false, "shutdown"));
                commands.stop();  // its waiters (re-checks) hear "stopped" while they exist
              },
              {}});
  }

  AggregatorConfig cfg;
  Clock& clock;
  Metrics& metrics;
  const std::string run_id = protocol::new_event_id();
  std::filesystem::path data;
  SqliteEventStore events;  // ingest's connection
  EvidenceReceiver evidence;
  protocol::Topics topics;
  fleet::CommandClient commands;
  cases::NoRecheckChannel no_recheck;
  fleet::RemoteRecheck remote_recheck;
  std::unique_ptr<mqtt::Session> session;
  std::unique_ptr<fleet::FleetMonitor> fleet_monitor;
  std::unique_ptr<CaseData> case_data;
  std::unique_ptr<store::SqliteCaseStore> case_store;  // the case service's
  std::unique_ptr<SqliteEventStore> event_log;         // the case service's replay reader
  std::unique_ptr<cases::CaseService> case_service;
  std::unique_ptr<MqttCaseSink> case_sink;
  std::unique_ptr<store::SqliteCaseStore> connector_reader;
  std::unique_ptr<connector::Connector> platform;
  std::unique_ptr<api::ApiService> api;
  std::unique_ptr<Ingest> ingest;
  Components list;
  std::uint64_t last_stored = 0;
};

Assembly::Assembly(const AggregatorConfig& config, Clock& clock, Metrics& metrics)
    : p_(std::make_unique<Parts>(config, clock, metrics)) {}

Assembly::~Assembly() {
  p_->list.stop();
}

Components& Assembly::components() {
  return p_->list;
}

void Assembly::log_summary() {
  const auto s = p_->ingest->stats();
  if (s.stored != p_->last_stored || s.dead_letters) {
    spdlog::info("ingest: {} events stored (+{}), {} duplicates, {} dead letters, {} batches",
                 s.stored, s.stored - p_->last_stored, s.duplicates, s.dead_letters, s.batches);
    p_->last_stored = s.stored;
  }
  if (p_->case_service) {
    const auto c = p_->case_service->stats();
    if (c.queue_depth || c.dead_events || c.rechecks_in_flight) {
      spdlog::info("cases: {} events taken, {} waiting, {} dead-lettered, {} re-checks in flight",
                   c.events_taken, c.queue_depth, c.dead_events, c.rechecks_in_flight);
    }
  }
}

}  // namespace gridsight::aggregator
