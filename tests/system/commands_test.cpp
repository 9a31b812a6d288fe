// Remote commands through a real mosquitto to the real gridsight-edge: each command type is
// acknowledged and answered; unknown and malformed commands are refused with a reason; a
// configuration reload changes one camera's rules without touching the other; the grid
// engine's recheck channel is answered by the live edge; with mutual TLS and the ACL only
// the aggregator's identity can command a box.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <signal.h>

#include <fstream>
#include <future>
#include <iterator>
#include <mutex>
#include <nlohmann/json.hpp>

#include "aggregator/fleet/command_client.h"
#include "common/clock.h"
#include "common/metrics.h"
#include "common/mqtt/session.h"
#include "protocol/messages.h"
#include "protocol/topics.h"
#include "tests/support/harness.h"

namespace gridsight::test {
namespace {

using aggregator::fleet::CommandClient;
using aggregator::fleet::CommandReply;
using nlohmann::json;

// The aggregator's side of the command channel, in the test process: a real MQTT session
// with the product's CommandClient; every cmd/result message is also kept as it came.
class Commander {
 public:
  explicit Commander(int port) : topics_("gridsight") {
    mqtt::Options o;
    o.port = port;
    o.allow_insecure = true;
    o.client_id = "test-commander";
    o.session_expiry_s = 0;
    o.backoff = {100, 1000, 2.0, 0.5};
    mqtt::Session::Handlers h;
    h.on_connected = [this](bool) {
      session_->subscribe({topics_.all_devices(protocol::TopicKind::kCommandResult)}, 1);
      connected_ = true;
    };
    h.on_message = [this](std::string topic, std::string payload) {
      auto t = topics_.parse(topic);
      if (!t) return;
      {
        std::lock_guard lock(mu_);
        raw_.push_back(payload);
      }
      client_->on_result(t->device_id, payload);
    };
    session_ = std::make_unique<mqtt::Session>(o, std::nullopt, std::move(h), metrics_, "test_cmd");
    client_ = std::make_unique<CommandClient>(
        topics_,
        [this](const std::string& topic, const std::string& payload) {
          return session_->publish(topic, payload, 1, false);
        },
        SystemClock::instance());
    session_->start();
    EXPECT_TRUE(wait_until([&] { return connected_.load(); }, 60s));
  }
  ~Commander() { session_->stop(); }

  CommandReply call(const std::string& device, const std::string& name, json args = json::object(),
                    std::int64_t timeout_ms = 60'000) {
    return client_->call(device, name, args, timeout_ms);
  }
  void publish_raw(const std::string& device, const std::string& payload) {
    ASSERT_TRUE(session_->publish(topics_.device(device, protocol::TopicKind::kCommand), payload, 1,
                                  false));
  }
  // Decoded results seen so far.
  std::vector<protocol::CommandResult> results() {
    std::lock_guard lock(mu_);
    std::vector<protocol::CommandResult> out;
    for (const auto& p : raw_) {
      if (auto r = protocol::decode_command_result(p)) out.push_back(*r.value);
    }
    return out;
  }
  std::optional<protocol::CommandResult> final_result(const std::string& id) {
    for (const auto& r : results()) {
      if (r.command_id == id && r.status != protocol::CommandStatus::kAccepted) return r;
    }
    return std::nullopt;
  }
  CommandClient& client() { return *client_; }

 private:
  protocol::Topics topics_;
  Metrics metrics_;
  std::unique_ptr<mqtt::Session> session_;
  std::unique_ptr<CommandClient> client_;
  std::atomic<bool> connected_{false};
  std::mutex mu_;
  std::vector<std::string> raw_;
};

// A short looping clip as a camera (capture and analytics on real decoding).
std::filesystem::path make_clip(const TempDir& dir) {
  const auto clip = dir / "clip.mp4";
  const std::string cmd =
      "ffmpeg -loglevel error -y -f lavfi -i testsrc=size=320x240:rate=10 -t 6 "
      "-c:v libx264 -preset veryfast -g 10 -pix_fmt yuv420p " +
      clip.string();
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  return clip;
}

std::string video_camera_yaml(const std::string& id, const std::filesystem::path& clip,
                              const std::string& rule_id) {
  return "  - id: " + id +
         "\n    location: {lon: 120.15507, lat: 30.27408, crs: WGS84}\n"
         "    url: " +
         clip.string() +
         "\n    loop: true\n    detection:\n      rules:\n"
         "        - {id: " +
         rule_id + ", detector: motion, type: zone.intrusion, min_duration: 1s}\n";
}

std::string evidence_yaml(const TempDir& dir) {
  return "evidence:\n  directory: " + (dir / "evidence-work").string() + "\n";
}

std::vector<std::uint8_t> unbase64(const std::string& s) {
  std::vector<std::uint8_t> out(s.size() / 4 * 3 + 3);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(s.data()),
                                static_cast<int>(s.size()));
  out.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
  return out;
}

const json* camera(const json& health, const std::string& id) {
  for (const auto& c : health["cameras"]) {
    if (c["id"] == id) return &c;
  }
  return nullptr;
}

class CommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clip_ = make_clip(dir_);
    broker_ = std::make_unique<Mosquitto>(dir_ / "broker");
    broker_->start();
    EdgeSpec es;
    es.device_id = "edge-cmd";
    es.cameras = {"cam-events"};
    es.mqtt_port = broker_->port();
    es.extra_yaml = video_camera_yaml("cam-a", clip_, "rule-a") +
                    video_camera_yaml("cam-b", clip_, "rule-b") + evidence_yaml(dir_);
    edge_ = std::make_unique<Edge>(dir_.path(), es);
    edge_->start();
    commander_ = std::make_unique<Commander>(broker_->port());
    // Until the edge has subscribed, a command finds nobody: ask until it answers.
    ASSERT_TRUE(wait_until(
        [&] {
          return commander_->call("edge-cmd", "diagnostics", {{"log_lines", 0}}, 3'000).status ==
                 CommandReply::kOk;
        },
        120s))
        << edge_->process().log_tail();
  }

  // Whatever the commands did, the edge still stops cleanly on SIGTERM.
  void TearDown() override {
    commander_.reset();
    if (edge_ && edge_->process().is_running()) {
      EXPECT_EQ(edge_->stop(), 0) << edge_->process().log_tail();
    }
  }

  // Diagnostics until `pred` holds on its health report.
  json health_when(const std::function<bool(const json&)>& pred) {
    json last;
    wait_until(
        [&] {
          auto r = commander_->call("edge-cmd", "diagnostics", {{"log_lines", 0}});
          if (r.status != CommandReply::kOk) return false;
          last = r.result["health"];
          return pred(last);
        },
        120s, 300ms);
    return last;
  }

  TempDir dir_{"gridsight-commands"};
  std::filesystem::path clip_;
  std::unique_ptr<Mosquitto> broker_;
  std::unique_ptr<Edge> edge_;
  std::unique_ptr<Commander> commander_;
};

bool streaming(const json& h, const std::string& cam) {
  const json* c = camera(h, cam);
  return c && (*c)["state"] == "streaming" && (*c)["decoded_fps"].get<double>() > 0;
}

TEST_F(CommandsTest, EveryCommandIsAcknowledgedAndAnswered) {
  // diagnostics: the health report and recent log lines.
  auto h =
      health_when([](const json& j) { return streaming(j, "cam-a") && streaming(j, "cam-b"); });
  ASSERT_TRUE(streaming(h, "cam-a")) << h.dump(1) << edge_->process().log_tail();
  EXPECT_EQ(h["device_id"], "edge-cmd");
  for (const char* key : {"outbox", "uplink", "disk", "system", "clock", "config", "cameras"}) {
    EXPECT_TRUE(h.contains(key)) << key;
  }
  EXPECT_TRUE(h["uplink"]["connected"].get<bool>());
  EXPECT_GT(h["disk"]["total_bytes"].get<std::uint64_t>(), 0u);
  EXPECT_GT(h["system"]["rss_bytes"].get<std::uint64_t>(), 0u);
  EXPECT_EQ(h["config"]["sha256"], sha256_file(edge_->config_path()));
  EXPECT_EQ((*camera(h, "cam-events"))["state"], "no_video");
  auto d = commander_->call("edge-cmd", "diagnostics", {{"log_lines", 20}});
  ASSERT_EQ(d.status, CommandReply::kOk) << d.reason;
  EXPECT_TRUE(d.accepted);
  EXPECT_FALSE(d.result["log"].empty());

  // snapshot: a JPEG of the latest frame, inline.
  auto s = commander_->call("edge-cmd", "snapshot", {{"camera", "cam-a"}});
  ASSERT_EQ(s.status, CommandReply::kOk) << s.reason;
  EXPECT_TRUE(s.accepted);
  ASSERT_TRUE(s.result["frame"].is_object()) << s.result.dump();
  auto jpeg = unbase64(s.result["frame"]["jpeg_base64"].get<std::string>());
  ASSERT_GT(jpeg.size(), 100u);
  EXPECT_EQ(jpeg[0], 0xFF);
  EXPECT_EQ(jpeg[1], 0xD8);
  EXPECT_GT(s.result["frame"]["width"].get<int>(), 0);
  // A small cap is honoured by lowering the quality.
  auto small =
      commander_->call("edge-cmd", "snapshot", {{"camera", "cam-a"}, {"max_bytes", 40000}});
  ASSERT_EQ(small.status, CommandReply::kOk) << small.reason;
  EXPECT_LE(small.result["frame"]["jpeg_base64"].get<std::string>().size(), 40000u);
  // A camera without video answers with its state and no frame.
  auto nv = commander_->call("edge-cmd", "snapshot", {{"camera", "cam-events"}});
  ASSERT_EQ(nv.status, CommandReply::kOk) << nv.reason;
  EXPECT_EQ(nv.result["state"], "no_video");
  EXPECT_TRUE(nv.result["frame"].is_null());

  // restart_camera: the capture session starts again (one more reconnect).
  auto before = (*camera(h, "cam-a"))["reconnects"].get<std::uint64_t>();
  auto r = commander_->call("edge-cmd", "restart_camera", {{"camera", "cam-a"}});
  ASSERT_EQ(r.status, CommandReply::kOk) << r.reason;
  EXPECT_TRUE(r.accepted);
  auto after = health_when([&](const json& j) {
    return (*camera(j, "cam-a"))["reconnects"].get<std::uint64_t>() > before;
  });
  EXPECT_GT((*camera(after, "cam-a"))["reconnects"].get<std::uint64_t>(), before);
  // Restarting a camera without video is an error, not a crash.
  auto rn = commander_->call("edge-cmd", "restart_camera", {{"camera", "cam-events"}});
  EXPECT_EQ(rn.status, CommandReply::kError);
  EXPECT_NE(rn.reason.find("no video"), std::string::npos) << rn.reason;

  // reload_config with an unchanged file: every camera is left as it was.
  auto rl = commander_->call("edge-cmd", "reload_config");
  ASSERT_EQ(rl.status, CommandReply::kOk) << rl.reason;
  EXPECT_TRUE(rl.accepted);
  EXPECT_EQ(rl.result["unchanged"].size(), 2u) << rl.result.dump();
  EXPECT_TRUE(rl.result["restarted"].empty());
}

TEST_F(CommandsTest, UnknownMalformedAndInvalidCommandsAreRefusedWithAReason) {
  auto first = commander_->call("edge-cmd", "diagnostics", {{"log_lines", 0}});
  ASSERT_EQ(first.status, CommandReply::kOk);
  const int refused_before = first.result["health"]["commands"]["refused_total"].get<int>();
  auto u = commander_->call("edge-cmd", "self_destruct");
  EXPECT_EQ(u.status, CommandReply::kRefused);
  EXPECT_FALSE(u.accepted);
  EXPECT_NE(u.reason.find("unknown_command"), std::string::npos) << u.reason;

  auto bad_cam = commander_->call("edge-cmd", "snapshot", {{"camera", "no-such-cam"}});
  EXPECT_EQ(bad_cam.status, CommandReply::kRefused);
  EXPECT_NE(bad_cam.reason.find("invalid_args"), std::string::npos) << bad_cam.reason;
  auto extra = commander_->call("edge-cmd", "diagnostics", {{"log_lines", 5}, {"rm", "-rf"}});
  EXPECT_EQ(extra.status, CommandReply::kRefused);
  EXPECT_NE(extra.reason.find("rm: unknown argument"), std::string::npos) << extra.reason;

  // Not JSON at all; a command without a name; an expired one.
  commander_->publish_raw("edge-cmd", "{this is not json");
  commander_->publish_raw(
      "edge-cmd",
      R"({"schema":"1.0","command_id":"c-noname","args":{},"issued_ms":1764000000000})");
  commander_->publish_raw(
      "edge-cmd",
      R"({"schema":"1.0","command_id":"c-old","name":"diagnostics","args":{},"issued_ms":1764000000000,"expires_ms":1764000001000})");
  ASSERT_TRUE(wait_until(
      [&] {
        return commander_->final_result("malformed") && commander_->final_result("c-noname") &&
               commander_->final_result("c-old");
      },
      60s))
      << edge_->process().log_tail();
  auto m = *commander_->final_result("malformed");
  EXPECT_EQ(m.status, protocol::CommandStatus::kRefused);
  EXPECT_NE(m.reason.find("malformed"), std::string::npos) << m.reason;
  auto n = *commander_->final_result("c-noname");
  EXPECT_EQ(n.status, protocol::CommandStatus::kRefused);
  EXPECT_NE(n.reason.find("name"), std::string::npos) << n.reason;
  auto o = *commander_->final_result("c-old");
  EXPECT_EQ(o.status, protocol::CommandStatus::kRefused);
  EXPECT_EQ(o.reason, "expired");
  // None of them was acknowledged, and each was counted.
  for (const auto& r : commander_->results()) {
    if (r.command_id == "c-noname" || r.command_id == "c-old" || r.command_id == "malformed") {
      EXPECT_NE(r.status, protocol::CommandStatus::kAccepted);
    }
  }
  auto d = commander_->call("edge-cmd", "diagnostics", {{"log_lines", 0}});
  ASSERT_EQ(d.status, CommandReply::kOk);
  EXPECT_EQ(d.result["health"]["commands"]["refused_total"].get<int>() - refused_before, 6)
      << d.result.dump();
  // The edge is still there and working.
  EXPECT_TRUE(edge_->process().is_running());
}

TEST_F(CommandsTest, ReloadChangesOneCameraAndLeavesTheOtherRunning) {
  auto h =
      health_when([](const json& j) { return streaming(j, "cam-a") && streaming(j, "cam-b"); });
  ASSERT_TRUE(streaming(h, "cam-b")) << h.dump(1);
  const auto a_before = *camera(h, "cam-a");
  ASSERT_EQ(a_before["pipeline_starts"], 1);
  ASSERT_EQ(a_before["rule_sets"], 1);

  // An invalid configuration is refused with file:line:key and nothing changes.
  const std::string good = read_file(edge_->config_path());
  std::string broken = good;
  broken.replace(broken.find("min_duration: 1s}\n", broken.find("rule-b")), 17,
                 "min_duration: soon}");
  write_file(edge_->config_path(), broken);
  auto bad = commander_->call("edge-cmd", "reload_config");
  ASSERT_EQ(bad.status, CommandReply::kError) << bad.result.dump();
  EXPECT_NE(bad.reason.find(edge_->config_path().string() + ":"), std::string::npos) << bad.reason;
  EXPECT_NE(bad.reason.find("min_duration"), std::string::npos) << bad.reason;

  // cam-b gets new rules (by SIGHUP); cam-a is not touched.
  std::string changed = good;
  changed.replace(changed.find("rule-b"), 6, "rule-b2");
  write_file(edge_->config_path(), changed);
  const auto from = edge_->process().log_size();
  ASSERT_EQ(::kill(edge_->process().pid(), SIGHUP), 0);
  ASSERT_TRUE(edge_->process().wait_for_log("reload: configuration applied", 60s, from))
      << edge_->process().log_tail();
  auto after = health_when([](const json& j) {
    const json* b = camera(j, "cam-b");
    return b && (*b)["rules"] == json::array({"rule-b2"});
  });
  const json* b = camera(after, "cam-b");
  ASSERT_TRUE(b);
  EXPECT_EQ((*b)["rules"], json::array({"rule-b2"})) << after.dump(1);
  EXPECT_EQ((*b)["rule_sets"], 2);
  const json* a = camera(after, "cam-a");
  EXPECT_EQ((*a)["pipeline_starts"], 1);
  EXPECT_EQ((*a)["pipeline_started_ms"], a_before["pipeline_started_ms"]);
  EXPECT_EQ((*a)["rule_sets"], 1);
  EXPECT_EQ((*a)["reconnects"], a_before["reconnects"]);
  EXPECT_EQ((*a)["rules"], json::array({"rule-a"}));
  EXPECT_EQ(after["config"]["sha256"], sha256_file(edge_->config_path()));

  // A new url rebuilds that camera's pipeline only.
  const auto clip2 = dir_ / "clip2.mp4";
  std::filesystem::copy_file(clip_, clip2);
  std::string moved = changed;
  const auto at = moved.find("url: ", moved.find("id: cam-b"));
  moved.replace(at, 5 + clip_.string().size(), "url: " + clip2.string());
  write_file(edge_->config_path(), moved);
  auto rl = commander_->call("edge-cmd", "reload_config");
  ASSERT_EQ(rl.status, CommandReply::kOk) << rl.reason;
  EXPECT_EQ(rl.result["restarted"], json::array({"cam-b"})) << rl.result.dump();
  auto last = health_when([](const json& j) { return streaming(j, "cam-b"); });
  EXPECT_EQ((*camera(last, "cam-b"))["pipeline_starts"], 2);
  EXPECT_EQ((*camera(last, "cam-a"))["pipeline_starts"], 1);
}

// Waits for the asynchronous answer of one re-check.
cases::RecheckAnswer ask(cases::RecheckChannel& channel, const cases::RecheckRequest& req) {
  auto answer = std::make_shared<std::promise<cases::RecheckAnswer>>();
  auto f = answer->get_future();
  channel.ask(req, [answer](cases::RecheckAnswer a) { answer->set_value(a); });
  return f.get();
}

TEST_F(CommandsTest, RecheckChannelIsAnsweredByTheLiveEdge) {
  health_when([](const json& j) { return streaming(j, "cam-a"); });
  aggregator::fleet::RemoteRecheck recheck(commander_->client(), 60'000);
  cases::RecheckRequest req;
  req.case_id = 7;
  req.device_id = "edge-cmd";
  req.camera_id = "cam-a";
  // The camera has a zone.intrusion rule: the edge says whether one is open now.
  req.event_type = "zone.intrusion";
  const auto answer = ask(recheck, req);
  EXPECT_NE(answer, cases::RecheckAnswer::kUnavailable);
  auto s = commander_->call("edge-cmd", "snapshot",
                            {{"camera", "cam-a"}, {"type", "zone.intrusion"}, {"frame", false}});
  ASSERT_EQ(s.status, CommandReply::kOk) << s.reason;
  EXPECT_TRUE(s.result["frame"].is_null());
  const bool open = !s.result["open_incidents"].empty();
  EXPECT_EQ(s.result["still_present"], open) << s.result.dump();
  // No rule of that type, or a camera without video: the edge cannot tell.
  req.event_type = "parking.illegal";
  EXPECT_EQ(ask(recheck, req), cases::RecheckAnswer::kUnavailable);
  req.event_type = "zone.intrusion";
  req.camera_id = "cam-events";
  EXPECT_EQ(ask(recheck, req), cases::RecheckAnswer::kUnavailable);
  // A box the fleet table knows to be offline is not asked at all.
  aggregator::fleet::RemoteRecheck offline(commander_->client(), 60'000,
                                           [](const std::string&) { return false; });
  req.camera_id = "cam-a";
  const auto sent = commander_->client().sent();
  EXPECT_EQ(ask(offline, req), cases::RecheckAnswer::kUnavailable);
  EXPECT_EQ(commander_->client().sent(), sent);
  // An edge that does not answer: unavailable (the engine then trusts the events).
  aggregator::fleet::RemoteRecheck quick(commander_->client(), 1'000);
  req.device_id = "edge-absent";
  req.camera_id = "cam-a";
  EXPECT_EQ(ask(quick, req), cases::RecheckAnswer::kUnavailable);
}

// Mutual TLS and the ACL written by gridsight-pki: a device's identity cannot command another
// box; the aggregator's can.
TEST(CommandsAcl, OnlyTheAggregatorIdentityCanCommand) {
  TempDir dir("gridsight-commands-acl");
  Pki pki(dir / "pki");
  pki.aggregator();
  pki.device("edge-1");
  pki.device("edge-2");
  Mosquitto::Options bo;
  bo.tls = &pki;
  Mosquitto broker(dir / "broker", bo);
  broker.start();
  EdgeSpec es;
  es.device_id = "edge-1";
  es.mqtt_port = broker.port();
  es.tls = ClientTls{pki.ca(), pki.cert("edge-1"), pki.key("edge-1")};
  Edge edge(dir.path(), es);
  edge.start();
  ASSERT_TRUE(edge.process().wait_for_log("mqtt: connected", 60s)) << edge.process().log_tail();

  auto pub = [&](const std::string& who, const std::string& payload) {
    Process p("mosquitto_pub",
              {mosquitto_pub_binary(), "-h", "localhost", "-p", std::to_string(broker.port()), "-V",
               "mqttv311", "-q", "1", "-t", "gridsight/v1/edge-1/cmd", "-m", payload, "--cafile",
               pki.ca().string(), "--cert", pki.cert(who).string(), "--key", pki.key(who).string()},
              dir / ("pub-" + who + ".log"));
    p.start();
    wait_until([&] { return !p.is_running(); }, 60s);
  };
  const std::string cmd =
      R"({"schema":"1.0","command_id":"ID","name":"diagnostics","args":{"log_lines":0},"issued_ms":1764000000000})";
  auto with_id = [&](const std::string& id) {
    std::string c = cmd;
    c.replace(c.find("ID"), 2, id);
    return c;
  };
  pub("edge-2", with_id("c-from-edge-2"));  // denied by the broker's ACL
  pub("gridsight-aggregator", with_id("c-from-aggregator"));
  // The client id is bound to the certificate (use_username_as_clientid), so no second
  // client may listen as the aggregator meanwhile: the edge's log shows what it ran.
  ASSERT_TRUE(edge.process().wait_for_log("(c-from-aggregator) done", 150s))
      << edge.process().log_tail();
  // Commands run in arrival order: the aggregator's was answered, so the other never arrived.
  EXPECT_EQ(edge.process().log_text().find("c-from-edge-2"), std::string::npos);
}

// A dispatch consumer (the centre's platform, a GIS) has its own certificate: it reads the
// dispatch outputs and nothing else; it can neither command a box nor read a box's topics.
TEST(DispatchConsumer, ReadsDispatchOnlyAndCannotCommandABox) {
  TempDir dir("gridsight-dispatch-consumer");
  Pki pki(dir / "pki");
  pki.aggregator();
  pki.device("edge-1");
  pki.consumer("dispatch-gis");
  EXPECT_NE(pki.run({"consumer", "gridsight-aggregator"}), 0);  // reserved
  EXPECT_NE(pki.run({"consumer", "edge-1"}), 0);                // already a device
  Mosquitto::Options bo;
  bo.tls = &pki;
  Mosquitto broker(dir / "broker", bo);
  broker.start();
  EdgeSpec es;
  es.device_id = "edge-1";
  es.mqtt_port = broker.port();
  es.tls = ClientTls{pki.ca(), pki.cert("edge-1"), pki.key("edge-1")};
  Edge edge(dir.path(), es);
  edge.start();
  ASSERT_TRUE(edge.process().wait_for_log("mqtt: connected", 60s)) << edge.process().log_tail();

  auto tls_args = [&](const std::string& who) {
    return std::vector<std::string>{
        "-h",       "localhost",          "-p",     std::to_string(broker.port()),
        "--cafile", pki.ca().string(),    "--cert", pki.cert(who).string(),
        "--key",    pki.key(who).string()};
  };
  auto pub = [&](const std::string& who, const std::string& topic, const std::string& payload) {
    std::vector<std::string> args = {
        mosquitto_pub_binary(), "-V", "mqttv5", "-q", "1", "-t", topic, "-m", payload};
    for (auto& a : tls_args(who)) args.push_back(a);
    Process p("mosquitto_pub", args, dir / ("pub-" + who + ".log"));
    p.start();
    wait_until([&] { return !p.is_running(); }, 60s);
  };

  // The consumer listens to a box's events and to the dispatch outputs.
  std::vector<std::string> sub_args = {mosquitto_sub_binary(),
                                       "-d",
                                       "-V",
                                       "mqttv5",
                                       "-q",
                                       "1",
                                       "-v",
                                       "-C",
                                       "1",
                                       "-t",
                                       "gridsight/v1/edge-1/events",
                                       "-t",
                                       "gridsight/dispatch/#"};
  for (auto& a : tls_args("dispatch-gis")) sub_args.push_back(a);
  Process sub("mosquitto_sub", sub_args, dir / "sub.log");
  sub.start();
  ASSERT_TRUE(sub.wait_for_log("received SUBACK", 60s)) << sub.log_tail();
  // A box's message (routed by the broker once mosquitto_pub has its PUBACK), then a
  // dispatch output: the consumer's first message is the dispatch output.
  pub("edge-1", "gridsight/v1/edge-1/events", "{\"probe\":\"box\"}");
  pub("gridsight-aggregator", "gridsight/dispatch/v1/cases", "{\"probe\":\"dispatch\"}");
  ASSERT_TRUE(wait_until([&] { return !sub.is_running(); }, 60s)) << sub.log_tail();
  const std::string got = sub.log_text();
  EXPECT_NE(got.find("gridsight/dispatch/v1/cases {\"probe\":\"dispatch\"}"), std::string::npos)
      << got;
  EXPECT_EQ(got.find("\"box\""), std::string::npos) << got;

  // A command from the consumer is refused by the broker; the aggregator's, sent after it,
  // is run: commands run in arrival order, so the consumer's never arrived.
  const std::string cmd =
      R"({"schema":"1.0","command_id":"ID","name":"diagnostics","args":{"log_lines":0},"issued_ms":1764000000000})";
  auto with_id = [&](const std::string& id) {
    std::string c = cmd;
    c.replace(c.find("ID"), 2, id);
    return c;
  };
  pub("dispatch-gis", "gridsight/v1/edge-1/cmd", with_id("c-from-consumer"));
  pub("gridsight-aggregator", "gridsight/v1/edge-1/cmd", with_id("c-from-aggregator"));
  ASSERT_TRUE(edge.process().wait_for_log("(c-from-aggregator) done", 150s))
      << edge.process().log_tail();
  EXPECT_EQ(edge.process().log_text().find("c-from-consumer"), std::string::npos);

  // Revoked: the consumer's ACL entry is gone.
  pki.revoke("dispatch-gis");
  std::ifstream acl(pki.dir() / "acl");
  const std::string text((std::istreambuf_iterator<char>(acl)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.find("user dispatch-gis"), std::string::npos) << text;
  EXPECT_NE(text.find("user edge-1"), std::string::npos) << text;
}

}  // namespace
}  // namespace gridsight::test
