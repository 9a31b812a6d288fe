// Secure transport against a real mosquitto with mutual TLS, the CRL and the per-device ACL
// written by tools/gridsight-pki (docs/security.md).
#include <gtest/gtest.h>

#include <ctime>
#include <fstream>
#include <set>
#include <sstream>

#include "tests/support/harness.h"

namespace gridsight::test {
namespace {

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_ = std::make_unique<Pki>(dir_ / "pki");
    pki_->aggregator();
    pki_->device("edge-1");
    pki_->device("edge-2");
  }

  ClientTls client(const std::string& name) const {
    return {pki_->ca(), pki_->cert(name), pki_->key(name)};
  }

  std::unique_ptr<Mosquitto> start_broker() {
    Mosquitto::Options o;
    o.tls = pki_.get();
    auto b = std::make_unique<Mosquitto>(dir_ / "broker", o);
    b->start();
    return b;
  }

  std::unique_ptr<Aggregator> start_aggregator(int port) {
    AggregatorSpec spec;
    spec.mqtt_port = port;
    spec.tls = client("gridsight-aggregator");
    auto a = std::make_unique<Aggregator>(dir_ / "agg", spec);
    a->start();
    return a;
  }

  std::unique_ptr<Edge> make_edge(int port, const std::string& device, ClientTls tls) {
    EdgeSpec spec;
    spec.device_id = device;
    spec.mqtt_port = port;
    spec.tls = std::move(tls);
    return std::make_unique<Edge>(dir_.path(), spec);
  }

  // mosquitto_sub with a client's files; returns what it printed within `seconds`.
  std::string subscribe(int port, const ClientTls& tls, const std::string& topic, int seconds,
                        int* status = nullptr, bool with_cert = true) {
    std::vector<std::string> argv{mosquitto_sub_binary(), "-h", "localhost", "-p",
                                  std::to_string(port), "-V", "mqttv5", "-q", "1", "-t", topic,
                                  "-W", std::to_string(seconds), "--cafile", tls.ca.string()};
    if (with_cert) {
      argv.insert(argv.end(), {"--cert", tls.cert.string(), "--key", tls.key.string()});
    }
    static int n = 0;
    auto log = dir_ / ("sub-" + std::to_string(++n) + ".log");
    Process p("mosquitto_sub", argv, log);
    p.start();
    wait_until([&] { return !p.is_running(); }, std::chrono::seconds(seconds + 30));
    if (status) *status = p.exit_status().value_or(-1);
    return read_file(log);
  }

  TempDir dir_{"gridsight-tls"};
  std::unique_ptr<Pki> pki_;
};

TEST_F(TlsTest, ValidDeviceEventsFlowEndToEnd) {
  auto broker = start_broker();
  auto agg = start_aggregator(broker->port());
  auto edge = make_edge(broker->port(), "edge-1", client("edge-1"));
  edge->start({"--synthetic", "--synthetic-rate", "50", "--synthetic-count", "30"});
  ASSERT_TRUE(wait_until([&] { return agg->stored("edge-1").value_or(0) == 30; }, 120s))
      << edge->process().log_tail();
  EXPECT_EQ(query_int(agg->db(), "SELECT online FROM devices WHERE device_id='edge-1'"), 1);
}

TEST_F(TlsTest, ClientsWithoutAFleetCertificateCannotConnect) {
  Pki rogue(dir_ / "rogue-pki");  // another CA
  rogue.device("edge-9");
  auto broker = start_broker();
  auto agg = start_aggregator(broker->port());
  auto other_ca = make_edge(broker->port(), "edge-9",
                            {pki_->ca(), rogue.cert("edge-9"), rogue.key("edge-9")});
  other_ca->start({"--synthetic", "--synthetic-rate", "20"});
  // A valid device, so we know the broker works while the other is refused.
  auto good = make_edge(broker->port(), "edge-1", client("edge-1"));
  good->start({"--synthetic", "--synthetic-rate", "20", "--synthetic-count", "5"});
  ASSERT_TRUE(wait_until([&] { return agg->stored("edge-1").value_or(0) == 5; }, 120s));
  ASSERT_TRUE(other_ca->process().wait_for_log("cannot connect", 60s))
      << other_ca->process().log_tail();
  EXPECT_EQ(other_ca->process().log_text().find("mqtt: connected"), std::string::npos);
  EXPECT_EQ(agg->stored("edge-9").value_or(0), 0);
  EXPECT_EQ(query_int(agg->db(), "SELECT COUNT(*) FROM devices WHERE device_id = 'edge-9'"), 0);
  // No certificate at all: the handshake fails and nothing is received.
  int status = 0;
  std::string out = subscribe(broker->port(), client("edge-1"), "gridsight/v1/+/events", 3,
                              &status, /*with_cert=*/false);
  EXPECT_NE(status, 0) << out;
  EXPECT_EQ(out.find("event_id"), std::string::npos);
}

TEST_F(TlsTest, RevokedCertificateIsRefused) {
  pki_->device("edge-4");
  // Keep the key as a thief would, then revoke.
  std::filesystem::copy_file(pki_->key("edge-4"), dir_ / "stolen-key.pem");
  pki_->revoke("edge-4");
  auto broker = start_broker();
  auto agg = start_aggregator(broker->port());
  auto thief = make_edge(broker->port(), "edge-4",
                         {pki_->ca(), pki_->cert("edge-4"), dir_ / "stolen-key.pem"});
  thief->start({"--synthetic", "--synthetic-rate", "20"});
  ASSERT_TRUE(thief->process().wait_for_log("cannot connect", 60s)) << thief->process().log_tail();
  EXPECT_FALSE(thief->process().log_text().find("mqtt: connected") != std::string::npos);
  // Paho says only "TCP/TLS connect failure"; the daemon names the cause.
  EXPECT_TRUE(
      thief->process().wait_for_log("mqtt tls: the broker refused this certificate: "
                                    "revoked",
                                    60s))
      << thief->process().log_tail();
  EXPECT_EQ(agg->stored("edge-4").value_or(0), 0);
}

TEST_F(TlsTest, DeviceCannotPublishAsAnotherAndTheEdgeReportsIt) {
  auto broker = start_broker();
  auto agg = start_aggregator(broker->port());
  // edge-1's certificate, configured to speak for edge-2.
  auto impostor = make_edge(broker->port(), "edge-2", client("edge-1"));
  impostor->start({"--synthetic", "--synthetic-rate", "20", "--synthetic-count", "5"});
  // The birth message goes first and alone, so the refusal (reason 135) comes on it, even
  // though mosquitto drops the connection right after refusing a publish (docs/protocol.md).
  ASSERT_TRUE(impostor->process().wait_for_log(
      "uplink: the broker refused the birth message on gridsight/v1/edge-2/state", 60s))
      << impostor->process().log_text();
  const std::string log = impostor->process().log_text();
  EXPECT_NE(log.find("not authorized for this device id"), std::string::npos) << log;
  // No event was offered on a connection whose birth message was refused.
  EXPECT_EQ(log.find("event seq"), std::string::npos) << log;
  EXPECT_EQ(agg->stored("edge-2").value_or(0), 0);
  EXPECT_EQ(agg->stored("edge-1").value_or(0), 0);
  // The events stay in its outbox: nothing was lost by the refusal.
  EXPECT_TRUE(wait_until([&] { return impostor->pending().value_or(0) == 5; }, 30s));
}

TEST_F(TlsTest, DeviceCannotReadAnotherDevicesTopics) {
  auto broker = start_broker();
  auto agg = start_aggregator(broker->port());
  auto edge2 = make_edge(broker->port(), "edge-2", client("edge-2"));
  edge2->start({"--synthetic", "--synthetic-rate", "10"});
  ASSERT_TRUE(wait_until([&] { return agg->stored("edge-2").value_or(0) > 0; }, 120s))
      << edge2->process().log_tail() << agg->process().log_tail();
  // edge-1 listens to edge-2's events and acknowledgements while they flow.
  std::string events = subscribe(broker->port(), client("edge-1"), "gridsight/v1/edge-2/events", 4);
  std::string acks = subscribe(broker->port(), client("edge-1"), "gridsight/v1/edge-2/ack", 4);
  std::string all = subscribe(broker->port(), client("edge-1"), "gridsight/v1/+/events", 4);
  EXPECT_EQ(events.find("event_id"), std::string::npos) << events;
  EXPECT_EQ(acks.find("event_id"), std::string::npos) << acks;
  EXPECT_EQ(all.find("event_id"), std::string::npos) << all;
  // The aggregator's identity reads them (the same subscription works for it).
  std::string agg_view =
      subscribe(broker->port(), client("gridsight-aggregator"), "gridsight/v1/edge-2/events", 4);
  EXPECT_NE(agg_view.find("event_id"), std::string::npos) << agg_view;
  // And a device cannot command another: its publish to cmd is dropped by the ACL.
}

// A box with its own valid certificate asking for the aggregator's or another box's client id
// gets its own identity as client id (use_username_as_clientid): neither the aggregator nor
// that box is disconnected, and the aggregator's persistent session keeps receiving.
TEST_F(TlsTest, BoxUsingAnotherClientIdCannotDisturbThatClient) {
  auto broker = start_broker();
  auto agg = start_aggregator(broker->port());
  auto edge1 = make_edge(broker->port(), "edge-1", client("edge-1"));
  edge1->start({"--synthetic", "--synthetic-rate", "20"});
  ASSERT_TRUE(wait_until([&] { return agg->stored("edge-1").value_or(0) > 0; }, 120s))
      << edge1->process().log_tail() << agg->process().log_tail();
  const auto agg_from = agg->process().log_size();
  const auto edge_from = edge1->process().log_size();
  const auto broker_from = broker->process().log_size();
  for (const std::string victim : {"gridsight-aggregator", "edge-1"}) {
    // edge-2's certificate, asking for the victim's id with a clean start (which would wipe
    // the victim's stored session).
    std::vector<std::string> argv{mosquitto_sub_binary(),
                                  "-h",
                                  "localhost",
                                  "-p",
                                  std::to_string(broker->port()),
                                  "-V",
                                  "mqttv5",
                                  "-q",
                                  "1",
                                  "-i",
                                  victim,
                                  "-t",
                                  "gridsight/v1/edge-2/ack",
                                  "-W",
                                  "3",
                                  "--cafile",
                                  pki_->ca().string(),
                                  "--cert",
                                  pki_->cert("edge-2").string(),
                                  "--key",
                                  pki_->key("edge-2").string()};
    Process p("mosquitto_sub", argv, dir_ / ("takeover-" + victim + ".log"));
    p.start();
    ASSERT_TRUE(wait_until([&] { return !p.is_running(); }, 60s));
  }
  // The broker knew both intruders as edge-2 ...
  const std::string blog = broker->process().log_text().substr(broker_from);
  EXPECT_NE(blog.find("as edge-2 "), std::string::npos) << broker->process().log_tail();
  EXPECT_EQ(blog.find("as gridsight-aggregator "), std::string::npos) << blog;
  EXPECT_EQ(blog.find("already connected"), std::string::npos) << blog;
  // ... so the aggregator and edge-1 stayed connected and events keep flowing to the
  // aggregator's session.
  const auto before = agg->stored("edge-1").value_or(0);
  ASSERT_TRUE(wait_until([&] { return agg->stored("edge-1").value_or(0) > before + 20; }, 120s))
      << agg->process().log_tail();
  EXPECT_EQ(agg->process().log_text().find("connection lost", agg_from), std::string::npos)
      << agg->process().log_tail();
  EXPECT_EQ(edge1->process().log_text().find("connection lost", edge_from), std::string::npos)
      << edge1->process().log_tail();
}

// Re-send storms: while the aggregator's presence says it is offline (its last will, sent
// when it is killed) the boxes send nothing again that the broker took; the broker's queue for
// the aggregator is bounded (here below what the boxes publish, so it overflows); after the
// aggregator returns every event of every box is stored exactly once.
TEST_F(TlsTest, AggregatorOutageCausesNoResendStormAndLosesNothing) {
  constexpr int kBoxes = 5;
  constexpr std::int64_t kEvents = 150;
  constexpr std::size_t kWindow = 60;
  std::vector<std::string> ids;
  for (int i = 1; i <= kBoxes; ++i) {
    ids.push_back("edge-s" + std::to_string(i));
    pki_->device(ids.back());
  }
  Mosquitto::Options o;
  o.tls = pki_.get();
  o.max_queued_messages = 200;  // below kBoxes * kWindow copies: the bound is reached
  auto broker = std::make_unique<Mosquitto>(dir_ / "broker", o);
  broker->start();
  auto from = broker->process().log_size();
  auto agg = start_aggregator(broker->port());
  ASSERT_TRUE(broker->process().wait_for_log("gridsight/v1/+/events", 60s, from))
      << broker->process().log_tail();
  agg->kill();  // its persistent session stays; the broker publishes its last will

  std::vector<std::unique_ptr<Edge>> edges;
  for (const auto& id : ids) {
    EdgeSpec spec;
    spec.device_id = id;
    spec.mqtt_port = broker->port();
    spec.tls = client(id);
    spec.log_level = "debug";
    spec.resend_timeout = "1s";
    spec.resend_timeout_max = "4s";
    spec.unconfirmed_window = kWindow;
    edges.push_back(std::make_unique<Edge>(dir_.path(), spec));
    edges.back()->start(
        {"--synthetic", "--synthetic-rate", "500", "--synthetic-count", std::to_string(kEvents)});
  }
  const std::string full = "uplink: " + std::to_string(kWindow) + " unconfirmed, 0 awaiting PUBACK";
  auto count = [](const std::string& text, const std::string& needle, std::size_t start) {
    std::size_t n = 0;
    for (auto at = text.find(needle, start); at != std::string::npos;
         at = text.find(needle, at + 1)) {
      ++n;
    }
    return n;
  };
  for (auto& e : edges) {
    Process& p = e->process();
    ASSERT_TRUE(p.wait_for_log("uplink: the aggregator is offline", 120s)) << p.log_tail();
    // A full window the broker took, reported once a second: wait for 8 reports, well past
    // several (backed-off) re-send timeouts.
    ASSERT_TRUE(wait_until([&] { return count(p.log_text(), full, 0) >= 8; }, 180s))
        << p.log_tail();
    EXPECT_EQ(p.log_text().find("sending them again"), std::string::npos) << p.log_tail();
    EXPECT_EQ(e->meta("last_seq"), kEvents);
  }
  EXPECT_NE(broker->process().log_text().find(
                "Outgoing messages are being dropped for client gridsight-aggregator"),
            std::string::npos)
      << broker->process().log_tail();

  std::vector<std::size_t> marks;
  for (auto& e : edges) marks.push_back(e->process().log_size());
  agg->start();
  for (std::size_t i = 0; i < edges.size(); ++i) {
    Edge& e = *edges[i];
    ASSERT_TRUE(
        wait_until([&] { return agg->stored(ids[i]) == kEvents && e.pending() == 0; }, 240s))
        << ids[i] << ": stored " << agg->stored(ids[i]).value_or(-1) << ", pending "
        << e.pending().value_or(-1) << "\n"
        << e.process().log_tail() << agg->process().log_tail();
    EXPECT_NE(e.process().log_text().find("uplink: the aggregator is online", marks[i]),
              std::string::npos);
    auto rows = query(agg->db(),
                      "SELECT COUNT(*), COUNT(DISTINCT seq), MIN(seq), MAX(seq) FROM "
                      "events WHERE device_id = '" +
                          ids[i] + "'");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0][0], std::to_string(kEvents));
    EXPECT_EQ(rows[0][1], std::to_string(kEvents));
    EXPECT_EQ(rows[0][2], "1");
    EXPECT_EQ(rows[0][3], std::to_string(kEvents));
  }
}

// openssl verify of `name`'s certificate against the CA and the current CRL, at `at` (epoch
// seconds): 0 when accepted, as the broker would accept it then.
int verify_at(const Pki& pki, const std::string& name, std::int64_t at,
              const std::filesystem::path& log) {
  Process p(
      "openssl",
      {"/usr/bin/openssl", "verify", "-crl_check", "-CAfile", pki.ca().string(), "-CRLfile",
       (pki.dir() / "crl.pem").string(), "-attime", std::to_string(at), pki.cert(name).string()},
      log);
  p.start();
  wait_until([&] { return !p.is_running(); }, 60s);
  return p.exit_status().value_or(-1);
}

// The renewal timer's logic with an injected clock: `gridsight-pki crl --now T` run daily
// for 150 simulated days (more than twice the CRL's 60-day validity) keeps a CRL that the
// real openssl accepts until the next run, renews it only now and then, and keeps the
// revocation; without renewal `expiry` names the CRL 30 days before it lapses.
TEST_F(TlsTest, DailyCrlRenewalNeverLetsTheCrlExpire) {
  pki_->revoke("edge-2");
  const std::int64_t t0 = std::time(nullptr);
  constexpr std::int64_t kDay = 86'400;
  const auto log = dir_ / "verify.log";
  EXPECT_EQ(pki_->run({"expiry", "--now", std::to_string(t0 + 29 * kDay)}), 0);
  EXPECT_EQ(pki_->run({"expiry", "--now", std::to_string(t0 + 31 * kDay)}), 1);
  EXPECT_NE(read_file(dir_ / "pki-tool.log").find("CRL "), std::string::npos);
  std::set<std::string> crls;
  for (std::int64_t day = 0; day <= 150; ++day) {
    const std::int64_t t = t0 + day * kDay;
    ASSERT_EQ(pki_->run({"crl", "--now", std::to_string(t)}), 0) << "day " << day;
    crls.insert(read_file(pki_->dir() / "crl.pem"));
    // Just before the next run: a valid box is accepted (the CRL has not expired).
    ASSERT_EQ(verify_at(*pki_, "edge-1", t + kDay - 1, log), 0) << "day " << day << "\n"
                                                                << read_file(log);
    if (day % 50 == 0) {
      EXPECT_NE(verify_at(*pki_, "edge-2", t + kDay - 1, log), 0) << "day " << day;
    }
  }
  EXPECT_NE(read_file(log).find("certificate revoked"), std::string::npos) << read_file(log);
  // Renewed once 15 days passed: day 15, 30, ..., 150 (plus the CRL of the revocation).
  EXPECT_GE(crls.size(), 10u);
  EXPECT_LE(crls.size(), 12u);
}

// The renewal reloads the real broker: a revocation written to disk meanwhile takes effect,
// and other boxes still connect.
TEST_F(TlsTest, CrlRenewalReloadsTheBroker) {
  auto broker = start_broker();
  auto agg = start_aggregator(broker->port());
  pki_->device("edge-5");
  std::filesystem::copy_file(pki_->key("edge-5"), dir_ / "kept-key.pem");
  pki_->revoke("edge-5");  // the broker still has the old CRL in memory
  const auto from = broker->process().log_size();
  ASSERT_EQ(pki_->run({"crl", "--force", "--reload"},
                      {{"GRIDSIGHT_BROKER_RELOAD",
                        "kill -HUP " + std::to_string(broker->process().pid())}}),
            0)
      << read_file(dir_ / "pki-tool.log");
  ASSERT_TRUE(broker->process().wait_for_log("Reloading config", 60s, from))
      << broker->process().log_tail();
  auto thief = make_edge(broker->port(), "edge-5",
                         {pki_->ca(), pki_->cert("edge-5"), dir_ / "kept-key.pem"});
  thief->start({"--synthetic", "--synthetic-rate", "20"});
  auto good = make_edge(broker->port(), "edge-1", client("edge-1"));
  good->start({"--synthetic", "--synthetic-rate", "20", "--synthetic-count", "5"});
  ASSERT_TRUE(wait_until([&] { return agg->stored("edge-1").value_or(0) == 5; }, 120s))
      << good->process().log_tail();
  ASSERT_TRUE(thief->process().wait_for_log("cannot connect", 60s)) << thief->process().log_tail();
  EXPECT_EQ(thief->process().log_text().find("mqtt: connected"), std::string::npos);
}

// A certificate for `name` from this PKI's CA valid from..until (openssl ca dates,
// YYYYMMDDHHMMSSZ), with a new key; returns {cert, key}.
std::pair<std::filesystem::path, std::filesystem::path> dated_certificate(
    const Pki& pki, const std::string& name, const std::string& from, const std::string& until,
    const std::filesystem::path& dir) {
  const std::string tag = name + "-" + from;  // one set of files per certificate
  const auto key = dir / (tag + "-key.pem"), req = dir / (tag + "-req.pem"),
             cert = dir / (tag + "-cert.pem");
  auto run = [&](std::vector<std::string> argv) {
    Process p("openssl", std::move(argv), dir / "openssl.log");
    p.start();
    wait_until([&] { return !p.is_running(); }, 60s);
    return p.exit_status().value_or(-1);
  };
  EXPECT_EQ(run({"/usr/bin/openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                 "ec_paramgen_curve:P-256", "-out", key.string()}),
            0);
  std::filesystem::permissions(
      key, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_EQ(run({"/usr/bin/openssl", "req", "-new", "-key", key.string(), "-subj", "/CN=" + name,
                 "-out", req.string()}),
            0);
  EXPECT_EQ(
      run({"/usr/bin/openssl", "ca", "-batch", "-config",
           (pki.dir() / "ca" / "openssl.cnf").string(), "-extensions", "client", "-notext",
           "-startdate", from, "-enddate", until, "-in", req.string(), "-out", cert.string()}),
      0)
      << read_file(dir / "openssl.log");
  return {cert, key};
}

// `gridsight-edge --check-config` with these TLS files: {exit status, output}.
std::pair<int, std::string> check_config(const std::filesystem::path& dir, const ClientTls& tls,
                                         const std::string& name) {
  EdgeSpec spec;
  spec.device_id = "edge-1";
  spec.mqtt_port = 1;
  spec.tls = tls;
  Edge edge(dir, spec);
  std::vector<std::string> argv = edge_command();
  argv.insert(argv.end(), {"--config", edge.config_path().string(), "--check-config"});
  Process p("gridsight-edge --check-config", argv, dir / (name + ".log"));
  p.start();
  wait_until([&] { return !p.is_running(); }, 60s);
  return {p.exit_status().value_or(-1), read_file(dir / (name + ".log"))};
}

// --check-config lists every problem of the key and certificate files (exit 2); the daemon
// names an expired certificate as the cause of its failed connects.
TEST_F(TlsTest, CheckConfigListsEveryProblemOfTheTlsFiles) {
  namespace fs = std::filesystem;
  const auto good = check_config(dir_.path(), client("edge-1"), "good");
  EXPECT_EQ(good.first, 0) << good.second;
  EXPECT_NE(good.second.find("configuration OK"), std::string::npos) << good.second;

  const auto [old_cert, old_key] =
      dated_certificate(*pki_, "edge-1", "20200101000000Z", "20200201000000Z", dir_.path());
  const auto [future_cert, future_key] =
      dated_certificate(*pki_, "edge-1", "20990101000000Z", "20991231000000Z", dir_.path());
  Pki rogue(dir_ / "rogue-pki");
  rogue.device("edge-1");
  const fs::path open_key = dir_ / "open-key.pem";
  fs::copy_file(pki_->key("edge-2"), open_key);
  fs::permissions(open_key, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                                fs::perms::others_read);

  struct Case {
    const char* name;
    ClientTls tls;
    std::vector<std::string> expected;
  };
  const std::vector<Case> cases = {
      {"missing", {pki_->ca(), pki_->cert("edge-1"), dir_ / "no-such-key.pem"}, {"does not exist"}},
      {"not-yet-valid", {pki_->ca(), future_cert, future_key}, {"not yet valid"}},
      {"unknown-ca", {pki_->ca(), rogue.cert("edge-1"), rogue.key("edge-1")}, {"unknown CA"}},
      // Three problems at once: every one is listed.
      {"three",
       {pki_->ca(), old_cert, open_key},
       {"expired on 2020-02-01", "does not match the certificate", "readable by every user"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto [status, out] = check_config(dir_.path(), c.tls, c.name);
    EXPECT_EQ(status, 2) << out;
    for (const auto& e : c.expected) EXPECT_NE(out.find(e), std::string::npos) << e << "\n" << out;
    std::size_t lines = 0;
    for (auto at = out.find("configuration error"); at != std::string::npos;
         at = out.find("configuration error", at + 1)) {
      ++lines;
    }
    EXPECT_EQ(lines, c.expected.size()) << out;
    EXPECT_EQ(out.find("configuration OK"), std::string::npos) << out;
  }

  // At run time the expired certificate is named as the cause of the refused connects.
  auto broker = start_broker();
  auto edge = make_edge(broker->port(), "edge-1", {pki_->ca(), old_cert, old_key});
  edge->start({"--synthetic", "--synthetic-rate", "5"});
  ASSERT_TRUE(edge->process().wait_for_log("cannot connect", 60s)) << edge->process().log_tail();
  EXPECT_TRUE(edge->process().wait_for_log(
      "mqtt tls: certificate " + old_cert.string() + ": expired on 2020-02-01", 60s))
      << edge->process().log_tail();
}

// Per-device limits at the aggregator: one box flooding far beyond its events/s is refused
// (rate_limited, counted) while five others deliver; in the end nothing of anyone is lost.
TEST_F(TlsTest, FloodingBoxIsRateLimitedAndNobodyLosesEvents) {
  // Provisioned before the broker starts: it reads the ACL at start.
  pki_->device("edge-flood");
  for (int i = 1; i <= 5; ++i) pki_->device("edge-n" + std::to_string(i));
  auto broker = start_broker();
  AggregatorSpec spec;
  spec.mqtt_port = broker->port();
  spec.tls = client("gridsight-aggregator");
  spec.extra_yaml = "ingest:\n  device_limits: {events_per_second: 40, event_burst: 80}\n";
  auto agg = std::make_unique<Aggregator>(dir_ / "agg", spec);
  agg->start();
  constexpr std::int64_t kFlood = 600, kEach = 30;
  auto flood = make_edge(broker->port(), "edge-flood", client("edge-flood"));
  flood->start(
      {"--synthetic", "--synthetic-rate", "2000", "--synthetic-count", std::to_string(kFlood)});
  std::vector<std::unique_ptr<Edge>> others;
  for (int i = 1; i <= 5; ++i) {
    const std::string id = "edge-n" + std::to_string(i);
    others.push_back(make_edge(broker->port(), id, client(id)));
    others.back()->start(
        {"--synthetic", "--synthetic-rate", "10", "--synthetic-count", std::to_string(kEach)});
  }
  ASSERT_TRUE(agg->process().wait_for_log(
      "ingest: device edge-flood is over its events limit: refusing (rate_limited)", 120s))
      << agg->process().log_tail();
  for (auto& e : others) {
    const std::string id = e->spec().device_id;
    ASSERT_TRUE(wait_until([&] { return agg->stored(id) == kEach && e->pending() == 0; }, 240s))
        << id << ": stored " << agg->stored(id).value_or(-1) << "\n"
        << e->process().log_tail();
  }
  ASSERT_TRUE(wait_until(
      [&] { return agg->stored("edge-flood") == kFlood && flood->pending() == 0; }, 300s))
      << "stored " << agg->stored("edge-flood").value_or(-1) << "\n"
      << flood->process().log_tail();
  EXPECT_EQ(query_int(agg->db(),
                      "SELECT COUNT(DISTINCT seq) FROM events WHERE device_id = "
                      "'edge-flood'"),
            kFlood);
  const std::string log = agg->process().log_text();
  EXPECT_EQ(log.find("ingest: device edge-n"), std::string::npos) << "only the flooding box";
  EXPECT_EQ(query_int(agg->db(), "SELECT COUNT(*) FROM dead_letters"), 0);
}

std::string openssl_date(std::int64_t epoch_s) {
  const std::time_t t = static_cast<std::time_t>(epoch_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d%H%M%SZ", &tm);
  return buf;
}

// A box whose certificate expires in 10 days: it warns in its log and the aggregator raises
// the fleet alert; a box with a fresh certificate raises none.
TEST_F(TlsTest, CertificateExpiringSoonRaisesAFleetAlert) {
  const std::int64_t now = std::time(nullptr);
  const auto [cert, key] = dated_certificate(*pki_, "edge-1", openssl_date(now - 86'400),
                                             openssl_date(now + 10 * 86'400 + 3'600), dir_.path());
  auto broker = start_broker();
  auto agg = start_aggregator(broker->port());
  auto soon = make_edge(broker->port(), "edge-1", {pki_->ca(), cert, key});
  soon->start({"--synthetic", "--synthetic-rate", "5"});
  auto fresh = make_edge(broker->port(), "edge-2", client("edge-2"));
  fresh->start({"--synthetic", "--synthetic-rate", "5"});
  EXPECT_TRUE(soon->process().wait_for_log("expires in 10 days: renew it", 60s))
      << soon->process().log_tail();
  const auto fleet = agg->db().parent_path() / "fleet.db";
  ASSERT_TRUE(wait_until(
      [&] {
        return query_int(fleet, "SELECT COUNT(*) FROM fleet_alerts WHERE active = 1 AND kind = "
                                "'certificate_expiring' AND device_id = 'edge-1'") == 1;
      },
      120s))
      << agg->process().log_tail();
  EXPECT_EQ(query_text(fleet, "SELECT detail FROM fleet_alerts WHERE kind = "
                              "'certificate_expiring' AND device_id = 'edge-1'"),
            "certificate expires in 10 days");
  // edge-2 sent telemetry too (it is in the fleet table), and has no such alert.
  ASSERT_TRUE(wait_until(
      [&] {
        return query_int(fleet, "SELECT COUNT(*) FROM fleet_devices WHERE device_id = 'edge-2' "
                                "AND telemetry_received_ms > 0") == 1;
      },
      120s));
  EXPECT_EQ(query_int(fleet, "SELECT COUNT(*) FROM fleet_alerts WHERE device_id = 'edge-2' AND "
                             "kind = 'certificate_expiring'"),
            0);
}

TEST_F(TlsTest, SecretsNeverAppearInLogs) {
  auto broker = start_broker();
  auto agg = start_aggregator(broker->port());
  auto edge = make_edge(broker->port(), "edge-1", client("edge-1"));
  edge->start({"--synthetic", "--synthetic-rate", "50", "--synthetic-count", "10", "--log-level",
               "debug"});
  ASSERT_TRUE(wait_until([&] { return agg->stored("edge-1").value_or(0) == 10; }, 120s));
  edge->stop();
  agg->stop();
  // Every key's body (and the PEM marker) must be absent from every log of the run.
  std::vector<std::string> secrets{"PRIVATE KEY"};
  for (const auto& name : {"edge-1", "gridsight-aggregator", "localhost"}) {
    std::istringstream key(read_file(pki_->key(name)));
    for (std::string line; std::getline(key, line);) {
      if (line.find("-----") == std::string::npos && line.size() > 16) secrets.push_back(line);
    }
  }
  ASSERT_GT(secrets.size(), 3u);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_.path())) {
    if (entry.path().extension() != ".log") continue;
    std::string text = read_file(entry.path());
    for (const auto& s : secrets) {
      EXPECT_EQ(text.find(s), std::string::npos) << entry.path() << " contains key material";
    }
  }
}

}  // namespace
}  // namespace gridsight::test
