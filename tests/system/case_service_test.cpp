// The case service in the real aggregator (docs/architecture.md): a re-check to a box that
// never answers does not hold up a person's action; a poison event is dead-lettered while
// the events after it are filed; kill -9 between storing and filing is replayed from the
// cursor without filing twice; /metrics agrees with the API and the store and is refused
// without credentials.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/http/password.h"
#include "common/sqlite/database.h"
#include "protocol/event.h"
#include "protocol/ids.h"
#include "protocol/topics.h"
#include "tests/support/harness.h"
#include "tests/support/raw_http.h"

namespace gridsight::test {
namespace {

using json = nlohmann::json;

constexpr const char* kToken = "case-service-test-token";
constexpr const char* kCamera = "11010500001320000001";  // config/grid/cameras.yaml

std::string auth() {
  return std::string("Authorization: Bearer ") + kToken + "\r\n";
}

// config/grid with road-occupying stalls (09006) self-correcting after 1 s instead of 5 min.
std::string config_yaml(const TempDir& dir, int api_port, const std::string& more) {
  const std::string src = std::string(GRIDSIGHT_SOURCE_DIR) + "/config/grid/";
  std::string classes = read_file(src + "classes.yaml");
  const std::string from = "self_correction: 5m}";
  const auto at = classes.find(from);
  EXPECT_NE(at, std::string::npos);
  classes.replace(at, from.size(), "self_correction: 1s}");
  write_file(dir / "classes.yaml", classes);
  return "cases:\n"
         "  enabled: true\n"
         "  grid_file: " +
         src +
         "district-example.geojson\n"
         "  cameras_file: " +
         src +
         "cameras.yaml\n"
         "  classes_file: " +
         (dir / "classes.yaml").string() +
         "\n"
         "  calendar_file: " +
         src +
         "calendar-2026.yaml\n"
         "  engine_file: " +
         src +
         "engine.yaml\n"
         "  tick_interval: 200ms\n" +
         more +
         "api:\n"
         "  enabled: true\n"
         "  port: " +
         std::to_string(api_port) +
         "\n"
         "  tokens:\n"
         "    - {name: ops, role: dispatcher, token_sha256: " +
         http::token_digest(kToken) + "}\n";
}

// A valid event of `device`, published with the real mosquitto_pub.
void publish_event(const Mosquitto& broker, const TempDir& dir, const std::string& device,
                   const std::string& event_id, const std::string& type, std::uint64_t seq) {
  protocol::Event e;
  e.event_id = event_id;
  e.device_id = device;
  e.camera_id = kCamera;
  e.seq = seq;
  e.type = type;
  e.start_ms = SystemClock::instance().now_ms();
  e.clock_synced = true;
  e.confidence = 0.9;
  protocol::Topics topics("gridsight");
  ASSERT_EQ(mosquitto_pub(broker.port(), topics.device(device, protocol::TopicKind::kEvents),
                          protocol::encode(e), dir.path()),
            0);
}

bool api_up(int port) {
  return port_accepts(port) &&
         request(static_cast<std::uint16_t>(port), "GET", "/healthz").status == 200;
}

// One figure of a Prometheus page: the line "name{labels} value" (labels as written).
std::optional<double> figure(const std::string& page, const std::string& series) {
  const auto at = page.find("\n" + series + " ");
  if (at == std::string::npos) return std::nullopt;
  return std::stod(page.substr(at + series.size() + 2));
}

std::string metrics(int port) {
  Reply r = request(static_cast<std::uint16_t>(port), "GET", "/metrics", "", auth());
  EXPECT_EQ(r.status, 200) << r.body;
  return "\n" + r.body;
}

TEST(CaseServiceSystem, AnActionCompletesWhileARecheckToASilentBoxIsInFlight) {
  TempDir dir("gridsight-case-service-recheck");
  Mosquitto broker(dir / "broker");
  broker.start();
  const int port = free_port();
  AggregatorSpec as;
  as.mqtt_port = broker.port();
  // Re-checks wait up to 10 minutes for the box: far longer than this test runs.
  as.extra_yaml = config_yaml(dir, port,
                              "fleet:\n  enabled: true\n  recheck: true\n"
                              "  command_timeout: 10m\n");
  Aggregator agg(dir.path(), as);
  agg.start();
  ASSERT_TRUE(wait_until([&] { return api_up(port); }, 60s)) << agg.process().log_tail();
  // Events published by hand reach only a subscribed aggregator.
  ASSERT_TRUE(agg.process().wait_for_log("ingest: subscribed", 60s)) << agg.process().log_tail();

  // A stall seen by a box that never answers commands: its self-correction ends in a re-check.
  publish_event(broker, dir, "edge-silent", protocol::new_event_id(), "vendor.stall", 1);
  ASSERT_TRUE(wait_until(
      [&] { return figure(metrics(port), "gridsight_case_rechecks_in_flight") == 1.0; }, 60s))
      << agg.process().log_tail();
  Reply listed = request(port, "GET", "/api/v1/cases?state=self_correction", "", auth());
  ASSERT_EQ(listed.status, 200) << listed.body;
  ASSERT_EQ(listed.j()["items"].size(), 1u) << listed.body;
  const std::int64_t waiting = listed.j()["items"][0]["id"];

  // Meanwhile a dispatcher reports a case and parks it: both complete...
  Reply created =
      request(port, "POST", "/api/v1/cases",
              json{{"class_code", "06001"},
                   {"location", {{"lon", 116.4500}, {"lat", 39.9102}, {"crs", "WGS84"}}},
                   {"description", "shed on the pavement"}}
                  .dump(),
              auth());
  ASSERT_EQ(created.status, 201) << created.body;
  const std::int64_t id = created.j()["case"]["id"];
  Reply parked = request(port, "POST", "/api/v1/cases/" + std::to_string(id) + "/actions",
                         R"({"action":"park","note":"waiting for the owner"})", auth());
  ASSERT_EQ(parked.status, 200) << parked.body;
  EXPECT_EQ(parked.j()["state"], "parked");
  // ...while the re-check is still unanswered: the stall still waits for it.
  EXPECT_EQ(figure(metrics(port), "gridsight_case_rechecks_in_flight"), 1.0);
  Reply still = request(port, "GET", "/api/v1/cases/" + std::to_string(waiting), "", auth());
  EXPECT_EQ(still.j()["state"], "self_correction") << still.body;
  EXPECT_EQ(agg.stop(), 0) << agg.process().log_tail();
}

TEST(CaseServiceSystem, APoisonEventIsDeadLetteredAndTheNextHundredAreFiled) {
  TempDir dir("gridsight-case-service-poison");
  Mosquitto broker(dir / "broker");
  broker.start();
  const int port = free_port();
  AggregatorSpec as;
  as.mqtt_port = broker.port();
  as.extra_yaml = config_yaml(dir, port, "  poison_attempts: 3\n  poison_retry: 50ms\n");
  Aggregator agg(dir.path(), as);
  agg.start();
  ASSERT_TRUE(wait_until([&] { return api_up(port); }, 60s)) << agg.process().log_tail();
  // Events published by hand reach only a subscribed aggregator.
  ASSERT_TRUE(agg.process().wait_for_log("ingest: subscribed", 60s)) << agg.process().log_tail();
  // /metrics without credentials: refused.
  EXPECT_EQ(request(port, "GET", "/metrics").status, 401);

  // One event the case store always refuses (as a corrupt row or a broken constraint would).
  const auto cases_db = dir / "data-aggregator" / "cases.db";
  const std::string poison = protocol::new_event_id();
  {
    sqlite::Database db(cases_db.string());
    db.exec("CREATE TRIGGER poison BEFORE INSERT ON case_reports WHEN NEW.event_id = '" + poison +
            "' BEGIN SELECT RAISE(ABORT, 'refused by the store'); END");
  }
  publish_event(broker, dir, "edge-poison", poison, "fire_lane.blocked", 1);
  ASSERT_TRUE(wait_until([&] { return agg.stored().value_or(0) == 1; }, 60s));
  // Then a hundred good ones from a real edge.
  EdgeSpec es;
  es.device_id = "edge-jianwai-01";
  es.cameras = {kCamera};
  es.camera_location = "{lon: 116.4512, lat: 39.9112, crs: GCJ02}";
  es.mqtt_port = broker.port();
  es.extra_yaml = "synthetic: {type: fire_lane.blocked}\n";
  Edge edge(dir.path(), es);
  edge.start({"--synthetic", "--synthetic-rate", "50", "--synthetic-count", "100"});

  ASSERT_TRUE(wait_until(
      [&] {
        return query_int(cases_db, "SELECT COUNT(*) FROM case_reports").value_or(0) == 100 &&
               query_int(cases_db, "SELECT COUNT(*) FROM dead_events").value_or(0) == 1;
      },
      120s))
      << agg.process().log_tail();
  EXPECT_EQ(query_text(cases_db, "SELECT event_id FROM dead_events"), poison);
  EXPECT_EQ(query_int(cases_db, "SELECT attempts FROM dead_events"), 3);
  EXPECT_EQ(
      query_int(cases_db, "SELECT COUNT(*) FROM case_reports WHERE event_id = '" + poison + "'"),
      0);
  // The cursor passed every stored event.
  ASSERT_TRUE(wait_until(
      [&] {
        return query_int(cases_db, "SELECT last_row FROM case_cursor") ==
               query_int(agg.db(), "SELECT max(id) FROM events");
      },
      60s));

  // Visible in the API...
  Reply dl = request(port, "GET", "/api/v1/dead-letters", "", auth());
  ASSERT_EQ(dl.status, 200) << dl.body;
  EXPECT_EQ(dl.j()["total"], 1);
  EXPECT_EQ(dl.j()["items"][0]["event_id"], poison);
  EXPECT_EQ(dl.j()["items"][0]["attempts"], 3);
  EXPECT_EQ(request(port, "GET", "/api/v1/dead-letters").status, 401);
  // ...and in /metrics, whose figures are the API's and the store's counts.
  const std::string page = metrics(port);
  EXPECT_EQ(figure(page, "gridsight_case_events_dead_lettered_total"), 1.0) << page;
  EXPECT_EQ(figure(page, "gridsight_case_dead_events"), 1.0);
  EXPECT_EQ(figure(page, "gridsight_aggregator_events_stored_total"),
            static_cast<double>(*query_int(agg.db(), "SELECT COUNT(*) FROM events")));
  EXPECT_EQ(figure(page, "gridsight_case_events_taken_total"), 100.0);
  for (const std::string state : {"dispatched", "reported", "closed"}) {
    const auto in_store =
        query_int(cases_db, "SELECT COUNT(*) FROM cases WHERE state = '" + state + "'");
    EXPECT_EQ(figure(page, "gridsight_cases{state=\"" + state + "\"}"),
              static_cast<double>(in_store.value_or(0)))
        << state;
    Reply api = request(port, "GET", "/api/v1/cases?limit=200&state=" + state, "", auth());
    ASSERT_EQ(api.status, 200) << api.body;
    ASSERT_EQ(api.j()["next"], nullptr) << "more than one page of " << state;
    EXPECT_EQ(api.j()["items"].size(), static_cast<std::size_t>(in_store.value_or(0))) << state;
  }
  EXPECT_EQ(figure(page, "gridsight_feed_clients"), 0.0);
  edge.stop();
  EXPECT_EQ(agg.stop(), 0) << agg.process().log_tail();
}

TEST(CaseServiceSystem, KillBetweenStoringAndFilingReplaysFromTheCursorOnce) {
  TempDir dir("gridsight-case-service-replay");
  Mosquitto broker(dir / "broker");
  broker.start();
  const int port = free_port();
  AggregatorSpec as;
  as.mqtt_port = broker.port();
  // Failing events are retried, never dead-lettered within this test.
  as.extra_yaml = config_yaml(dir, port, "  poison_attempts: 100\n  poison_retry: 50ms\n");
  Aggregator agg(dir.path(), as);
  agg.start();
  ASSERT_TRUE(wait_until([&] { return api_up(port); }, 60s)) << agg.process().log_tail();
  const auto cases_db = dir / "data-aggregator" / "cases.db";
  {
    // Filing fails for now: events are stored (and acknowledged) but make no case.
    sqlite::Database db(cases_db.string());
    db.exec(
        "CREATE TRIGGER hold BEFORE INSERT ON case_reports "
        "BEGIN SELECT RAISE(ABORT, 'held'); END");
  }
  EdgeSpec es;
  es.device_id = "edge-jianwai-01";
  es.cameras = {kCamera};
  es.camera_location = "{lon: 116.4512, lat: 39.9112, crs: GCJ02}";
  es.mqtt_port = broker.port();
  es.extra_yaml = "synthetic: {type: fire_lane.blocked}\n";
  Edge edge(dir.path(), es);
  edge.start({"--synthetic", "--synthetic-rate", "50", "--synthetic-count", "20"});
  ASSERT_TRUE(wait_until([&] { return agg.stored().value_or(0) == 20; }, 120s))
      << agg.process().log_tail();
  ASSERT_TRUE(wait_until(
      [&] {
        return query_int(cases_db, "SELECT COUNT(*) FROM case_reports").value_or(-1) == 0 &&
               agg.process().log_text().find("failed, attempt 2") != std::string::npos;
      },
      60s))
      << agg.process().log_tail();

  agg.kill();  // kill -9: stored, not filed
  {
    sqlite::Database db(cases_db.string());
    db.exec("DROP TRIGGER hold");
  }
  agg.start();
  ASSERT_TRUE(wait_until(
      [&] { return query_int(cases_db, "SELECT COUNT(*) FROM case_reports").value_or(0) == 20; },
      120s))
      << agg.process().log_tail();
  ASSERT_TRUE(agg.process().wait_for_log("cases: replayed 20 stored events", 60s))
      << agg.process().log_tail();
  // One case, twenty reports, one new_case output; the cursor at the last event.
  EXPECT_EQ(query_int(cases_db, "SELECT COUNT(*) FROM cases"), 1);
  EXPECT_EQ(query_int(cases_db, "SELECT COUNT(*) FROM case_outputs WHERE kind = 'new_case'"), 1);
  EXPECT_EQ(query_int(cases_db, "SELECT last_row FROM case_cursor"),
            query_int(agg.db(), "SELECT max(id) FROM events"));
  // A second restart replays nothing more.
  EXPECT_EQ(agg.stop(), 0) << agg.process().log_tail();
  agg.start();
  ASSERT_TRUE(wait_until([&] { return api_up(port); }, 60s)) << agg.process().log_tail();
  const std::string page = metrics(port);
  EXPECT_EQ(figure(page, "gridsight_case_events_replayed_total"), 0.0) << page;
  EXPECT_EQ(query_int(cases_db, "SELECT COUNT(*) FROM case_reports"), 20);
  EXPECT_EQ(query_int(cases_db, "SELECT COUNT(*) FROM case_outputs WHERE kind = 'new_case'"), 1);
  edge.stop();
  EXPECT_EQ(agg.stop(), 0) << agg.process().log_tail();
}

}  // namespace
}  // namespace gridsight::test
