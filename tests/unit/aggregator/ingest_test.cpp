// The ingest pipeline on a real SQLite store: idempotent storage, acknowledgements only after
// commit, dead letters with reasons, forged device ids, eviction notices.
#include "aggregator/ingest/ingest.h"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "aggregator/ingest/evidence_receiver.h"
#include "common/clock.h"
#include "common/metrics.h"
#include "common/sqlite/database.h"
#include "protocol/ids.h"
#include "tests/unit/aggregator/unit_test_store.h"

namespace gridsight::aggregator {
namespace {

protocol::Event event(const std::string& device, std::uint64_t seq) {
  protocol::Event e;
  e.event_id = protocol::new_event_id();
  e.device_id = device;
  e.camera_id = "cam-1";
  e.seq = seq;
  e.type = "zone.intrusion";
  e.start_ms = 1'764'000'000'000;
  e.confidence = 0.5;
  return e;
}

class IngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::fresh_dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    store_ = std::make_unique<SqliteEventStore>((dir_ / "a.db").string());
    evidence_ =
        std::make_unique<EvidenceReceiver>(dir_ / "ev", EvidenceConfig{}, *store_, metrics_);
    ingest_ = std::make_unique<Ingest>(
        IngestConfig{}, protocol::Topics("gridsight"), *store_, *evidence_, clock_, metrics_,
        [this](const std::string& device, const std::string& payload) {
          auto a = protocol::decode_ack(payload);
          ASSERT_TRUE(a) << a.error.describe();
          std::lock_guard lock(mu_);
          acks_.emplace_back(device, *a.value);
        });
    ingest_->start();
  }

  void submit(const std::string& device, const std::string& kind, const std::string& payload) {
    ingest_->submit("gridsight/v1/" + device + "/" + kind, payload);
  }

  // Stops the pipeline (processing everything submitted) and returns the acks.
  std::vector<std::pair<std::string, protocol::Ack>> finish() {
    ingest_->stop();
    std::lock_guard lock(mu_);
    return acks_;
  }

  std::int64_t count(const std::string& sql) {
    auto st = store_->database().prepare(sql);
    st.step();
    return st.int64(0);
  }

  std::filesystem::path dir_;
  ManualClock clock_;
  Metrics metrics_;
  std::unique_ptr<SqliteEventStore> store_;
  std::unique_ptr<EvidenceReceiver> evidence_;
  std::unique_ptr<Ingest> ingest_;
  std::mutex mu_;
  std::vector<std::pair<std::string, protocol::Ack>> acks_;
};

TEST_F(IngestTest, StoresOnceAndConfirmsEveryCopy) {
  auto e = event("edge-01", 1);
  submit("edge-01", "events", protocol::encode(e));
  submit("edge-01", "events", protocol::encode(e));
  auto acks = finish();
  EXPECT_EQ(count("SELECT COUNT(*) FROM events"), 1);
  std::size_t confirmations = 0;
  for (const auto& [device, ack] : acks) {
    EXPECT_EQ(device, "edge-01");
    for (const auto& a : ack.events) {
      EXPECT_EQ(a.event_id, e.event_id);
      EXPECT_EQ(a.status, protocol::AckStatus::kStored);
      ++confirmations;
    }
  }
  EXPECT_EQ(confirmations, 2u);
  EXPECT_EQ(ingest_->stats().duplicates, 1u);
  EXPECT_EQ(
      count("SELECT COUNT(*) FROM events WHERE received_ms = " + std::to_string(clock_.now_ms())),
      1);
}

TEST_F(IngestTest, MalformedMessagesAreDeadLetteredAndCounted) {
  submit("edge-01", "events", "{oops");
  submit("edge-01", "events", R"({"schema":"9.0"})");
  submit("edge-01", "events", std::string("\xff\xfe", 2));
  submit("edge-01", "notice", "[]");
  submit("edge+bad", "events", "{}");
  auto good = event("edge-01", 1);
  submit("edge-01", "events", protocol::encode(good));
  finish();
  EXPECT_EQ(count("SELECT COUNT(*) FROM dead_letters"), 5);
  EXPECT_EQ(count("SELECT COUNT(*) FROM dead_letters WHERE code='invalid_json'"), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM dead_letters WHERE code='unsupported_version'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM events"), 1);
  EXPECT_EQ(metrics_.value("gridsight_aggregator_dead_letters_total", {{"code", "invalid_json"}}),
            2);
}

TEST_F(IngestTest, ForgedDeviceIsRefusedAndTheSenderTold) {
  auto forged = event("edge-02", 1);  // payload claims edge-02, published under edge-01
  submit("edge-01", "events", protocol::encode(forged));
  auto acks = finish();
  EXPECT_EQ(count("SELECT COUNT(*) FROM events"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM dead_letters WHERE code='device_mismatch' AND "
                  "device_id='edge-01'"),
            1);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].first, "edge-01");
  ASSERT_EQ(acks[0].second.events.size(), 1u);
  EXPECT_EQ(acks[0].second.events[0].status, protocol::AckStatus::kDeadLetter);
}

TEST_F(IngestTest, InvalidFieldDeadLettersWithAnAckSoTheEdgeStopsResending) {
  auto e = event("edge-01", 7);
  std::string payload = protocol::encode(e);
  payload.replace(payload.find("\"confidence\":0.5"), 16, "\"confidence\":9.0");
  submit("edge-01", "events", payload);
  auto acks = finish();
  ASSERT_EQ(acks.size(), 1u);
  const auto& a = acks[0].second.events.at(0);
  EXPECT_EQ(a.event_id, e.event_id);
  EXPECT_EQ(a.seq, 7u);
  EXPECT_EQ(a.status, protocol::AckStatus::kDeadLetter);
  EXPECT_NE(a.reason.find("confidence"), std::string::npos);
}

TEST_F(IngestTest, SequenceGapsAndEvictionNoticesArePersisted) {
  submit("edge-01", "events", protocol::encode(event("edge-01", 1)));
  submit("edge-01", "events", protocol::encode(event("edge-01", 5)));
  protocol::EvictionNotice n{1, "edge-01", 2, 3, 2, "outbox_full_events", 1'764'000'000'000};
  submit("edge-01", "notice", protocol::encode(n));
  auto acks = finish();
  auto seqs = store_->load_sequences();
  ASSERT_TRUE(seqs.count("edge-01"));
  EXPECT_EQ(seqs["edge-01"].gaps, (std::vector<SeqGap>{{2, 3, true}, {4, 4, false}}));
  bool notice_acked = false;
  for (const auto& [d, a] : acks) notice_acked |= !a.notices.empty() && a.notices[0].notice_id == 1;
  EXPECT_TRUE(notice_acked);
}

TEST_F(IngestTest, DeviceStateAndTelemetryAreRecorded) {
  protocol::DeviceState s{"edge-01", true, "", "0.1.0", "s1", 1'764'000'000'000, true};
  submit("edge-01", "state", protocol::encode(s));
  submit("edge-01", "telemetry",
         R"({"schema":"1.0","device_id":"edge-01","at_ms":1764000000000,"outbox":{"pending":3}})");
  submit("edge-01", "telemetry", R"({"schema":"1.0","device_id":"edge-02","at_ms":1764000000000})");
  finish();
  EXPECT_EQ(count("SELECT online FROM devices WHERE device_id='edge-01'"), 1);
  EXPECT_EQ(count("SELECT telemetry_at_ms FROM devices WHERE device_id='edge-01'"),
            1'764'000'000'000);
  EXPECT_EQ(count("SELECT COUNT(*) FROM dead_letters WHERE code='device_mismatch'"), 1);
}

// The evidence index the API reads through (EventEvidenceIndex): an event's references by
// role, read on a connection of its own once the unit of work is committed.
TEST(EventEvidenceIndexTest, AStoredEventsReferencesReadBackByRole) {
  const auto dir = testing::fresh_dir("evidence-index");
  SqliteEventStore store((dir / "a.db").string());
  protocol::Event e = event("edge-1", 1);
  e.evidence = {{"sha256:" + std::string(64, 'b'), 2048, "video/mp4", "clip"},
                {"sha256:" + std::string(64, 'a'), 1234, "image/jpeg", "snapshot"}};
  std::swap(e.evidence[0], e.evidence[1]);  // declared snapshot first
  store.begin();
  ASSERT_GT(store.insert_event(e, "{}", 5), 0);
  store.commit();
  SqliteEventStore reader((dir / "a.db").string());
  EventEvidenceIndex& index = reader;
  const std::vector<EventEvidence> expected{
      {"clip", "video/mp4", 2048, "sha256:" + std::string(64, 'b')},
      {"snapshot", "image/jpeg", 1234, "sha256:" + std::string(64, 'a')}};
  EXPECT_EQ(index.evidence_of_event(e.event_id), expected);
  EXPECT_TRUE(index.evidence_of_event("not-stored").empty());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace gridsight::aggregator
