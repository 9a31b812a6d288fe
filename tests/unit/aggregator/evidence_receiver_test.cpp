#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "aggregator/ingest/evidence_receiver.h"
#include "tests/unit/aggregator/unit_test_store.h"
#include "common/metrics.h"
#include "protocol/ids.h"

namespace gridsight::aggregator {
namespace {

class EvidenceReceiverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::fresh_dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    store_ = std::make_unique<SqliteEventStore>((dir_ / "a.db").string());
  }
  protocol::EvidenceAck send(EvidenceReceiver& r, const std::string& whole, std::uint64_t offset,
                             std::size_t n, const std::string& hash = "") {
    protocol::EvidenceChunkHeader h{hash.empty() ? protocol::content_hash(whole) : hash,
                                    event_id_, "video/mp4", whole.size(), offset};
    std::string frame = protocol::encode_evidence_chunk(h, whole.substr(offset, n));
    auto c = protocol::decode_evidence_chunk(frame);
    EXPECT_TRUE(c) << c.error.describe();
    store_->begin();
    auto ack = r.receive("edge-01", *c.value, 1'764'000'000'000);
    store_->commit();
    return ack;
  }
  std::filesystem::path dir_;
  std::unique_ptr<SqliteEventStore> store_;
  Metrics metrics_;
  std::string event_id_ = protocol::new_event_id();
};

TEST_F(EvidenceReceiverTest, AssemblesInOrderAndVerifiesTheHash) {
  EvidenceReceiver r(dir_ / "evidence", {}, *store_, metrics_);
  std::string whole = "0123456789abcdefghij";
  EXPECT_EQ(send(r, whole, 0, 8).received, 8u);
  // A chunk from the wrong offset is ignored; the ack says where to resume.
  auto skip = send(r, whole, 16, 4);
  EXPECT_EQ(skip.received, 8u);
  EXPECT_FALSE(skip.complete);
  EXPECT_EQ(send(r, whole, 8, 8).received, 16u);
  auto done = send(r, whole, 16, 4);
  EXPECT_TRUE(done.complete);
  std::ifstream in(r.path_of(protocol::content_hash(whole)), std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), whole);
  // Sent again later (say, by a box that restarted): already complete.
  EXPECT_TRUE(send(r, whole, 0, 8).complete);
}

TEST_F(EvidenceReceiverTest, ResumesAfterARestart) {
  std::string whole(1000, 'z');
  {
    EvidenceReceiver r(dir_ / "evidence", {}, *store_, metrics_);
    send(r, whole, 0, 400);
  }
  EvidenceReceiver r(dir_ / "evidence", {}, *store_, metrics_);
  EXPECT_EQ(send(r, whole, 0, 400).received, 400u);  // a repeat: still 400
  EXPECT_TRUE(send(r, whole, 400, 600).complete);
}

TEST_F(EvidenceReceiverTest, HashMismatchRestartsThenRefuses) {
  EvidenceReceiver r(dir_ / "evidence", {1ULL << 30, 2}, *store_, metrics_);
  std::string whole = "abcdef";
  std::string wrong = protocol::content_hash("something else");
  auto a1 = send(r, whole, 0, 6, wrong);
  EXPECT_FALSE(a1.complete);
  EXPECT_EQ(a1.received, 0u);
  EXPECT_FALSE(a1.refused);
  auto a2 = send(r, whole, 0, 6, wrong);
  EXPECT_TRUE(a2.refused);
  EXPECT_EQ(metrics_.value("gridsight_aggregator_evidence_hash_mismatch_total"), 2);
}

TEST_F(EvidenceReceiverTest, PerDeviceQuota) {
  EvidenceReceiver r(dir_ / "evidence", {10, 3}, *store_, metrics_);
  EXPECT_TRUE(send(r, "12345678", 0, 8).complete);
  auto refused = send(r, "another object", 0, 5);
  EXPECT_TRUE(refused.refused);
  EXPECT_NE(refused.reason.find("quota"), std::string::npos);
}

}  // namespace
}  // namespace gridsight::aggregator

namespace gridsight::aggregator {
namespace {

TEST_F(EvidenceReceiverTest, BytesWrittenButNeverCommittedAreDiscarded) {
  std::string whole = "0123456789";
  EvidenceReceiver r(dir_ / "evidence", {}, *store_, metrics_);
  send(r, whole, 0, 4);
  // A crash between writing a chunk and committing its row leaves extra bytes behind.
  std::ofstream(dir_ / "evidence" / "partial" / protocol::content_hash(whole).substr(7),
                std::ios::app | std::ios::binary)
      << "XYZ";
  auto ack = send(r, whole, 4, 6);
  EXPECT_TRUE(ack.complete) << "received " << ack.received;
}

}  // namespace
}  // namespace gridsight::aggregator
