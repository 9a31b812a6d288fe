// The fleet table and its alerts, driven by protocol messages and a manual clock, on a real
// SQLite file.
#include "aggregator/fleet/fleet_monitor.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "aggregator/fleet/command_client.h"
#include "aggregator/fleet/fleet_config.h"
#include "common/clock.h"
#include "common/config/section.h"
#include "common/metrics.h"
#include "protocol/messages.h"

namespace gridsight::aggregator::fleet {
namespace {

using nlohmann::json;

class FleetMonitorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("gridsight-fleet-unit-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    config_.camera_down_after_ms = 60'000;
    config_.silent_after_ms = 300'000;
    config_.outbox_pending_max = 100;
    config_.outbox_age_max_ms = 600'000;
    config_.disk_full_fraction = 0.9;
    config_.clock_skew_max_ms = 30'000;
    open();
  }
  void TearDown() override {
    monitor_.reset();
    std::filesystem::remove_all(dir_);
  }
  void open() {
    monitor_ = std::make_unique<FleetMonitor>(
        config_, (dir_ / "fleet.db").string(), protocol::Topics("gridsight"), clock_, metrics_,
        [this](const std::string& p) { published_.push_back(json::parse(p)); });
    monitor_->subscribe([this](const Alert& a) { heard_.push_back(a); });
  }

  void state(const std::string& device, bool online, const std::string& reason = "") {
    protocol::DeviceState s;
    s.device_id = device;
    s.online = online;
    s.reason = reason;
    s.version = "1.2.3";
    s.session = "s1";
    s.at_ms = online ? clock_.now_ms() : 0;
    s.clock_synced = true;
    monitor_->submit("gridsight/v1/" + device + "/state", protocol::encode(s));
    monitor_->drain();
  }
  // A telemetry body as the edge's health report writes it.
  json telemetry(const std::string& device) {
    return {{"schema", "1.0"},
            {"device_id", device},
            {"at_ms", clock_.now_ms()},
            {"version", "1.2.3"},
            {"clock", {{"synced", true}, {"maxerror_us", 1000}}},
            {"outbox", {{"pending", 0}, {"oldest_pending_age_ms", nullptr}}},
            {"disk", {{"used_fraction", 0.5}}},
            {"cameras",
             json::array(
                 {{{"id", "cam-1"}, {"state", "streaming"}, {"open_incidents", json::array()}}})}};
  }
  void send(const std::string& device, const json& t) {
    monitor_->submit("gridsight/v1/" + device + "/telemetry", t.dump());
    monitor_->drain();
  }
  int active(const std::string& kind, const std::string& camera = "") {
    int n = 0;
    for (const auto& a : monitor_->alerts(false, 0)) {
      n += a.kind == kind && a.camera_id == camera ? 1 : 0;
    }
    return n;
  }

  std::filesystem::path dir_;
  FleetConfig config_;
  ManualClock clock_{1'764'000'000'000};
  Metrics metrics_;
  std::unique_ptr<FleetMonitor> monitor_;
  std::vector<json> published_;
  std::vector<Alert> heard_;
};

TEST_F(FleetMonitorTest, OfflineFromTheLastWillOnlineFromTheBirth) {
  state("edge-1", true);
  ASSERT_TRUE(monitor_->device("edge-1"));
  EXPECT_TRUE(monitor_->device("edge-1")->online);
  EXPECT_EQ(monitor_->device("edge-1")->version, "1.2.3");
  EXPECT_EQ(active("box_offline"), 0);
  state("edge-1", false, "lost");
  EXPECT_FALSE(monitor_->device("edge-1")->online);
  EXPECT_EQ(monitor_->device("edge-1")->offline_reason, "lost");
  EXPECT_EQ(active("box_offline"), 1);
  ASSERT_EQ(published_.size(), 1u);
  EXPECT_EQ(published_[0]["state"], "raised");
  EXPECT_EQ(published_[0]["alert"]["kind"], "box_offline");
  state("edge-1", true);
  EXPECT_EQ(active("box_offline"), 0);
  ASSERT_EQ(heard_.size(), 2u);
  EXPECT_FALSE(heard_[1].active);
  EXPECT_GT(heard_[1].cleared_ms, 0);
  // The cleared one is kept in the history.
  EXPECT_EQ(monitor_->alerts(true, 10).size(), 1u);
}

TEST_F(FleetMonitorTest, SilentBoxIsTakenOffline) {
  send("edge-1", telemetry("edge-1"));
  EXPECT_TRUE(monitor_->device("edge-1")->online);
  clock_.advance(config_.silent_after_ms - 1);
  monitor_->check();
  EXPECT_EQ(active("box_offline"), 0);
  clock_.advance(1);
  monitor_->check();
  EXPECT_EQ(active("box_offline"), 1);
  EXPECT_EQ(monitor_->device("edge-1")->offline_reason, "silent");
}

TEST_F(FleetMonitorTest, CameraDownAfterTheConfiguredTime) {
  auto t = telemetry("edge-1");
  t["cameras"][0]["state"] = "backoff";
  t["cameras"][0]["last_error"] = "connection refused";
  send("edge-1", t);
  EXPECT_EQ(active("camera_down", "cam-1"), 0);  // not yet for 60 s
  clock_.advance(60'000);
  monitor_->check();
  EXPECT_EQ(active("camera_down", "cam-1"), 1);
  EXPECT_EQ(monitor_->alerts(false, 0)[0].detail, "backoff: connection refused");
  send("edge-1", telemetry("edge-1"));  // streaming again
  EXPECT_EQ(active("camera_down", "cam-1"), 0);
}

TEST_F(FleetMonitorTest, OutboxDiskAndClockAlertsFollowTheThresholds) {
  auto t = telemetry("edge-1");
  t["outbox"]["pending"] = 100;
  t["disk"]["used_fraction"] = 0.95;
  t["clock"]["synced"] = false;
  send("edge-1", t);
  EXPECT_EQ(active("outbox_growing"), 1);
  EXPECT_EQ(active("disk_nearly_full"), 1);
  EXPECT_EQ(active("clock_unsynchronised"), 1);
  send("edge-1", telemetry("edge-1"));
  EXPECT_EQ(active("outbox_growing"), 0);
  EXPECT_EQ(active("disk_nearly_full"), 0);
  EXPECT_EQ(active("clock_unsynchronised"), 0);
  // An old unconfirmed event alone makes the outbox "growing".
  t = telemetry("edge-1");
  t["outbox"]["oldest_pending_age_ms"] = 600'000;
  send("edge-1", t);
  EXPECT_EQ(active("outbox_growing"), 1);
  // A synchronised clock that is far off: skew measured against the receive time.
  t = telemetry("edge-1");
  t["at_ms"] = clock_.now_ms() + 45'000;
  send("edge-1", t);
  EXPECT_EQ(active("clock_unsynchronised"), 1);
  EXPECT_EQ(monitor_->device("edge-1")->clock_skew_ms, 45'000);
}

TEST_F(FleetMonitorTest, TamperFromEventsAndTelemetry) {
  send("edge-1", telemetry("edge-1"));
  const std::string event =
      R"({"schema":"1.0","event_id":"019ab699-ca40-70f8-9396-049e7fa2a847","device_id":"edge-1",)"
      R"("camera_id":"cam-1","seq":1,"type":"camera.tamper.covered","start_ms":1764000000000,)"
      R"("clock_synced":true,"confidence":0.9})";
  monitor_->submit("gridsight/v1/edge-1/events", event);
  monitor_->drain();
  EXPECT_EQ(active("camera_tampered", "cam-1"), 1);
  // Telemetry still showing it open keeps the alert; without it the alert clears.
  auto t = telemetry("edge-1");
  t["cameras"][0]["open_incidents"] = json::array({"camera.tamper.covered"});
  send("edge-1", t);
  EXPECT_EQ(active("camera_tampered", "cam-1"), 1);
  EXPECT_TRUE(monitor_->device("edge-1")->cameras[0].tampered);
  send("edge-1", telemetry("edge-1"));
  EXPECT_EQ(active("camera_tampered", "cam-1"), 0);
  // Other events are not even parsed.
  monitor_->submit("gridsight/v1/edge-1/events", R"({"type":"zone.intrusion"})");
  monitor_->drain();
  EXPECT_EQ(active("camera_tampered", "cam-1"), 0);
}

TEST_F(FleetMonitorTest, TableAndActiveAlertsSurviveARestart) {
  state("edge-1", false, "lost");
  send("edge-2", telemetry("edge-2"));
  monitor_.reset();
  open();
  EXPECT_EQ(monitor_->devices().size(), 2u);
  EXPECT_EQ(active("box_offline"), 1);
  ASSERT_TRUE(monitor_->device("edge-2"));
  EXPECT_EQ(monitor_->device("edge-2")->cameras.size(), 1u);
  // Bad input is ignored, not fatal.
  monitor_->submit("gridsight/v1/edge-2/telemetry", "{not json");
  monitor_->submit("gridsight/v1/edge-2/state", R"({"schema":"1.0"})");
  monitor_->submit("elsewhere/topic", "x");
  monitor_->drain();
  EXPECT_TRUE(monitor_->device("edge-2")->online);
}

// Every remote command is audited: who asked, what, to which box, when, how it ended; kept in
// the fleet table across a restart and filtered by box.
TEST_F(FleetMonitorTest, EveryRemoteCommandIsAuditedWithItsOutcome) {
  std::vector<std::string> sent;  // command ids, in order
  bool connected = true;
  CommandClient client(
      protocol::Topics("gridsight"),
      [&](const std::string&, const std::string& payload) {
        if (!connected) return false;
        sent.push_back(json::parse(payload)["command_id"]);
        return true;
      },
      clock_, [this](const CommandRecord& r) { monitor_->record_command(r); });
  std::vector<CommandReply> replies;
  auto keep = [&](const CommandReply& r) { replies.push_back(r); };

  client.send("edge-1", "snapshot", {{"camera", "cam-1"}}, 60'000, keep, "case 42 (re-check)");
  ASSERT_EQ(sent.size(), 1u);
  protocol::CommandResult accepted{sent[0], protocol::CommandStatus::kAccepted, "", "{}", 1};
  client.on_result("edge-1", protocol::encode(accepted));
  protocol::CommandResult done{sent[0], protocol::CommandStatus::kOk, "",
                               R"({"still_present":true})", 2};
  client.on_result("edge-2", protocol::encode(done));  // another box cannot answer for it
  EXPECT_TRUE(replies.empty());
  client.on_result("edge-1", protocol::encode(done));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].status, CommandReply::kOk);

  client.send("edge-2", "reload", json::object(), 60'000, keep, "operator");
  protocol::CommandResult refused{sent[1], protocol::CommandStatus::kRefused, "bad file", "{}", 3};
  client.on_result("edge-2", protocol::encode(refused));
  connected = false;
  client.send("edge-1", "diagnostics", json::object(), 60'000, keep);
  client.send("edge-1", "snapshot", json::object(), 60'000, keep, "case 43 (re-check)");
  connected = true;
  client.send("edge-1", "diagnostics", json::object(), 60'000, keep);
  client.stop();  // the last one never answered: "timeout" as the client stops
  ASSERT_EQ(replies.size(), 5u);
  monitor_->drain();

  auto all = monitor_->commands();
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[4].name, "snapshot");  // oldest last
  EXPECT_EQ(all[4].device_id, "edge-1");
  EXPECT_EQ(all[4].requested_by, "case 42 (re-check)");
  EXPECT_EQ(json::parse(all[4].args_json)["camera"], "cam-1");
  EXPECT_EQ(all[4].status, "ok");
  EXPECT_TRUE(all[4].accepted);
  EXPECT_EQ(all[4].issued_ms, clock_.now_ms());
  EXPECT_EQ(all[3].status, "refused");
  EXPECT_EQ(all[3].reason, "bad file");
  EXPECT_EQ(all[3].requested_by, "operator");
  EXPECT_EQ(all[2].status, "not_sent");
  EXPECT_EQ(all[2].requested_by, "aggregator");
  EXPECT_EQ(all[1].status, "not_sent");
  EXPECT_EQ(all[0].status, "timeout");
  EXPECT_FALSE(all[0].accepted);
  EXPECT_EQ(monitor_->commands(2).size(), 2u);
  EXPECT_EQ(monitor_->commands(100, "edge-2").size(), 1u);

  open();  // a restart keeps the audit
  EXPECT_EQ(monitor_->commands().size(), 5u);
}

TEST(FleetConfigTest, ReadsThresholdsAndRefusesUnknownKeys) {
  auto s = config::load_string("camera_down_after: 2m\ndisk_full_fraction: 0.8\n", "agg.yaml");
  auto c = FleetConfig::read(s);
  EXPECT_EQ(c.camera_down_after_ms, 120'000);
  EXPECT_DOUBLE_EQ(c.disk_full_fraction, 0.8);
  auto bad = config::load_string("camera_down_after: 2m\ndisk_full: 0.8\n", "agg.yaml");
  try {
    FleetConfig::read(bad);
    FAIL() << "unknown key accepted";
  } catch (const config::Error& e) {
    EXPECT_NE(std::string(e.what()).find("agg.yaml:2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("disk_full"), std::string::npos) << e.what();
  }
  auto out = config::load_string("disk_full_fraction: 1.5\n", "agg.yaml");
  EXPECT_THROW(FleetConfig::read(out), config::Error);
}

}  // namespace
}  // namespace gridsight::aggregator::fleet
