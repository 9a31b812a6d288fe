// Field mapping, configuration and the durable queue of the platform connector.
#include <gtest/gtest.h>

#include "aggregator/cases/fanout_sink.h"
#include "aggregator/config/aggregator_config.h"
#include "aggregator/dispatch/connector/connector_config.h"
#include "aggregator/dispatch/connector/field_map.h"
#include "aggregator/dispatch/connector/push_queue.h"
#include "common/config/section.h"
#include "tests/unit/connector/fake_platform.h"

namespace gridsight::connector {
namespace {

using testing::temp_dir;

cases::Case sample_case() {
  cases::Case c;
  c.id = 42;
  c.class_code = "06010";
  c.cell_code = "110105001001001";
  c.state = cases::State::kDispatched;
  c.lon = 116.415;
  c.lat = 39.905;
  c.reported_ms = 1'764'000'000'000;
  c.departments = {{"sanitation", false, 0}};
  c.reports = {{"e-1", cases::Source::kAiCamera, "cam-1", "garbage.exposed", 0, "by the stop"},
               {"e-2", cases::Source::kAiCamera, "cam-1", "garbage.exposed", 0, ""}};
  return c;
}

cases::CaseOutput sample_output() {
  cases::CaseOutput o;
  o.kind = cases::OutputKind::kTransition;
  o.case_id = 42;
  o.state = cases::State::kDispatched;
  o.at_ms = 1'764'000'060'000;
  cases::Transition t;
  t.action = cases::Action::kDispatch;
  t.actor = "system";
  t.note = "routed";
  o.transition = t;
  return o;
}

TEST(FieldMapTest, TemplatesTypedFieldsAndNestedNames) {
  auto view = case_view(sample_case(), sample_output(), {"Exposed garbage", "A grid 1"}, 1);
  FieldMap fields = {{"title", "{class_name} @ {cell_name}"},
                     {"geo.lon", "location.lon"},
                     {"geo.lat", "location.lat"},
                     {"events", "event_ids"},
                     {"ref", "external_id"},
                     {"summary", "{report_count} reports: {event_ids}; {description}"},
                     {"due", "due_at"}};
  auto doc = render(fields, view);
  EXPECT_EQ(doc["title"], "Exposed garbage @ A grid 1");
  EXPECT_DOUBLE_EQ(doc["geo"]["lon"].get<double>(), 116.415);
  EXPECT_DOUBLE_EQ(doc["geo"]["lat"].get<double>(), 39.905);
  EXPECT_EQ(doc["events"], nlohmann::json::array({"e-1", "e-2"}));
  EXPECT_EQ(doc["ref"], "gridsight-42");
  EXPECT_EQ(doc["summary"], "2 reports: e-1,e-2; by the stop");
  EXPECT_TRUE(doc["due"].is_null());
  EXPECT_EQ(view["action"], "dispatch");
  EXPECT_EQ(view["department"], "sanitation");
  EXPECT_EQ(view["reported_at"], "2025-11-24T16:00:00Z");
}

TEST(FieldMapTest, ExpressionsAreChecked) {
  EXPECT_EQ(check_expression("location.lon"), "");
  EXPECT_EQ(check_expression("{class_name} @ {cell_name}"), "");
  EXPECT_NE(check_expression("Exposed garbage"), "");
  EXPECT_NE(check_expression("{nope}"), "");
  EXPECT_NE(check_expression("{class_name"), "");
  EXPECT_NE(check_expression("class_name}"), "");
  EXPECT_EQ(with_case_id("http://p/cases/{case_id}/status", 7), "http://p/cases/7/status");
}

ConnectorConfig parse(const std::string& yaml) {
  auto s = config::load_string(yaml, "connector.yaml");
  return ConnectorConfig::read(s);
}

TEST(ConnectorConfigTest, DefaultsAreOffAndAFullSectionReads) {
  auto off = parse("{}");
  EXPECT_FALSE(off.enabled);
  EXPECT_EQ(off.fields, default_fields());
  auto dir = temp_dir("connector-config");
  std::ofstream(dir / "token") << "Bearer s3cret\n";
  auto c = parse(
      "enabled: true\nname: city\nendpoint: https://p.example/cases\n"
      "update_endpoint: https://p.example/cases/{case_id}/updates\n"
      "token_file: " +
      (dir / "token").string() +
      "\n"
      "timeout: 3s\nbackoff_initial: 200ms\nbackoff_max: 1m\n"
      "classes: [\"06010\"]\ncell_prefixes: [\"110105\"]\n"
      "fields:\n  - {name: title, value: \"{class_name} @ {cell_name}\"}\n"
      "  - {name: location.lon, value: location.lon}\n"
      "status:\n  url: https://p.example/cases/{case_id}/status\n  poll_interval: 10s\n"
      "  map:\n    - {platform: accepted, action: dispatch}\n"
      "    - {platform: done, action: resolve}\n");
  EXPECT_TRUE(c.enabled);
  EXPECT_EQ(c.token, "Bearer s3cret");
  EXPECT_EQ(c.timeout_ms, 3000);
  EXPECT_EQ(c.backoff_initial_ms, 200);
  EXPECT_EQ(c.fields.size(), 2u);
  EXPECT_EQ(c.status_map.at("done"), "resolve");
  EXPECT_EQ(c.poll_interval_ms, 10'000);
}

TEST(ConnectorConfigTest, MistakesNameTheKey) {
  auto fails = [](const std::string& yaml, const std::string& needle) {
    try {
      parse(yaml);
      ADD_FAILURE() << "accepted: " << yaml;
    } catch (const config::Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  fails("enabled: true\n", "endpoint");
  fails("endpoint: ftp://x\n", "endpoint");
  fails("endpoitn: http://x\n", "unknown key");
  fails("fields:\n  - {name: t, value: \"plain text\"}\n", "unknown case field");
  fails("fields:\n  - {name: t, value: \"{bogus}\"}\n", "{bogus}");
  fails("fields:\n  - {name: \"a/b\", value: state}\n", "name");
  fails("status:\n  map:\n    - {platform: x, action: fly}\n", "unknown action");
  fails("status:\n  map:\n    - {platform: x, action: remind}\n", "engine's own");
  fails("enabled: true\nendpoint: http://x/\ntoken_file: /nonexistent/token\n", "token_file");
  fails("backoff_initial: 10s\nbackoff_max: 1s\n", "backoff_max");
}

TEST(PushQueueTest, NumbersMessagesPerCaseAndKeepsThemAcrossReopen) {
  auto dir = temp_dir("push-queue");
  auto path = (dir / "q.db").string();
  auto make = [](int seq) {
    return std::make_pair(std::string("http://p/"), "m" + std::to_string(seq));
  };
  {
    PushQueue q(path);
    EXPECT_FALSE(q.known(1));
    EXPECT_EQ(q.enqueue(1, "dispatched", true, make, 100), 1);
    EXPECT_EQ(q.enqueue(2, "dispatched", true, make, 101), 1);
    EXPECT_EQ(q.enqueue(1, "resolved", true, make, 102), 2);
    EXPECT_TRUE(q.known(1));
    auto h = q.head();
    ASSERT_TRUE(h);
    EXPECT_EQ(h->case_id, 1);
    EXPECT_EQ(h->seq, 1);
    q.mark_retry(h->id, "HTTP 503");
    EXPECT_EQ(q.stats().depth, 3);
    EXPECT_EQ(q.stats().oldest_created_ms, 100);
  }  // closed without delivering: as after a crash
  PushQueue q(path);
  auto h = q.head();
  ASSERT_TRUE(h);
  EXPECT_EQ(h->attempts, 1);
  EXPECT_EQ(h->body, "m1");
  q.mark_sent(h->id, 201, 200);
  EXPECT_EQ(q.pollable(), std::vector<std::int64_t>{1});
  h = q.head();
  EXPECT_EQ(h->case_id, 2);
  q.mark_sent(h->id, 409, 201);
  h = q.head();
  EXPECT_EQ(h->case_id, 1);
  EXPECT_EQ(h->seq, 2);
  q.mark_sent(h->id, 200, 202);
  EXPECT_FALSE(q.head());
  EXPECT_EQ(q.enqueue(2, "closed", false, make, 300), 2);  // numbering continues
  EXPECT_EQ(q.stats().sent, 3);
  q.set_platform_status(1, "done");
  EXPECT_EQ(q.platform_status(1), "done");
  EXPECT_FALSE(q.platform_status(2));
  EXPECT_EQ(q.pollable(), std::vector<std::int64_t>{1});  // case 2 is closed
  EXPECT_EQ(q.prune_sent(202), 2);                        // delivered before 202
  EXPECT_EQ(q.stats().sent, 1);
  EXPECT_EQ(q.enqueue(1, "closed", false, make, 400), 3);  // numbering survives pruning
}

TEST(PushQueueTest, ADeadNewCaseTakesItsLaterMessagesWithIt) {
  auto dir = temp_dir("push-queue-dead");
  PushQueue q((dir / "q.db").string());
  auto make = [](int seq) {
    return std::make_pair(std::string("http://p/"), "m" + std::to_string(seq));
  };
  q.enqueue(5, "dispatched", true, make, 1);
  q.enqueue(5, "resolved", true, make, 2);
  q.enqueue(6, "dispatched", true, make, 3);
  auto h = q.head();
  q.mark_dead(h->id, 422, R"({"error":"bad field"})", 4);
  h = q.head();
  ASSERT_TRUE(h);
  EXPECT_EQ(h->case_id, 6);  // case 5's update went with its new case
  q.enqueue(5, "closed", false, make, 5);
  auto dead = q.dead_letters();
  ASSERT_EQ(dead.size(), 3u);
  EXPECT_EQ(dead[0].status, 422);
  EXPECT_EQ(dead[0].response, R"({"error":"bad field"})");
  EXPECT_EQ(dead[1].response, "follows a dead-lettered new case");
  EXPECT_EQ(dead[2].seq, 3);
  EXPECT_EQ(q.stats().dead, 3);
  EXPECT_EQ(q.stats().depth, 1);
}

}  // namespace
}  // namespace gridsight::connector

namespace gridsight::aggregator {
namespace {

TEST(AggregatorConfigConnectorTest, TheSectionIsReadAndOffByDefault) {
  auto off = config::load_string("mqtt: {allow_insecure: true}\n", "aggregator.yaml");
  EXPECT_FALSE(AggregatorConfig::read(off).connector.enabled);
  const std::string grid = std::string(GRIDSIGHT_SOURCE_DIR) + "/config/grid/";
  auto on = config::load_string(
      "mqtt: {allow_insecure: true}\n"
      "cases:\n  enabled: true\n  grid_file: " +
          grid +
          "district-example.geojson\n"
          "  cameras_file: " +
          grid + "cameras.yaml\n  classes_file: " + grid +
          "classes.yaml\n"
          "  calendar_file: " +
          grid +
          "calendar-2026.yaml\n"
          "connector:\n  enabled: true\n  endpoint: http://127.0.0.1:8080/cases\n",
      "aggregator.yaml");
  auto c = AggregatorConfig::read(on);
  EXPECT_TRUE(c.connector.enabled);
  EXPECT_EQ(c.connector.endpoint, "http://127.0.0.1:8080/cases");
  auto alone = config::load_string(
      "mqtt: {allow_insecure: true}\n"
      "connector:\n  enabled: true\n  endpoint: http://127.0.0.1:8080/cases\n",
      "aggregator.yaml");
  EXPECT_THROW(AggregatorConfig::read(alone), config::Error);  // no cases to push
  auto bad = config::load_string("mqtt: {allow_insecure: true}\nconnector: {enabld: true}\n",
                                 "aggregator.yaml");
  EXPECT_THROW(AggregatorConfig::read(bad), config::Error);
}

}  // namespace
}  // namespace gridsight::aggregator

namespace gridsight::cases {
namespace {

class ThrowingSink final : public CaseSink {
 public:
  void publish(const CaseOutput&) override { throw std::runtime_error("broken"); }
};

TEST(FanoutSinkTest, EverySinkReceivesEachOutputEvenWhenOneFails) {
  VectorSink a, b;
  ThrowingSink broken;
  FanoutSink fan;
  fan.add(a);
  fan.add(broken);
  fan.add(b);
  CaseOutput o;
  o.case_id = 7;
  fan.publish(o);
  o.case_id = 8;
  fan.publish(o);
  ASSERT_EQ(a.outputs.size(), 2u);
  ASSERT_EQ(b.outputs.size(), 2u);
  EXPECT_EQ(b.outputs[1].case_id, 8);
}

}  // namespace
}  // namespace gridsight::cases
