// The fleet table and alerts in the real aggregator, fed by real edges through a real
// mosquitto: a box marked offline when killed and online when back, a camera-down alert when
// its RTSP server stops, a tamper alert from a tamper event; alerts are published on
// <root>/dispatch/v1/fleet. And service integration: READY=1, WATCHDOG=1 and STOPPING=1 on a
// NOTIFY_SOCKET the test owns; SIGTERM exits 0 and loses no committed event.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <mutex>
#include <thread>

#include "tests/support/harness.h"

namespace gridsight::test {
namespace {

const std::string kFleetYaml =
    "fleet:\n  offline_after: 0s\n  camera_down_after: 0s\n  check_interval: 200ms\n"
    "  alert_on_unsynced_clock: false\n  clock_skew_max: 1d\n";

std::filesystem::path fleet_db(const TempDir& dir) {
  return dir / "aggregator-data" / "fleet.db";
}

std::optional<std::int64_t> online(const std::filesystem::path& db, const std::string& device) {
  return query_int(db, "SELECT online FROM fleet_devices WHERE device_id = '" + device + "'");
}

std::int64_t active_alerts(const std::filesystem::path& db, const std::string& kind,
                           const std::string& device, const std::string& camera = "") {
  return query_int(db, "SELECT COUNT(*) FROM fleet_alerts WHERE active = 1 AND kind = '" + kind +
                           "' AND device_id = '" + device + "' AND camera_id = '" + camera + "'")
      .value_or(0);
}

std::int64_t cleared_alerts(const std::filesystem::path& db, const std::string& kind,
                            const std::string& device, const std::string& camera = "") {
  return query_int(db, "SELECT COUNT(*) FROM fleet_alerts WHERE active = 0 AND kind = '" + kind +
                           "' AND device_id = '" + device + "' AND camera_id = '" + camera +
                           "' AND cleared_ms IS NOT NULL")
      .value_or(0);
}

AggregatorSpec aggregator_spec(const TempDir& dir, int port) {
  AggregatorSpec as;
  as.mqtt_port = port;
  as.data_dir = dir / "aggregator-data";
  as.extra_yaml = kFleetYaml;
  return as;
}

TEST(FleetSystem, BoxOfflineWhenKilledAndOnlineWhenBack) {
  TempDir dir("gridsight-fleet");
  Mosquitto broker(dir / "broker");
  broker.start();
  Aggregator agg(dir.path(), aggregator_spec(dir, broker.port()));
  agg.start();
  EdgeSpec es;
  es.device_id = "edge-f1";
  es.mqtt_port = broker.port();
  Edge edge(dir.path(), es);
  edge.start();
  const auto db = fleet_db(dir);
  ASSERT_TRUE(wait_until([&] { return online(db, "edge-f1") == 1; }, 120s))
      << agg.process().log_tail();
  // Telemetry fills the table: the clock skew and the health sections.
  ASSERT_TRUE(wait_until(
      [&] {
        return query_int(db,
                         "SELECT COUNT(*) FROM fleet_devices WHERE device_id='edge-f1' AND "
                         "telemetry LIKE '%\"disk\"%' AND clock_skew_ms IS NOT NULL")
                   .value_or(0) == 1;
      },
      120s));
  EXPECT_EQ(active_alerts(db, "box_offline", "edge-f1"), 0);

  // Alerts as the dispatch side sees them.
  Process sub("mosquitto_sub",
              {mosquitto_sub_binary(), "-h", "127.0.0.1", "-p", std::to_string(broker.port()), "-V",
               "mqttv5", "-q", "1", "-t", "gridsight/dispatch/v1/fleet", "-C", "2", "-W", "200"},
              dir / "fleet-sub.log");
  sub.start();
  std::this_thread::sleep_for(1s);  // let the subscription settle (not an assertion)

  edge.kill();  // SIGKILL: the broker sends the last will
  ASSERT_TRUE(wait_until([&] { return active_alerts(db, "box_offline", "edge-f1") == 1; }, 120s))
      << agg.process().log_tail();
  EXPECT_EQ(online(db, "edge-f1"), 0);
  EXPECT_EQ(query_text(db, "SELECT offline_reason FROM fleet_devices WHERE device_id='edge-f1'"),
            "lost");

  edge.start();
  ASSERT_TRUE(wait_until([&] { return online(db, "edge-f1") == 1; }, 120s))
      << agg.process().log_tail();
  ASSERT_TRUE(wait_until([&] { return cleared_alerts(db, "box_offline", "edge-f1") == 1; }, 60s));
  EXPECT_EQ(active_alerts(db, "box_offline", "edge-f1"), 0);

  ASSERT_TRUE(wait_until([&] { return !sub.is_running(); }, 200s));
  const std::string published = read_file(dir / "fleet-sub.log");
  EXPECT_NE(published.find(R"("state":"raised")"), std::string::npos) << published;
  EXPECT_NE(published.find(R"("state":"cleared")"), std::string::npos) << published;
  EXPECT_NE(published.find(R"("kind":"box_offline")"), std::string::npos) << published;
}

TEST(FleetSystem, TamperEventRaisesACameraTamperedAlert) {
  TempDir dir("gridsight-fleet-tamper");
  Mosquitto broker(dir / "broker");
  broker.start();
  Aggregator agg(dir.path(), aggregator_spec(dir, broker.port()));
  agg.start();
  ASSERT_TRUE(agg.process().wait_for_log("ingest: subscribed", 60s));
  // A tamper event as an edge sends it (analytics' camera.tamper.* types).
  const std::string event =
      R"({"schema":"1.0","event_id":"019ab699-ca40-70f8-9396-049e7fa2a847","device_id":"edge-t",)"
      R"("camera_id":"cam-9","seq":1,"type":"camera.tamper.covered","start_ms":1764000000000,)"
      R"("clock_synced":true,"confidence":0.9})";
  ASSERT_EQ(mosquitto_pub(broker.port(), "gridsight/v1/edge-t/events", event, dir.path()), 0);
  const auto db = fleet_db(dir);
  ASSERT_TRUE(
      wait_until([&] { return active_alerts(db, "camera_tampered", "edge-t", "cam-9") == 1; }, 60s))
      << agg.process().log_tail();
  EXPECT_EQ(query_text(db, "SELECT detail FROM fleet_alerts WHERE kind='camera_tampered'"),
            "camera.tamper.covered");
  EXPECT_EQ(
      query_int(
          db, "SELECT tampered FROM fleet_cameras WHERE device_id='edge-t' AND camera_id='cam-9'"),
      1);
  // The event is also stored as an event (it goes to maintenance, not to the grid).
  EXPECT_TRUE(wait_until([&] { return agg.stored("edge-t").value_or(0) == 1; }, 60s));
}

#ifdef GRIDSIGHT_RTSP_SERVER
TEST(FleetSystem, CameraDownAlertWhenItsRtspServerStops) {
  TempDir dir("gridsight-fleet-rtsp");
  const auto clip = dir / "clip.mp4";
  const std::string cmd =
      "ffmpeg -loglevel error -y -f lavfi -i testsrc=size=320x240:rate=5 -t 300 "
      "-c:v libx264 -preset ultrafast -g 10 -pix_fmt yuv420p " +
      clip.string();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const int rtsp_port = free_port();
  Process rtsp("rtsp", {GRIDSIGHT_RTSP_SERVER, std::to_string(rtsp_port), clip.string()},
               dir / "rtsp.log");
  rtsp.start();
  ASSERT_TRUE(rtsp.wait_for_log("ready", 60s)) << rtsp.log_tail();

  Mosquitto broker(dir / "broker");
  broker.start();
  Aggregator agg(dir.path(), aggregator_spec(dir, broker.port()));
  agg.start();
  EdgeSpec es;
  es.device_id = "edge-cam";
  es.cameras = {};
  es.mqtt_port = broker.port();
  es.extra_yaml = "  - id: cam-street\n    url: rtsp://127.0.0.1:" + std::to_string(rtsp_port) +
                  "/stream\n    stall_timeout: 2s\nevidence:\n  directory: " +
                  (dir / "evidence-work").string() + "\n";
  Edge edge(dir.path(), es);
  edge.start();
  const auto db = fleet_db(dir);
  auto cam_state = [&] {
    return query_text(
        db,
        "SELECT state FROM fleet_cameras WHERE device_id='edge-cam' AND camera_id='cam-street'");
  };
  ASSERT_TRUE(wait_until([&] { return cam_state() == "streaming"; }, 120s))
      << edge.process().log_tail() << agg.process().log_tail();
  EXPECT_EQ(active_alerts(db, "camera_down", "edge-cam", "cam-street"), 0);

  rtsp.kill();  // the camera goes away
  ASSERT_TRUE(wait_until(
      [&] { return active_alerts(db, "camera_down", "edge-cam", "cam-street") == 1; }, 180s))
      << edge.process().log_tail();
  EXPECT_NE(cam_state(), "streaming");

  rtsp.start();  // and comes back on the same port
  ASSERT_TRUE(wait_until(
      [&] {
        return cleared_alerts(db, "camera_down", "edge-cam", "cam-street") >= 1 &&
               active_alerts(db, "camera_down", "edge-cam", "cam-street") == 0;
      },
      180s))
      << edge.process().log_tail();
}
#endif

// ---- service integration ---------------------------------------------------------------

// A unix datagram socket the test owns, standing in for systemd's notify socket.
class NotifySocket {
 public:
  explicit NotifySocket(const std::filesystem::path& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    timeval tv{0, 100'000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    thread_ = std::thread([this] {
      char buf[4096];
      while (!stop_) {
        const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n > 0) {
          std::lock_guard lock(mu_);
          text_.append(buf, static_cast<std::size_t>(n)).append("\n");
        }
      }
    });
  }
  ~NotifySocket() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::string text() {
    std::lock_guard lock(mu_);
    return text_;
  }
  bool has(const std::string& s) { return text().find(s) != std::string::npos; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::string text_;
  std::thread thread_;
};

TEST(ServiceSystem, EdgeNotifiesReadyWatchdogStoppingAndLosesNoCommittedEventOnSigterm) {
  TempDir dir("gridsight-notify");
  Mosquitto broker(dir / "broker");
  broker.start();
  AggregatorSpec as;
  as.mqtt_port = broker.port();
  Aggregator agg(dir.path(), as);
  agg.start();
  EdgeSpec es;
  es.device_id = "edge-n";
  es.mqtt_port = broker.port();
  Edge edge(dir.path(), es);  // writes the config; the process below runs it with the env
  NotifySocket notify(dir / "notify.sock");
  auto argv = edge_command();
  argv.insert(argv.end(),
              {"--config", edge.config_path().string(), "--synthetic", "--synthetic-rate", "200"});
  Process p("edge", argv, dir / "edge-notify.log",
            {{"NOTIFY_SOCKET", notify.path().string()}, {"WATCHDOG_USEC", "400000"}});
  p.start();
  ASSERT_TRUE(wait_while_running(
      {&p}, [&] { return notify.has("READY=1"); }, 60s))
      << p.log_tail();
  ASSERT_TRUE(wait_while_running(
      {&p}, [&] { return notify.has("WATCHDOG=1"); }, 60s))
      << p.log_tail();
  ASSERT_TRUE(wait_until([&] { return edge.meta("last_seq").value_or(0) >= 200; }, 60s));
  EXPECT_EQ(p.stop(), 0) << p.log_tail();
  EXPECT_TRUE(notify.has("STOPPING=1")) << notify.text();
  // Every event the edge committed reaches the aggregator: the rest go after a restart.
  const auto committed = edge.meta("last_seq").value_or(0);
  ASSERT_GE(committed, 200);
  edge.start();
  ASSERT_TRUE(edge.process().wait_for_log("mqtt: connected", 60s)) << edge.process().log_tail();
  ASSERT_TRUE(wait_until([&] { return agg.stored("edge-n").value_or(0) == committed; }, 120s))
      << "stored " << agg.stored("edge-n").value_or(-1) << " of " << committed;
  EXPECT_EQ(edge.stop(), 0);
}

TEST(ServiceSystem, AggregatorNotifiesReadyWatchdogAndStopping) {
  TempDir dir("gridsight-notify-agg");
  Mosquitto broker(dir / "broker");
  broker.start();
  AggregatorSpec as;
  as.mqtt_port = broker.port();
  as.data_dir = dir / "aggregator-data";
  write_file(dir / "aggregator.yaml", aggregator_config_yaml(as));
  NotifySocket notify(dir / "notify.sock");
  Process p("aggregator", {aggregator_binary(), "--config", (dir / "aggregator.yaml").string()},
            dir / "agg-notify.log",
            {{"NOTIFY_SOCKET", notify.path().string()}, {"WATCHDOG_USEC", "400000"}});
  p.start();
  ASSERT_TRUE(wait_while_running(
      {&p}, [&] { return notify.has("READY=1"); }, 60s))
      << p.log_tail();
  ASSERT_TRUE(wait_while_running(
      {&p}, [&] { return notify.has("WATCHDOG=1"); }, 60s))
      << p.log_tail();
  EXPECT_EQ(p.stop(), 0) << p.log_tail();
  EXPECT_TRUE(notify.has("STOPPING=1")) << notify.text();
}

}  // namespace
}  // namespace gridsight::test
