// Secure transport against a real mosquitto with mutual TLS, the CRL and the per-device ACL
// written by tools/gridsight-pki (docs/security.md).
#include <gtest/gtest.h>

#include <fstream>
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
  EXPECT_EQ(agg->stored("edge-4").value_or(0), 0);
}

TEST_F(TlsTest, DeviceCannotPublishAsAnotherAndTheEdgeReportsIt) {
  auto broker = start_broker();
  auto agg = start_aggregator(broker->port());
  // edge-1's certificate, configured to speak for edge-2.
  auto impostor = make_edge(broker->port(), "edge-2", client("edge-1"));
  impostor->start({"--synthetic", "--synthetic-rate", "20", "--synthetic-count", "5"});
  ASSERT_TRUE(impostor->process().wait_for_log("the broker refused the", 60s))
      << impostor->process().log_tail();
  EXPECT_EQ(agg->stored("edge-2").value_or(0), 0);
  EXPECT_EQ(agg->stored("edge-1").value_or(0), 0);
  EXPECT_NE(impostor->process().log_text().find("not authorized"), std::string::npos);
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
