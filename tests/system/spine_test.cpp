// System tests of the event spine (issue 2, point 8): the real gridsight-edge and
// gridsight-aggregator binaries talk through a real mosquitto started by the test on a free
// loopback port; processes are killed and restarted, and the SQLite files are read as they
// are on disk. Timeouts only bound a hang: no assertion is about speed.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "aggregator/store/sqlite/sqlite_event_store.h"
#include "common/clock.h"
#include "common/metrics.h"
#include "common/sqlite/database.h"
#include "edge/outbox/outbox.h"
#include "protocol/event.h"
#include "protocol/ids.h"
#include "protocol/utf8.h"
#include "tests/support/harness.h"

namespace gridsight::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Bounds on waiting (ASan build, 2 shared cores): generous, they only stop a hang.
constexpr Millis kBulk = 240s;
constexpr Millis kWait = 60s;

constexpr int kKilled = 128 + SIGKILL;

std::string str(const std::optional<std::int64_t>& v) {
  return v ? std::to_string(*v) : std::string("(none)");
}

Mosquitto::Options persistent() {
  Mosquitto::Options o;
  o.persistence = true;
  return o;
}

class SpineTest : public ::testing::Test {
 protected:
  Mosquitto& start_broker(Mosquitto::Options options = {}) {
    broker_ = std::make_unique<Mosquitto>(dir_ / "broker", options);
    broker_->start();
    return *broker_;
  }

  Aggregator& make_aggregator() {
    AggregatorSpec spec;
    spec.mqtt_port = broker_->port();
    aggregator_ = std::make_unique<Aggregator>(dir_.path(), spec);
    return *aggregator_;
  }

  Edge& make_edge(EdgeSpec spec) {
    spec.mqtt_port = broker_->port();
    edges_.push_back(std::make_unique<Edge>(dir_.path(), std::move(spec)));
    return *edges_.back();
  }

  // Starts the aggregator and waits until the broker has its subscriptions, so nothing
  // published afterwards can miss it.
  void start_aggregator_subscribed(Aggregator& agg) {
    const auto from = broker_->process().log_size();
    agg.start();
    ASSERT_TRUE(broker_->process().wait_for_log("gridsight/v1/+/events", kWait, from))
        << broker_->process().log_tail() << agg.process().log_tail();
  }

  // Waits for `predicate`; fails at once if a daemon that was running exits meanwhile.
  bool wait_for(const std::function<bool()>& predicate, Millis timeout, Millis poll = 100ms) {
    std::vector<Process*> watched;
    for (auto& e : edges_) {
      if (e->process().is_running()) watched.push_back(&e->process());
    }
    if (aggregator_ && aggregator_->process().is_running())
      watched.push_back(&aggregator_->process());
    if (broker_ && broker_->is_running()) watched.push_back(&broker_->process());
    std::string why;
    const bool ok = wait_while_running(watched, predicate, timeout, &why, poll);
    if (!why.empty()) ADD_FAILURE() << why;
    return ok;
  }

  // Every sequence number first..last of `device` is stored exactly once, and nothing else.
  void expect_exactly_once(Aggregator& agg, const std::string& device, std::int64_t first,
                           std::int64_t last) {
    auto rows = query(agg.db(),
                      "SELECT COUNT(*), COUNT(DISTINCT seq), COUNT(DISTINCT event_id), MIN(seq), "
                      "MAX(seq) FROM events WHERE device_id = '" +
                          device + "'");
    ASSERT_EQ(rows.size(), 1u);
    const auto& r = rows[0];
    const std::int64_t n = last - first + 1;
    EXPECT_EQ(std::stoll(r[0].value_or("0")), n) << "rows stored for " << device;
    EXPECT_EQ(std::stoll(r[1].value_or("0")), n) << "distinct sequence numbers";
    EXPECT_EQ(std::stoll(r[2].value_or("0")), n) << "distinct event ids";
    EXPECT_EQ(r[3].value_or("?"), std::to_string(first)) << "lowest seq";
    EXPECT_EQ(r[4].value_or("?"), std::to_string(last)) << "highest seq";
  }

  // Waits until the aggregator holds `count` events of the edge and the edge's outbox is empty.
  bool wait_drained(Aggregator& agg, Edge& edge, std::int64_t count, Millis timeout = kBulk) {
    return wait_for(
        [&] { return agg.stored(edge.spec().device_id) == count && edge.pending() == 0; }, timeout,
        200ms);
  }

  std::string state(Aggregator& agg, Edge& edge) {
    return "aggregator stored " + str(agg.stored(edge.spec().device_id)) + ", edge pending " +
           str(edge.pending()) + ", edge last_seq " + str(edge.meta("last_seq")) +
           ", edge confirmed_total " + str(edge.meta("confirmed_total"));
  }

  void TearDown() override {
    if (HasFailure()) {
      dir_.keep();
      for (auto& e : edges_) std::fprintf(stderr, "%s\n", e->process().log_tail(6000).c_str());
      if (aggregator_) std::fprintf(stderr, "%s\n", aggregator_->process().log_tail(6000).c_str());
      if (broker_) std::fprintf(stderr, "%s\n", broker_->process().log_tail(3000).c_str());
    }
    // Stopped by PID, edges first, the broker last.
    edges_.clear();
    aggregator_.reset();
    broker_.reset();
  }

  // Slow evidence (rate-limited), the aggregator killed while an object is half received;
  // `tamper` runs while it is down. Returns when every object is complete (or fails).
  void evidence_resume_scenario(Aggregator& agg, Edge& edge, std::int64_t size,
                                const std::function<void()>& tamper);

  TempDir dir_;
  std::unique_ptr<Mosquitto> broker_;
  std::unique_ptr<Aggregator> aggregator_;
  std::vector<std::unique_ptr<Edge>> edges_;
};

EdgeSpec edge_spec(const std::string& device, const std::function<void(EdgeSpec&)>& change = {}) {
  EdgeSpec s;
  s.device_id = device;
  if (change) change(s);
  return s;
}

// Evidence sent slowly (rate-limited, small chunks), so a transfer can be interrupted.
EdgeSpec slow_evidence_spec(const std::string& device, std::int64_t size) {
  EdgeSpec s;
  s.device_id = device;
  s.synthetic_evidence_bytes = static_cast<std::uint64_t>(size);
  s.evidence_chunk_size = "32KiB";
  s.evidence_rate_per_second = "256KiB";
  return s;
}

std::vector<std::string> synthetic(std::int64_t rate, std::int64_t count = 0,
                                   const std::string& camera = "cam-1") {
  std::vector<std::string> a = {"--synthetic", "--synthetic-camera", camera, "--synthetic-rate",
                                std::to_string(rate)};
  if (count > 0) {
    a.push_back("--synthetic-count");
    a.push_back(std::to_string(count));
  }
  return a;
}

// ---- (a) 10 000 events through, each stored exactly once; (g) WAL on the real files ---------

TEST_F(SpineTest, TenThousandEventsAreEachStoredExactlyOnce) {
  start_broker();
  Aggregator& agg = make_aggregator();
  start_aggregator_subscribed(agg);
  Edge& edge = make_edge(edge_spec("edge-a", [](EdgeSpec& s) {
    s.resend_timeout = "30s";  // the product default: no re-send needed on a healthy path
  }));
  edge.start(synthetic(5000, 10'000));

  ASSERT_TRUE(wait_drained(agg, edge, 10'000)) << state(agg, edge);
  EXPECT_EQ(edge.meta("last_seq"), 10'000);
  EXPECT_EQ(edge.meta("confirmed_total"), 10'000);
  expect_exactly_once(agg, "edge-a", 1, 10'000);
  EXPECT_EQ(query_int(agg.db(), "SELECT next_expected FROM sequences WHERE device_id='edge-a'"),
            10'001);
  EXPECT_EQ(query_text(agg.db(), "SELECT gaps FROM sequences WHERE device_id='edge-a'"), "[]");
  EXPECT_EQ(query_int(agg.db(), "SELECT COUNT(*) FROM dead_letters"), 0);

  // Both daemons shut down cleanly on SIGTERM (exit status 0: no sanitizer report either).
  EXPECT_EQ(edge.stop(), 0) << edge.process().log_tail();
  EXPECT_EQ(agg.stop(), 0) << agg.process().log_tail();

  // (g) The stores are WAL databases (the journal mode is a property of the file).
  EXPECT_EQ(journal_mode(edge.outbox_db()), "wal");
  EXPECT_EQ(journal_mode(agg.db()), "wal");
}

// ---- (g) synchronous=FULL and WAL as the production code opens its stores ---------------------

TEST(SpineDurability, BothStoresOpenWithWalAndSynchronousFull) {
  TempDir dir;
  Metrics metrics;
  {
    edge::Outbox outbox(dir / "outbox", "edge-g", edge::OutboxConfig{}, SystemClock::instance(),
                        metrics);
    EXPECT_EQ(outbox.database_for_tests().synchronous(), 2) << "edge outbox: synchronous=FULL";
    EXPECT_EQ(outbox.database_for_tests().journal_mode(), "wal");
  }
  {
    aggregator::SqliteEventStore store((dir / "aggregator.db").string());
    EXPECT_EQ(store.database().synchronous(), 2) << "aggregator store: synchronous=FULL";
    EXPECT_EQ(store.database().journal_mode(), "wal");
  }
  // And the files keep WAL for any later connection.
  EXPECT_EQ(journal_mode(dir / "outbox" / "outbox.db"), "wal");
  EXPECT_EQ(journal_mode(dir / "aggregator.db"), "wal");
}

// ---- (b) broker down for a while, restarted on the same port ---------------------------------

TEST_F(SpineTest, BrokerOutageBacklogArrivesInOrderPerCamera) {
  start_broker(persistent());
  Aggregator& agg = make_aggregator();
  start_aggregator_subscribed(agg);
  Edge& edge = make_edge(edge_spec("edge-b", [](EdgeSpec& s) { s.resend_timeout = "5s"; }));
  constexpr std::int64_t kTotal = 3000;
  edge.start(synthetic(250, kTotal));

  ASSERT_TRUE(wait_for([&] { return agg.stored("edge-b").value_or(0) >= 250; }, kWait))
      << state(agg, edge);
  EXPECT_EQ(broker_->stop(), 0);
  const std::int64_t at_stop = edge.meta("last_seq").value_or(0);
  // The edge keeps producing into its outbox while the broker is away.
  ASSERT_TRUE(wait_for([&] { return edge.meta("last_seq").value_or(0) >= at_stop + 750; }, kWait))
      << state(agg, edge);
  EXPECT_GE(edge.pending().value_or(0), 750) << "the backlog waits in the outbox";
  EXPECT_TRUE(edge.process().is_running());
  EXPECT_TRUE(agg.process().is_running());
  const std::int64_t stored_during = agg.stored("edge-b").value_or(0);
  EXPECT_LT(stored_during, edge.meta("last_seq").value_or(0));

  broker_->start();  // same port
  ASSERT_TRUE(wait_drained(agg, edge, kTotal)) << state(agg, edge);
  expect_exactly_once(agg, "edge-b", 1, kTotal);

  // Stored arrival order (the row id) is increasing in seq for each camera.
  std::map<std::string, std::int64_t> last;
  std::int64_t out_of_order = 0;
  for (const auto& r : query(agg.db(),
                             "SELECT camera_id, seq FROM events WHERE device_id = "
                             "'edge-b' ORDER BY id")) {
    const std::int64_t seq = std::stoll(*r[1]);
    auto [it, fresh] = last.emplace(*r[0], seq);
    if (!fresh) {
      if (seq <= it->second && ++out_of_order <= 5) {
        ADD_FAILURE() << "camera " << *r[0] << ": seq " << seq << " stored after seq "
                      << it->second;
      }
      it->second = seq;
    }
  }
  EXPECT_EQ(out_of_order, 0);
}

// ---- (c) edge killed with SIGKILL repeatedly while producing and publishing ----------------

TEST_F(SpineTest, EdgeKilledRepeatedlyLosesNoCommittedEventAndStoresNoneTwice) {
  start_broker();
  Aggregator& agg = make_aggregator();
  start_aggregator_subscribed(agg);
  Edge& edge = make_edge(edge_spec("edge-c"));

  const unsigned seed = std::random_device{}();
  RecordProperty("seed", std::to_string(seed));
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> pause_ms(0, 1200);
  SCOPED_TRACE("random seed " + std::to_string(seed));

  for (int round = 0; round < 5; ++round) {
    const std::int64_t seq_before = edge.meta("last_seq").value_or(0);
    const std::int64_t stored_before = agg.stored("edge-c").value_or(0);
    edge.start(synthetic(1000));
    // It is producing (commits) and publishing (the aggregator stores more).
    ASSERT_TRUE(wait_for(
        [&] {
          return edge.meta("last_seq").value_or(0) > seq_before + 20 &&
                 agg.stored("edge-c").value_or(0) > stored_before;
        },
        kWait))
        << "round " << round << ": " << state(agg, edge);
    std::this_thread::sleep_for(Millis(pause_ms(rng)));
    EXPECT_EQ(edge.kill(), kKilled) << "round " << round;
  }

  // A last start without the synthetic source drains what was committed.
  edge.start();
  const std::int64_t committed = edge.meta("last_seq").value_or(0);
  ASSERT_GT(committed, 100);
  ASSERT_TRUE(wait_drained(agg, edge, committed)) << state(agg, edge);
  EXPECT_EQ(edge.meta("last_seq"), committed) << "no new events without the source";
  expect_exactly_once(agg, "edge-c", 1, committed);
  EXPECT_EQ(query_int(agg.db(), "SELECT COUNT(*) FROM dead_letters"), 0);
}

// ---- (d) aggregator killed with SIGKILL while ingesting ------------------------------------

TEST_F(SpineTest, AggregatorKilledWhileIngestingLosesNothing) {
  start_broker();
  Aggregator& agg = make_aggregator();
  start_aggregator_subscribed(agg);
  Edge& edge = make_edge(edge_spec("edge-d"));
  constexpr std::int64_t kTotal = 8000;
  edge.start(synthetic(2000, kTotal));

  for (std::int64_t at : {1500, 4000}) {
    ASSERT_TRUE(wait_for([&] { return agg.stored("edge-d").value_or(0) >= at; }, kBulk))
        << state(agg, edge);
    EXPECT_EQ(agg.kill(), kKilled);
    // The edge goes on producing and publishing while the aggregator is away: the broker
    // queues for the aggregator's persistent session.
    const std::int64_t seq = edge.meta("last_seq").value_or(0);
    ASSERT_TRUE(wait_for(
        [&] { return edge.meta("last_seq").value_or(0) >= std::min(seq + 300, kTotal); }, kWait))
        << state(agg, edge);
    agg.start();
  }
  ASSERT_TRUE(wait_drained(agg, edge, kTotal)) << state(agg, edge);
  expect_exactly_once(agg, "edge-d", 1, kTotal);
}

// ---- (d) broker killed with SIGKILL while holding undelivered messages ---------------------

TEST_F(SpineTest, BrokerKilledHoldingUndeliveredMessagesLosesNothing) {
  start_broker(persistent());
  Aggregator& agg = make_aggregator();
  start_aggregator_subscribed(agg);
  // The aggregator leaves (its persistent session stays), the broker saves that session to
  // its persistence file on a clean restart.
  EXPECT_EQ(agg.stop(), 0);
  EXPECT_EQ(broker_->stop(), 0);
  broker_->start();
  EXPECT_TRUE(fs::exists(broker_->dir() / "persist" / "mosquitto.db"));

  Edge& edge = make_edge(edge_spec("edge-d2", [](EdgeSpec& s) {
    s.log_level = "debug";
    s.resend_timeout = "3s";
  }));
  constexpr std::int64_t kTotal = 1000;
  const auto from = edge.process().log_size();
  edge.start(synthetic(1000, kTotal));
  ASSERT_TRUE(wait_for([&] { return edge.meta("last_seq") == kTotal; }, kWait)) << state(agg, edge);
  // All of them were accepted by the broker (PUBACK) and wait there for the aggregator.
  ASSERT_TRUE(
      edge.process().wait_for_log("1000 unconfirmed, 0 awaiting PUBACK, cursor 1000", kWait, from));
  EXPECT_EQ(edge.pending(), kTotal);

  EXPECT_EQ(broker_->kill(), kKilled);  // the queued messages were only in its memory
  broker_->start();
  agg.start();
  ASSERT_TRUE(wait_drained(agg, edge, kTotal)) << state(agg, edge);
  expect_exactly_once(agg, "edge-d2", 1, kTotal);
}

// ---- (e) malformed payloads: refused, counted, the service keeps running --------------------

protocol::Event valid_event(const std::string& device, std::uint64_t seq) {
  protocol::Event e;
  e.event_id = protocol::new_event_id();
  e.device_id = device;
  e.camera_id = "34020000001320000001";
  e.seq = seq;
  e.type = "zone.intrusion";
  e.start_ms = SystemClock::instance().now_ms();
  e.end_ms = e.start_ms + 1000;
  e.clock_synced = true;
  e.confidence = 0.9;
  e.zone = "gate";
  e.boxes.push_back({0.1, 0.2, 0.3, 0.4, "person", 0.9, 7});
  e.location = protocol::GeoPoint{120.155, 30.274, protocol::Crs::kWgs84};
  return e;
}

std::string with(const std::string& device, std::uint64_t seq,
                 const std::function<void(json&)>& change) {
  json j = json::parse(protocol::encode(valid_event(device, seq)));
  change(j);
  return j.dump();
}

TEST_F(SpineTest, MalformedPayloadsAreDeadLetteredAndTheServiceKeepsStoring) {
  start_broker();
  Aggregator& agg = make_aggregator();
  start_aggregator_subscribed(agg);
  const pid_t pid = agg.process().pid();
  const std::string dev = "edge-e";
  const std::string topic = "gridsight/v1/" + dev + "/events";

  std::string bad_utf8 = with(dev, 7, [](json& j) { j["zone"] = "PLACEHOLDER"; });
  bad_utf8.replace(bad_utf8.find("PLACEHOLDER"), 11, "\xC3\x28\xFF\xFE");
  std::string huge =
      with(dev, 4, [](json& j) { j["attributes"]["blob"] = std::string(70'000, 'x'); });
  ASSERT_GT(huge.size(), 64u * 1024);
  std::string deep =
      R"({"schema":"1.0","x":)" + std::string(20, '[') + "1" + std::string(20, ']') + "}";

  struct Case {
    const char* name;
    std::string payload;
    std::string code;
    std::string field;  // empty: not checked
  };
  const std::vector<Case> cases = {
      {"invalid JSON", R"({"schema":"1.0","event_id":)", "invalid_json", ""},
      {"wrong type", with(dev, 2, [](json& j) { j["seq"] = "seven"; }), "wrong_type", "seq"},
      {"missing field", with(dev, 3, [](json& j) { j.erase("camera_id"); }), "missing_field",
       "camera_id"},
      {"oversized", huge, "too_large", ""},
      {"deeply nested", deep, "too_deep", ""},
      {"invalid UTF-8", bad_utf8, "invalid_json", ""},
      {"another device's id", with("edge-other", 8, [](json&) {}), "device_mismatch", "device_id"},
      {"newer schema major", with(dev, 9, [](json& j) { j["schema"] = "2.0"; }),
       "unsupported_version", "schema"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].name);
    ASSERT_EQ(mosquitto_pub(broker_->port(), topic, cases[i].payload, dir_.path()), 0);
    // One at a time, so each row can be matched to its case.
    ASSERT_TRUE(wait_for(
        [&] {
          return query_int(agg.db(), "SELECT COUNT(*) FROM dead_letters") ==
                 static_cast<std::int64_t>(i + 1);
        },
        kWait));
    auto rows = query(agg.db(),
                      "SELECT code, field, device_id, reason FROM dead_letters "
                      "ORDER BY id DESC LIMIT 1");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0][0], cases[i].code) << "reason: " << rows[0][3].value_or("");
    if (!cases[i].field.empty()) {
      EXPECT_EQ(rows[0][1], cases[i].field);
    }
    EXPECT_EQ(rows[0][2], dev) << "dead letters name the topic's device";
    const std::string reason = rows[0][3].value_or("");
    EXPECT_EQ(protocol::valid_utf8(reason), reason) << "the reason column holds valid UTF-8";
    EXPECT_TRUE(agg.process().is_running());
  }
  EXPECT_EQ(agg.stored(), 0) << "nothing malformed was stored";

  // Still the same process, and it stores the next valid event.
  EXPECT_TRUE(agg.process().is_running());
  EXPECT_EQ(agg.process().pid(), pid);
  const protocol::Event good = valid_event(dev, 1);
  ASSERT_EQ(mosquitto_pub(broker_->port(), topic, protocol::encode(good), dir_.path()), 0);
  ASSERT_TRUE(wait_for([&] { return agg.stored(dev) == 1; }, kWait));
  EXPECT_EQ(query_text(agg.db(), "SELECT event_id FROM events WHERE device_id = '" + dev + "'"),
            good.event_id);
  EXPECT_EQ(query_int(agg.db(), "SELECT COUNT(*) FROM dead_letters"),
            static_cast<std::int64_t>(cases.size()));
  // Counted: the periodic ingest summary reports them.
  EXPECT_TRUE(agg.process().wait_for_log(std::to_string(cases.size()) + " dead letters", kWait));
  EXPECT_EQ(agg.process().pid(), pid);
  EXPECT_EQ(agg.stop(), 0) << agg.process().log_tail();
}

// ---- (f) outbox full: eviction counted, reported and announced -----------------------------

// Merges adjacent ranges with the same flag: [[1,5,true],[6,9,true]] -> [[1,9,true]].
json merged_gaps(const json& gaps) {
  json out = json::array();
  for (const auto& g : gaps) {
    if (!out.empty() && out.back()[2] == g[2] &&
        out.back()[1].get<std::int64_t>() + 1 == g[0].get<std::int64_t>()) {
      out.back()[1] = g[1];
    } else {
      out.push_back(g);
    }
  }
  return out;
}

TEST_F(SpineTest, FullOutboxEvictsOldestCountsReportsAndAnnounces) {
  start_broker();
  Aggregator& agg = make_aggregator();
  start_aggregator_subscribed(agg);
  EXPECT_EQ(broker_->stop(), 0);

  Edge& edge = make_edge(edge_spec("edge-f", [](EdgeSpec& s) { s.outbox_max_events = 50; }));
  edge.start(synthetic(1000, 200));
  ASSERT_TRUE(wait_for([&] { return edge.meta("last_seq") == 200; }, kWait)) << state(agg, edge);
  ASSERT_TRUE(wait_for([&] { return edge.meta("evicted_total") == 150; }, kWait))
      << state(agg, edge) << " evicted_total " << str(edge.meta("evicted_total"));
  EXPECT_EQ(edge.pending(), 50);
  EXPECT_EQ(query_int(edge.outbox_db(), "SELECT MIN(seq) FROM events"), 151);
  EXPECT_NE(edge.process().log_text().find("evicted"), std::string::npos)
      << "the edge log reports the eviction";
  EXPECT_TRUE(edge.process().is_running()) << "a full outbox is never a crash";

  broker_->start();
  ASSERT_TRUE(wait_for(
      [&] {
        return agg.stored("edge-f") == 50 && edge.pending() == 0 &&
               query_int(edge.outbox_db(), "SELECT COUNT(*) FROM notices") == 0 &&
               query_int(agg.db(),
                         "SELECT next_expected FROM sequences WHERE device_id='edge-f'") == 201;
      },
      kBulk))
      << state(agg, edge) << ", notices pending "
      << str(query_int(edge.outbox_db(), "SELECT COUNT(*) FROM notices"));
  expect_exactly_once(agg, "edge-f", 151, 200);
  EXPECT_EQ(edge.meta("evicted_total"), 150) << "counted once, persisted";

  // Announced: the aggregator knows 1..150 will never come (evicted, not missing).
  const auto gaps = query_text(agg.db(), "SELECT gaps FROM sequences WHERE device_id='edge-f'");
  ASSERT_TRUE(gaps);
  EXPECT_EQ(merged_gaps(json::parse(*gaps)), json::parse("[[1,150,true]]")) << *gaps;
  EXPECT_NE(agg.process().log_text().find("evicted"), std::string::npos);

  // Reported in telemetry too.
  std::string telemetry;
  EXPECT_TRUE(wait_for(
      [&] {
        telemetry = query_text(agg.db(),
                               "SELECT last_telemetry FROM devices WHERE "
                               "device_id='edge-f'")
                        .value_or("");
        if (telemetry.empty()) return false;
        auto t = json::parse(telemetry, nullptr, false);
        return !t.is_discarded() && t.contains("outbox") &&
               t["outbox"].value("evicted_total", 0) == 150;
      },
      kWait))
      << "last telemetry: " << telemetry;
}

// ---- evidence: chunked, complete, hash-checked, resumable ----------------------------------

struct EvidenceRow {
  std::string hash;
  std::int64_t size = 0;
  std::int64_t received = 0;
  bool complete = false;
  std::int64_t hash_failures = 0;
};

std::vector<EvidenceRow> evidence_rows(const fs::path& db) {
  std::vector<EvidenceRow> out;
  try {
    for (const auto& r : query(db,
                               "SELECT hash, size, received, complete, hash_failures FROM "
                               "evidence ORDER BY hash")) {
      out.push_back({*r[0], std::stoll(*r[1]), std::stoll(*r[2]), *r[3] == "1", std::stoll(*r[4])});
    }
  } catch (const std::exception&) {
  }
  return out;
}

std::int64_t complete_count(const fs::path& db) {
  return query_int(db, "SELECT COUNT(*) FROM evidence WHERE complete = 1").value_or(0);
}

void expect_evidence_intact(Aggregator& agg, Edge& edge, std::size_t objects, std::int64_t size) {
  auto rows = evidence_rows(agg.db());
  ASSERT_EQ(rows.size(), objects);
  for (const auto& r : rows) {
    SCOPED_TRACE(r.hash);
    EXPECT_TRUE(r.complete);
    EXPECT_EQ(r.size, size);
    EXPECT_EQ(r.received, size);
    const fs::path file = agg.evidence_dir() / r.hash.substr(7);
    ASSERT_TRUE(fs::exists(file));
    EXPECT_EQ(static_cast<std::int64_t>(fs::file_size(file)), size);
    EXPECT_EQ(sha256_file(file), r.hash) << "the stored bytes match the content hash";
    EXPECT_EQ(query_int(agg.db(),
                        "SELECT COUNT(*) FROM event_evidence ee JOIN events e USING "
                        "(event_id) WHERE ee.hash = '" +
                            r.hash + "'"),
              1)
        << "referenced by its stored event";
  }
  // The edge let go of the evidence it delivered.
  EXPECT_EQ(query_int(edge.outbox_db(), "SELECT COUNT(*) FROM evidence"), 0);
  EXPECT_TRUE(fs::is_empty(edge.spec().data_dir / "outbox" / "evidence"));
}

TEST_F(SpineTest, EvidenceArrivesInChunksAndMatchesItsHash) {
  start_broker();
  Aggregator& agg = make_aggregator();
  start_aggregator_subscribed(agg);
  constexpr std::int64_t kSize = 300 * 1024;  // five chunks of the default 64 KiB
  Edge& edge =
      make_edge(edge_spec("edge-h", [](EdgeSpec& s) { s.synthetic_evidence_bytes = kSize; }));
  edge.start(synthetic(5, 5));
  ASSERT_TRUE(wait_for(
      [&] {
        return complete_count(agg.db()) == 5 &&
               query_int(edge.outbox_db(), "SELECT COUNT(*) FROM evidence") == 0;
      },
      kBulk))
      << state(agg, edge);
  ASSERT_TRUE(wait_drained(agg, edge, 5));
  expect_evidence_intact(agg, edge, 5, kSize);
  EXPECT_EQ(edge.stop(), 0) << edge.process().log_tail();
  EXPECT_EQ(agg.stop(), 0) << agg.process().log_tail();
}

// What both sides hold of each evidence object, for failure messages.
std::string evidence_state(Aggregator& agg, Edge& edge) {
  std::string out = "aggregator evidence (hash, size, received, complete, hash_failures):";
  for (const auto& r : query(agg.db(),
                             "SELECT hash, size, received, complete, hash_failures "
                             "FROM evidence")) {
    out += "\n  " + r[0].value_or("") + " " + r[1].value_or("") + " " + r[2].value_or("") + " " +
           r[3].value_or("") + " " + r[4].value_or("");
  }
  out += "\nedge evidence (hash, size, acked):";
  for (const auto& r : query(edge.outbox_db(), "SELECT hash, size, acked FROM evidence")) {
    out += "\n  " + r[0].value_or("") + " " + r[1].value_or("") + " " + r[2].value_or("");
  }
  return out;
}

void SpineTest::evidence_resume_scenario(Aggregator& agg, Edge& edge, std::int64_t size,
                                         const std::function<void()>& tamper) {
  edge.start(synthetic(1, 2));
  ASSERT_TRUE(wait_for(
      [&] {
        for (const auto& r : evidence_rows(agg.db())) {
          if (!r.complete && r.received > 0 && r.received < size) return true;
        }
        return false;
      },
      kBulk, 20ms))
      << "no evidence transfer seen in progress";
  EXPECT_EQ(agg.kill(), kKilled);
  tamper();
  agg.start();
  // Two objects of 1 MiB at 256 KiB/s: about 8 s of sending; the bound only stops a hang.
  ASSERT_TRUE(wait_for(
      [&] {
        return complete_count(agg.db()) == 2 &&
               query_int(edge.outbox_db(), "SELECT COUNT(*) FROM evidence") == 0;
      },
      60s, 200ms))
      << evidence_state(agg, edge);
}

TEST_F(SpineTest, EvidenceTransferResumesAfterTheAggregatorIsKilled) {
  start_broker();
  Aggregator& agg = make_aggregator();
  start_aggregator_subscribed(agg);
  constexpr std::int64_t kSize = 1024 * 1024;
  Edge& edge = make_edge(slow_evidence_spec("edge-r", kSize));
  evidence_resume_scenario(agg, edge, kSize, [] {});
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(wait_drained(agg, edge, 2));
  expect_evidence_intact(agg, edge, 2, kSize);
}

// A kill -9 of the aggregator between writing a chunk to the partial file and committing the
// row leaves the partial file longer than the committed `received`. The transfer must resume
// from the committed offset, not append after the stray bytes (which fails the hash check,
// restarts the object from zero, and after max_hash_failures such crashes refuses it).
TEST_F(SpineTest, EvidenceResumeIgnoresBytesWrittenButNotCommitted) {
  start_broker();
  Aggregator& agg = make_aggregator();
  start_aggregator_subscribed(agg);
  constexpr std::int64_t kSize = 1024 * 1024;
  Edge& edge = make_edge(slow_evidence_spec("edge-s", kSize));
  std::size_t tampered = 0;
  evidence_resume_scenario(agg, edge, kSize, [&] {
    // The state a kill right after append_durably() and before COMMIT leaves behind.
    for (const auto& r : evidence_rows(agg.db())) {
      if (r.complete) continue;
      const fs::path partial = agg.evidence_dir() / "partial" / r.hash.substr(7);
      if (!fs::exists(partial)) continue;
      fs::resize_file(partial, static_cast<std::uintmax_t>(r.received));
      std::ofstream(partial, std::ios::binary | std::ios::app) << std::string(32 * 1024, 'Z');
      ++tampered;
    }
  });
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_GE(tampered, 1u);
  ASSERT_TRUE(wait_drained(agg, edge, 2));
  expect_evidence_intact(agg, edge, 2, kSize);
  for (const auto& r : evidence_rows(agg.db())) {
    EXPECT_EQ(r.hash_failures, 0) << r.hash << ": resumed after uncommitted bytes";
  }
  EXPECT_EQ(agg.process().log_text().find("do not match the hash"), std::string::npos)
      << "the receiver appended after bytes it never committed";
}

// After a hash mismatch the aggregator drops what it received and says so (received 0); the
// edge must send the object again from its start. (Here the mismatch comes from bytes damaged
// on the aggregator's disk while it was down.)
TEST_F(SpineTest, EvidenceIsSentAgainFromTheStartAfterAHashMismatch) {
  start_broker();
  Aggregator& agg = make_aggregator();
  start_aggregator_subscribed(agg);
  constexpr std::int64_t kSize = 1024 * 1024;
  Edge& edge = make_edge(slow_evidence_spec("edge-m", kSize));
  std::size_t damaged = 0;
  evidence_resume_scenario(agg, edge, kSize, [&] {
    for (const auto& r : evidence_rows(agg.db())) {
      if (r.complete) continue;
      const fs::path partial = agg.evidence_dir() / "partial" / r.hash.substr(7);
      if (!fs::exists(partial) || fs::file_size(partial) < 16) continue;
      // Same length, different first bytes; and exactly the committed length.
      fs::resize_file(partial, static_cast<std::uintmax_t>(r.received));
      std::fstream f(partial, std::ios::binary | std::ios::in | std::ios::out);
      f.seekp(0);
      f.write("DAMAGED-BYTES!!!", 16);
      ++damaged;
    }
  });
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_GE(damaged, 1u);
  ASSERT_TRUE(wait_drained(agg, edge, 2));
  expect_evidence_intact(agg, edge, 2, kSize);
  EXPECT_NE(agg.process().log_text().find("do not match the hash"), std::string::npos)
      << "the damage was detected";
}

}  // namespace
}  // namespace gridsight::test
