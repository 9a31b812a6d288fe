// The edge outbox: durable append, confirmation, dead letters, eviction with notices, evidence.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/clock.h"
#include "common/metrics.h"
#include "common/sqlite/database.h"
#include "edge/outbox/outbox.h"
#include "protocol/ids.h"

namespace gridsight::edge {
namespace {
namespace fs = std::filesystem;

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("gridsight-outbox-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<Outbox> open(OutboxConfig cfg = {}) {
    return std::make_unique<Outbox>(dir_ / "outbox", "edge-01", cfg, clock_, metrics_);
  }

  static Draft draft(std::string camera = "cam-1") {
    Draft d;
    d.event.camera_id = std::move(camera);
    d.event.type = "zone.intrusion";
    d.event.start_ms = 1'764'000'000'000;
    d.event.confidence = 0.5;
    return d;
  }

  fs::path write_file(const std::string& name, const std::string& content) {
    auto p = dir_ / name;
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }

  static protocol::Ack ack_all(const std::vector<OutboxRecord>& recs,
                               protocol::AckStatus status = protocol::AckStatus::kStored) {
    protocol::Ack a;
    for (const auto& r : recs) a.events.push_back({r.event_id, r.seq, status, status == protocol::AckStatus::kStored ? "" : "bad"});
    return a;
  }

  fs::path dir_;
  ManualClock clock_{1'764'000'000'000};
  Metrics metrics_;
};

TEST_F(OutboxTest, AppendAssignsIncreasingSeqAndValidIds) {
  auto box = open();
  auto seqs = box->append({draft(), draft(), draft()});
  EXPECT_EQ(seqs, (std::vector<std::uint64_t>{1, 2, 3}));
  auto recs = box->pending_after(0, 10);
  ASSERT_EQ(recs.size(), 3u);
  for (const auto& r : recs) {
    EXPECT_TRUE(protocol::is_event_id(r.event_id));
    auto e = protocol::decode_event(r.payload);
    ASSERT_TRUE(e) << e.error.describe();
    EXPECT_EQ(e.value->seq, r.seq);
    EXPECT_EQ(e.value->device_id, "edge-01");
  }
  EXPECT_EQ(box->pending_after(2, 10).size(), 1u);
}

TEST_F(OutboxTest, CommittedEventsSurviveReopening) {
  {
    auto box = open();
    box->append({draft(), draft()});
  }
  auto box = open();
  EXPECT_EQ(box->stats().pending, 2u);
  EXPECT_EQ(box->append({draft()}).front(), 3u);
}

TEST_F(OutboxTest, SequenceNeverGoesBackAfterEverythingIsConfirmed) {
  {
    auto box = open();
    box->append({draft(), draft()});
    box->apply(ack_all(box->pending_after(0, 10)));
    EXPECT_EQ(box->stats().pending, 0u);
  }
  auto box = open();
  EXPECT_EQ(box->append({draft()}).front(), 3u);
  EXPECT_EQ(box->stats().confirmed_total, 2u);
}

TEST_F(OutboxTest, InvalidEventIsRefusedAndNothingIsCommitted) {
  auto box = open();
  Draft bad = draft();
  bad.event.confidence = 3;
  EXPECT_THROW(box->append({draft(), bad}), std::invalid_argument);
  EXPECT_EQ(box->stats().pending, 0u);
  EXPECT_EQ(box->append({draft()}).front(), 1u);
}

TEST_F(OutboxTest, ConfirmationRemovesOnlyMatchingEvents) {
  auto box = open();
  box->append({draft(), draft(), draft()});
  auto recs = box->pending_after(0, 10);
  protocol::Ack a;
  a.events.push_back({recs[0].event_id, recs[0].seq, protocol::AckStatus::kStored, ""});
  a.events.push_back({"wrong-id", recs[1].seq, protocol::AckStatus::kStored, ""});
  auto out = box->apply(a);
  EXPECT_EQ(out.settled_seqs, (std::vector<std::uint64_t>{1}));
  EXPECT_EQ(box->stats().pending, 2u);
  box->apply(a);  // a repeated ack changes nothing
  EXPECT_EQ(box->stats().confirmed_total, 1u);
}

TEST_F(OutboxTest, FirstAndLatestConfirmationsAreRecordedAndSurviveReopening) {
  std::vector<AckOutcome> pushed;
  {
    auto box = open();
    box->on_settled([&](const AckOutcome& o) { pushed.push_back(o); });
    EXPECT_FALSE(box->stats().first_confirmed);
    box->append({draft("cam-a"), draft("cam-b")});
    const auto recs = box->pending_after(0, 10);
    clock_.advance(1500);
    box->apply(ack_all({recs[0]}));
    auto s = box->stats();
    ASSERT_TRUE(s.first_confirmed && s.latest_confirmed);
    EXPECT_EQ(s.first_confirmed->seq, 1u);
    EXPECT_EQ(s.first_confirmed->event_id, recs[0].event_id);
    EXPECT_EQ(s.first_confirmed->camera_id, "cam-a");
    EXPECT_EQ(s.first_confirmed->confirmed_ms - s.first_confirmed->created_ms, 1500);
    EXPECT_EQ(s.latest_confirmed->seq, 1u);
    clock_.advance(1000);
    box->apply(ack_all({recs[1]}));
    box->apply(ack_all({recs[1]}));  // repeated: nothing settles, nothing is pushed
    s = box->stats();
    EXPECT_EQ(s.first_confirmed->seq, 1u);
    EXPECT_EQ(s.latest_confirmed->seq, 2u);
    EXPECT_EQ(s.latest_confirmed->camera_id, "cam-b");
    EXPECT_EQ(s.latest_confirmed->confirmed_ms - s.latest_confirmed->created_ms, 2500);
    box->append({draft()});
    box->apply(ack_all(box->pending_after(2, 10), protocol::AckStatus::kDeadLetter));
    EXPECT_EQ(box->stats().latest_confirmed->seq, 2u);  // a refused event is not confirmed
  }
  ASSERT_EQ(pushed.size(), 3u);
  ASSERT_EQ(pushed[0].confirmed.size(), 1u);
  EXPECT_EQ(pushed[0].confirmed[0].seq, 1u);
  EXPECT_EQ(pushed[1].confirmed[0].seq, 2u);
  ASSERT_EQ(pushed[2].dead_lettered.size(), 1u);
  EXPECT_EQ(pushed[2].dead_lettered[0].seq, 3u);
  EXPECT_EQ(pushed[2].dead_lettered[0].reason, "bad");
  auto box = open();
  const auto s = box->stats();
  ASSERT_TRUE(s.first_confirmed && s.latest_confirmed);
  EXPECT_EQ(s.first_confirmed->seq, 1u);
  EXPECT_EQ(s.latest_confirmed->seq, 2u);
}

TEST_F(OutboxTest, DeadLetteredEventsStayVisible) {
  auto box = open();
  box->append({draft()});
  box->apply(ack_all(box->pending_after(0, 10), protocol::AckStatus::kDeadLetter));
  EXPECT_EQ(box->stats().pending, 0u);
  EXPECT_EQ(box->stats().dead_lettered_total, 1u);
  auto rej = box->rejected(10);
  ASSERT_EQ(rej.size(), 1u);
  EXPECT_EQ(rej[0].reason, "bad");
}

TEST_F(OutboxTest, FullOutboxEvictsOldestAndAnnouncesIt) {
  OutboxConfig cfg;
  cfg.max_events = 5;
  auto box = open(cfg);
  for (int i = 0; i < 8; ++i) box->append({draft()});
  auto s = box->stats();
  EXPECT_EQ(s.pending, 5u);
  EXPECT_EQ(s.evicted_total, 3u);
  EXPECT_EQ(box->pending_after(0, 10).front().seq, 4u);
  EXPECT_EQ(metrics_.value("gridsight_edge_outbox_evicted_total"), 3);
  auto notices = box->pending_notices();
  ASSERT_EQ(notices.size(), 3u);  // one per append that overflowed
  auto n = protocol::decode_notice(notices[0].second);
  ASSERT_TRUE(n) << n.error.describe();
  EXPECT_EQ(n.value->first_seq, 1u);
  EXPECT_EQ(n.value->last_seq, 1u);
  EXPECT_EQ(n.value->reason, "outbox_full_events");
  protocol::Ack a;
  for (auto& [id, payload] : notices) a.notices.push_back({id});
  box->apply(a);
  EXPECT_TRUE(box->pending_notices().empty());
  // The evicted total survives a restart.
  box.reset();
  EXPECT_EQ(open(cfg)->stats().evicted_total, 3u);
}

TEST_F(OutboxTest, EvictsByBytesInOneRange) {
  OutboxConfig cfg;
  cfg.max_bytes = 64 * 1024;
  auto box = open(cfg);
  std::vector<Draft> many;
  for (int i = 0; i < 400; ++i) {
    Draft d = draft();
    d.event.attributes["pad"] = std::string(200, 'p');
    many.push_back(std::move(d));
  }
  box->append(std::move(many));
  auto s = box->stats();
  EXPECT_LE(s.pending_bytes, cfg.max_bytes);
  EXPECT_EQ(s.evicted_total + s.pending, 400u);
  auto notices = box->pending_notices();
  ASSERT_EQ(notices.size(), 1u);
  auto n = protocol::decode_notice(notices[0].second);
  EXPECT_EQ(n.value->reason, "outbox_full_bytes");
  EXPECT_EQ(n.value->count, s.evicted_total);
}

TEST_F(OutboxTest, EvidenceIsAdoptedHashedAndSentAfterItsEvent) {
  auto box = open();
  Draft d = draft();
  d.evidence.push_back({write_file("snap.jpg", "jpeg-bytes"), "image/jpeg", "snapshot"});
  box->append({std::move(d)});
  EXPECT_FALSE(fs::exists(dir_ / "snap.jpg"));
  auto recs = box->pending_after(0, 10);
  auto e = protocol::decode_event(recs[0].payload);
  ASSERT_EQ(e.value->evidence.size(), 1u);
  EXPECT_EQ(e.value->evidence[0].hash, protocol::content_hash("jpeg-bytes"));
  EXPECT_EQ(e.value->evidence[0].size, 10u);
  // Not before the event is confirmed: a clip never delays events.
  EXPECT_TRUE(box->pending_evidence(10).empty());
  box->apply(ack_all(recs));
  auto ev = box->pending_evidence(10);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_TRUE(fs::exists(ev[0].path));
  protocol::Ack a;
  a.evidence.push_back({ev[0].hash, 4, false, false, ""});
  box->apply(a);
  EXPECT_EQ(box->pending_evidence(10)[0].acked, 4u);
  a.evidence[0] = {ev[0].hash, 10, true, false, ""};
  box->apply(a);
  EXPECT_TRUE(box->pending_evidence(10).empty());
  EXPECT_FALSE(fs::exists(ev[0].path));
}

TEST_F(OutboxTest, EvidenceOverBudgetDropsOldestEvidenceButKeepsEvents) {
  OutboxConfig cfg;
  cfg.max_evidence_bytes = 25;
  auto box = open(cfg);
  for (int i = 0; i < 3; ++i) {
    Draft d = draft();
    d.evidence.push_back({write_file("e" + std::to_string(i), std::string(10, char('a' + i))),
                          "image/jpeg", "snapshot"});
    box->append({std::move(d)});
  }
  auto s = box->stats();
  EXPECT_EQ(s.pending, 3u);
  EXPECT_EQ(s.evidence_pending, 2u);
  EXPECT_EQ(s.evidence_evicted_total, 1u);
}

TEST_F(OutboxTest, OrphanEvidenceFilesAreRemovedAtStart) {
  { open(); }
  std::ofstream(dir_ / "outbox" / "evidence" / "deadbeef") << "left by a crash";
  auto box = open();
  EXPECT_FALSE(fs::exists(dir_ / "outbox" / "evidence" / "deadbeef"));
}

TEST_F(OutboxTest, DatabaseIsDurable) {
  auto box = open();
  EXPECT_EQ(box->database_for_tests().journal_mode(), "wal");
  EXPECT_EQ(box->database_for_tests().synchronous(), 2);
}

}  // namespace
}  // namespace gridsight::edge

namespace gridsight::edge {
namespace {

TEST_F(OutboxTest, EvidenceProgressFollowsTheAggregatorAlsoBackwards) {
  auto box = open();
  Draft d = draft();
  d.evidence.push_back({write_file("clip.mp4", std::string(100, 'c')), "video/mp4", "clip"});
  box->append({std::move(d)});
  box->apply(ack_all(box->pending_after(0, 10)));
  auto hash = box->pending_evidence(1).at(0).hash;
  protocol::Ack a;
  a.evidence.push_back({hash, 60, false, false, ""});
  box->apply(a);
  a.evidence[0].received = 0;  // the aggregator discarded it (hash mismatch): start again
  box->apply(a);
  EXPECT_EQ(box->pending_evidence(1).at(0).acked, 0u);
}

}  // namespace
}  // namespace gridsight::edge
