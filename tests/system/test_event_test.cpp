// `gridsight-edge test-event` against the running daemon, a real mosquitto and a real
// aggregator: it reports the aggregator's confirmation (exit 0), says plainly when there is
// none in time (exit 4) or no daemon (exit 6), and the status report shows when the first and
// the latest event were confirmed (docs/installer-guide.md, step 4.5).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/http/password.h"
#include "tests/support/harness.h"
#include "tests/support/raw_http.h"

namespace gridsight::test {
namespace {

constexpr Millis kWait = 120s;  // bounds a hang only

struct Run {
  int status = -1;
  std::string output;
};

// Runs `gridsight-edge --config <edge's> test-event <args>` to its end.
Run test_event(const TempDir& dir, Edge& edge, const std::string& name,
               std::vector<std::string> args) {
  auto argv = edge_command();
  argv.insert(argv.end(), {"--config", edge.config_path().string(), "test-event"});
  argv.insert(argv.end(), args.begin(), args.end());
  Process p(name, argv, dir / (name + ".log"));
  p.start();
  wait_until([&] { return !p.is_running(); }, kWait + 30s, 50ms);
  Run r;
  r.status = p.is_running() ? p.kill() : p.exit_status().value_or(-1);
  r.output = p.log_text();
  return r;
}

TEST(TestEventCommand, ReportsTheAggregatorsConfirmation) {
  TempDir dir("gridsight-test-event");
  Mosquitto broker(dir / "broker");
  broker.start();

  const std::string token = http::random_token();
  const int status_port = free_port();
  EdgeSpec es;
  es.device_id = "edge-test-event";
  es.cameras = {"cam-gate"};
  es.mqtt_port = broker.port();
  es.status_yaml = "  port: " + std::to_string(status_port) + "\n  tokens: [\"" +
                   http::token_digest(token) + "\"]\n";
  Edge edge(dir.path(), es);

  // No daemon: said plainly, exit 6.
  auto none = test_event(dir, edge, "no-daemon", {"--timeout", "5"});
  EXPECT_EQ(none.status, 6) << none.output;
  EXPECT_NE(none.output.find("no running gridsight-edge answers on"), std::string::npos)
      << none.output;

  edge.start();
  ASSERT_TRUE(edge.process().wait_for_log("mqtt: connected to", kWait))
      << edge.process().log_tail();
  ASSERT_TRUE(edge.process().wait_for_log("control: listening on", kWait))
      << edge.process().log_tail();
  auto status = [&] {
    return request(static_cast<std::uint16_t>(status_port), "GET", "/api/v1/status", "",
                   "Authorization: Bearer " + token + "\r\n")
        .j();
  };
  EXPECT_TRUE(status()["outbox"]["first_confirmed"].is_null());

  // The broker answers but no aggregator does: not confirmed in the time the command owns.
  auto late = test_event(dir, edge, "no-aggregator", {"--timeout", "1"});
  EXPECT_EQ(late.status, 4) << late.output;
  EXPECT_NE(late.output.find("raised test event"), std::string::npos) << late.output;
  EXPECT_NE(late.output.find("NOT CONFIRMED within 1.0 s: the uplink is connected"),
            std::string::npos)
      << late.output;
  EXPECT_EQ(edge.pending(), 1);  // kept for later delivery

  // An unknown camera is refused by the daemon.
  auto unknown = test_event(dir, edge, "unknown-camera", {"--camera", "nope"});
  EXPECT_EQ(unknown.status, 5) << unknown.output;
  EXPECT_NE(unknown.output.find("no camera \"nope\" is configured"), std::string::npos)
      << unknown.output;

  AggregatorSpec as;
  as.mqtt_port = broker.port();
  Aggregator aggregator(dir.path(), as);
  const auto from = broker.process().log_size();
  aggregator.start();
  ASSERT_TRUE(broker.process().wait_for_log("gridsight/v1/+/events", kWait, from))
      << aggregator.process().log_tail();

  auto ok = test_event(dir, edge, "confirmed", {});
  EXPECT_EQ(ok.status, 0) << ok.output << edge.process().log_tail();
  EXPECT_NE(ok.output.find("confirmed by the aggregator"), std::string::npos) << ok.output;
  EXPECT_NE(ok.output.find("for camera cam-gate"), std::string::npos) << ok.output;

  // Both test events end up stored; the edge log and the status report say when the first
  // and the latest were confirmed.
  EXPECT_TRUE(wait_until([&] { return aggregator.stored("edge-test-event") == 2; }, kWait))
      << aggregator.process().log_tail();
  EXPECT_TRUE(edge.process().wait_for_log(
      "outbox: the aggregator confirmed this box's first event: seq", kWait))
      << edge.process().log_tail();
  EXPECT_TRUE(
      edge.process().wait_for_log("control: test event seq 2 confirmed by the aggregator", kWait))
      << edge.process().log_tail();
  ASSERT_TRUE(wait_until([&] { return edge.pending() == 0; }, kWait));
  const auto s = status();
  const auto& o = s["outbox"];
  ASSERT_TRUE(o["first_confirmed"].is_object()) << s.dump();
  ASSERT_TRUE(o["latest_confirmed"].is_object()) << s.dump();
  EXPECT_EQ(o["first_confirmed"]["camera_id"], "cam-gate");
  EXPECT_GE(o["latest_confirmed"]["confirmed_ms"].get<std::int64_t>(),
            o["first_confirmed"]["confirmed_ms"].get<std::int64_t>());
  EXPECT_EQ(query_int(aggregator.db(),
                      "SELECT COUNT(*) FROM events WHERE device_id = "
                      "'edge-test-event' AND type = 'synthetic.test'"),
            2);

  EXPECT_EQ(edge.stop(), 0) << edge.process().log_tail();
}

}  // namespace
}  // namespace gridsight::test
