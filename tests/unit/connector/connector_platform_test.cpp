// The connector in-process with the real case engine (SQLite files) against the stand-in
// platform, a real HTTP server that fails, delays, drops and answers duplicates on purpose.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <map>
#include <mutex>
#include <set>

#include "aggregator/cases/fanout_sink.h"
#include "aggregator/dispatch/connector/connector.h"
#include "common/config/section.h"
#include "tests/unit/cases/engine_fixture.h"
#include "tests/unit/connector/fake_platform.h"

namespace gridsight::connector {
namespace {

using cases::Action;
using cases::CaseId;
using cases::State;
using testing::FakePlatform;
using testing::temp_dir;

// Keys accepted by the platform, per case, in acceptance order.
std::map<long long, std::vector<int>> by_case(const nlohmann::json& state) {
  std::map<long long, std::vector<int>> out;
  for (const auto& k : state["order"]) {
    std::string key = k.get<std::string>().substr(std::string("gridsight-").size());
    auto dash = key.find('-');
    out[std::stoll(key.substr(0, dash))].push_back(std::stoi(key.substr(dash + 1)));
  }
  return out;
}

class ConnectorPlatformTest : public cases::testing::EngineTest {
 protected:
  ConnectorPlatformTest() : dir_(temp_dir("connector")), platform_(dir_) {
    std::ofstream(dir_ / "token") << "Bearer platform-secret\n";
  }
  ~ConnectorPlatformTest() override {
    connector_.reset();
    engine.reset();
    std::filesystem::remove_all(dir_);
  }

  ConnectorConfig connector_config() {
    auto s = gridsight::config::load_string(
        "enabled: true\nname: city\n"
        "endpoint: " +
            platform_.url("/cases") +
            "\n"
            "update_endpoint: " +
            platform_.url("/cases/{case_id}/updates") +
            "\n"
            "token_file: " +
            (dir_ / "token").string() +
            "\n"
            "connect_timeout: 1s\ntimeout: 1s\nbackoff_initial: 20ms\nbackoff_max: 200ms\n"
            "classes: [\"06010\"]\ncell_prefixes: [\"110105001001\"]\n"
            "fields:\n"
            "  - {name: title, value: \"{class_name} @ {cell_name}\"}\n"
            "  - {name: ref, value: external_id}\n"
            "  - {name: location.lon, value: location.lon}\n"
            "  - {name: location.lat, value: location.lat}\n"
            "  - {name: department, value: department}\n"
            "status:\n"
            "  url: " +
            platform_.url("/cases/{case_id}/status") +
            "\n"
            "  poll_interval: 1h\n"  // the test polls itself
            "  map:\n"
            "    - {platform: accepted, action: dispatch}\n"
            "    - {platform: done, action: resolve}\n"
            "    - {platform: checked, action: verify}\n"
            "    - {platform: closed, action: close}\n",
        "connector.yaml");
    return ConnectorConfig::read(s);
  }

  // The connector on the queue file, and an engine whose outputs reach it.
  void open_connector() {
    connector_.reset();
    EngineAccess access;
    access.lookup = [this](CaseId id) { return store->get(id); };
    access.names = [this](const cases::Case& c) {
      CaseNames n;
      if (auto* cls = classes.find(c.class_code)) n.class_name = cls->name;
      if (auto* cell = grid.find(c.cell_code)) n.cell_name = cell->name;
      return n;
    };
    access.act = [this](CaseId id, const cases::Command& cmd) {
      std::lock_guard lock(engine_mu_);
      return engine->act(id, cmd);
    };
    connector_ = std::make_unique<Connector>(connector_config(), (dir_ / "connector.db").string(),
                                             std::move(access), clock, metrics);
    fan_ = std::make_unique<cases::FanoutSink>();
    fan_->add(sink);
    fan_->add(*connector_);
    engine = std::make_unique<cases::CaseEngine>(grid, cameras, classes, calendar, *store, *fan_,
                                                 clock, config, &metrics);
  }

  // A grid worker's report of exposed garbage at (x, y): filed and dispatched at once.
  CaseId report_at(double x, double y, const std::string& id, const std::string& cls = "06010") {
    cases::ManualReport m;
    m.source = cases::Source::kGridWorker;
    m.external_id = id;
    m.class_code = cls;
    auto p = cases::testing::at(x, y);
    m.location = {p.lon, p.lat, protocol::Crs::kWgs84};
    m.reporter = "grid-worker-zhang";
    m.description = "report " + id;
    m.at_ms = clock.now_ms();
    std::lock_guard lock(engine_mu_);
    auto r = engine->report(m);
    EXPECT_EQ(r.kind, cases::IngestResult::Kind::kNewCase);
    return r.case_id;
  }

  cases::Case act_as(CaseId id, Action a, const std::string& actor,
                     const std::string& department = {}) {
    cases::Command c;
    c.action = a;
    c.actor = actor;
    c.department = department;
    std::lock_guard lock(engine_mu_);
    return engine->act(id, c);
  }

  bool drained() { return connector_->stats().depth == 0; }
  double metric(const std::string& name, const Labels& l = {}) { return metrics.value(name, l); }

  std::filesystem::path dir_;
  FakePlatform platform_;
  std::mutex engine_mu_;
  std::unique_ptr<Connector> connector_;
  std::unique_ptr<cases::FanoutSink> fan_;
};

TEST_F(ConnectorPlatformTest, EveryCaseArrivesOnceAndInOrderThroughFaultsAndAnOutage) {
  open_connector();
  connector_->start();
  // Answers lost after recording (drop, delay past the timeout) make the connector send
  // again: the platform answers 409 and the message counts as delivered.
  platform_.faults({"503", "drop", "delay", "drop_before", "503", "delay", "drop"}, 2.0);
  std::vector<CaseId> pushed;
  for (int i = 0; i < 4; ++i) pushed.push_back(report_at(1 + 2 * i, 5, "w-" + std::to_string(i)));
  // Not pushed: another cell (B grid 1), another class.
  CaseId other_cell = report_at(30, 5, "w-b");
  CaseId other_class = report_at(3, 15, "w-c", "09006");
  platform_.outage(true);
  for (int i = 4; i < 8; ++i) pushed.push_back(report_at(1 + 2 * i, 5, "w-" + std::to_string(i)));
  // Filing dispatches at once (message 2); resolving is message 3.
  for (CaseId id : pushed) act_as(id, Action::kResolve, "sanitation-crew-3");
  // Messages are waiting and being retried through the outage.
  ASSERT_TRUE(test::wait_until([&] { return metric("gridsight_connector_retried_total") >= 10; }));
  EXPECT_GT(connector_->stats().depth, 0);
  platform_.outage(false);
  ASSERT_TRUE(test::wait_until([&] { return drained(); }));

  auto st = platform_.state();
  auto cases_seen = by_case(st);
  EXPECT_EQ(st["order"].size(), 3 * pushed.size());  // distinct keys: each message once
  for (CaseId id : pushed) {
    EXPECT_EQ(cases_seen[id], (std::vector<int>{1, 2, 3})) << "case " << id;
    auto doc = st["accepted"]["gridsight-" + std::to_string(id) + "-1"];
    EXPECT_EQ(doc["title"], "06010 @ " + grid.find(store->get(id)->cell_code)->name);
    EXPECT_EQ(doc["ref"], "gridsight-" + std::to_string(id));
    EXPECT_TRUE(doc["location"]["lon"].is_number());
    EXPECT_EQ(doc["department"], "sanitation");
    auto dispatch = st["accepted"]["gridsight-" + std::to_string(id) + "-2"];
    EXPECT_EQ(dispatch["action"], "dispatch");
    auto update = st["accepted"]["gridsight-" + std::to_string(id) + "-3"];
    EXPECT_EQ(update["action"], "resolve");
    EXPECT_EQ(update["state"], "resolved");
  }
  EXPECT_FALSE(cases_seen.count(other_cell));
  EXPECT_FALSE(cases_seen.count(other_class));
  EXPECT_GE(st["duplicates"].get<int>(), 1);  // the platform saw repeats and deduplicated
  for (const auto& a : st["auth"]) EXPECT_EQ(a, "Bearer platform-secret");
  EXPECT_EQ(metric("gridsight_connector_sent_total"), 3.0 * pushed.size());
  EXPECT_EQ(metric("gridsight_connector_queued_total"), 3.0 * pushed.size());
  EXPECT_EQ(metric("gridsight_connector_dead_lettered_total"), 0);
  EXPECT_EQ(metric("gridsight_connector_queue_depth"), 0);
}

TEST_F(ConnectorPlatformTest, RefusedMessagesAreDeadLetteredWithTheAnswer) {
  open_connector();
  connector_->start();
  platform_.faults({"422"});
  CaseId bad = report_at(1, 5, "w-bad");
  CaseId good = report_at(5, 5, "w-good");
  ASSERT_TRUE(test::wait_until([&] { return drained(); }));
  act_as(bad, Action::kResolve, "sanitation-crew-3");  // follows a dead new case: not sent
  act_as(good, Action::kResolve, "sanitation-crew-3");
  ASSERT_TRUE(test::wait_until([&] { return drained(); }));
  auto cases_seen = by_case(platform_.state());
  EXPECT_FALSE(cases_seen.count(bad));
  EXPECT_EQ(cases_seen[good], (std::vector<int>{1, 2, 3}));
  auto dead = connector_->queue().dead_letters();  // the new case, its dispatch and resolve
  ASSERT_EQ(dead.size(), 3u);
  EXPECT_EQ(dead[0].case_id, bad);
  EXPECT_EQ(dead[0].status, 422);
  EXPECT_NE(dead[0].response.find("bad field"), std::string::npos);
  EXPECT_EQ(metric("gridsight_connector_dead_lettered_total"), 1);
  EXPECT_EQ(connector_->stats().dead, 3);
}

TEST_F(ConnectorPlatformTest, PlatformStatusesMoveTheCaseThroughItsLifecycle) {
  open_connector();
  connector_->start();
  CaseId id = report_at(1, 5, "w-1");
  ASSERT_TRUE(test::wait_until([&] { return drained(); }));
  ASSERT_EQ(store->get(id)->state, State::kDispatched);

  // Polling: "accepted" maps to dispatch, illegal for a dispatched case: refused, counted.
  platform_.set_status(id, "accepted");
  connector_->poll_once();
  EXPECT_EQ(store->get(id)->state, State::kDispatched);
  EXPECT_EQ(metric("gridsight_connector_status_refused_total", {{"reason", "illegal"}}), 1);
  platform_.set_status(id, "done");
  connector_->poll_once();
  auto c = *store->get(id);
  EXPECT_EQ(c.state, State::kResolved);
  EXPECT_EQ(c.history.back().actor, "platform:city");
  connector_->poll_once();  // the same status again changes nothing
  EXPECT_EQ(store->get(id)->history.size(), c.history.size());
  EXPECT_EQ(metric("gridsight_connector_status_applied_total"), 1);

  // Callback.
  auto r = connector_->apply_callback({{"case_id", id}, {"status", "checked"}, {"note", "seen"}});
  EXPECT_EQ(r.http_status, 200) << r.reason;
  EXPECT_EQ(r.outcome, "applied");
  EXPECT_EQ(store->get(id)->state, State::kVerified);
  EXPECT_EQ(store->get(id)->history.back().note, "seen");
  r = connector_->apply_callback({{"case_id", id}, {"status", "checked"}});
  EXPECT_EQ(r.outcome, "unchanged");
  r = connector_->apply_callback(
      {{"case_id", "gridsight-" + std::to_string(id)}, {"status", "bogus"}});
  EXPECT_EQ(r.http_status, 422);
  EXPECT_EQ(metric("gridsight_connector_status_refused_total", {{"reason", "unknown"}}), 1);
  EXPECT_EQ(connector_->apply_callback({{"case_id", id}}).http_status, 400);
  EXPECT_EQ(connector_->apply_callback({{"case_id", "x"}, {"status", "closed"}}).http_status, 400);
  EXPECT_EQ(
      connector_->apply_callback({{"case_id", id}, {"status", "closed"}, {"extra", 1}}).http_status,
      400);
  EXPECT_EQ(connector_->apply_callback(nlohmann::json::array()).http_status, 400);
  EXPECT_EQ(connector_->apply_callback({{"case_id", 99999}, {"status", "closed"}}).http_status,
            404);
  EXPECT_EQ(store->get(id)->state, State::kVerified);  // nothing changed by the refusals
  r = connector_->apply_callback({{"case_id", id}, {"status", "closed"}});
  EXPECT_EQ(r.http_status, 200) << r.reason;
  EXPECT_EQ(store->get(id)->state, State::kClosed);
  EXPECT_TRUE(connector_->queue().pollable().empty());  // closed: no more polling

  // The platform's own changes are not pushed back to it.
  ASSERT_TRUE(test::wait_until([&] { return drained(); }));
  EXPECT_EQ(by_case(platform_.state())[id], (std::vector<int>{1, 2}));  // new case, dispatch
}

TEST_F(ConnectorPlatformTest, NothingIsLostWhenTheProcessIsKilled) {
  // A child process queues the outputs and is killed (SIGKILL) while delivering; the queue
  // re-opened on the same file delivers the rest, and the platform still has each once.
  const auto queue = (dir_ / "connector.db").string();
  const auto marker = dir_ / "queued";
  platform_.faults({"delay"}, 30.0);  // the first message is recorded, its answer never comes
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ManualClock child_clock;
    Metrics child_metrics;
    auto cfg = connector_config();
    cfg.timeout_ms = 60'000;
    Connector c(cfg, queue, EngineAccess{}, child_clock, child_metrics);
    c.start();
    for (int i = 1; i <= 10; ++i) {
      cases::CaseOutput o;
      o.case_id = i;
      o.class_code = "06010";
      o.cell_code = "110105001001001";
      o.state = State::kDispatched;
      c.publish(o);
      o.kind = cases::OutputKind::kTransition;
      o.state = State::kResolved;
      o.transition = cases::Transition{
          2, Action::kResolve, State::kDispatched, State::kResolved, "crew", 0, ""};
      c.publish(o);
    }
    std::ofstream(marker) << "ok";
    ::pause();
    ::_exit(0);
  }
  ASSERT_TRUE(test::wait_until(
      [&] { return std::filesystem::exists(marker) && platform_.state()["order"].size() == 1; }));
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));

  open_connector();  // same queue file
  EXPECT_EQ(connector_->stats().depth, 20);
  connector_->start();
  ASSERT_TRUE(test::wait_until([&] { return drained(); }));
  auto st = platform_.state();
  auto seen = by_case(st);
  EXPECT_EQ(st["order"].size(), 20u);
  for (int i = 1; i <= 10; ++i) EXPECT_EQ(seen[i], (std::vector<int>{1, 2})) << "case " << i;
  EXPECT_GE(st["duplicates"].get<int>(), 1);  // the first one, sent again after the restart
}

}  // namespace
}  // namespace gridsight::connector
