#include <gtest/gtest.h>

#include "aggregator/ingest/sequence_tracker.h"

namespace gridsight::aggregator {
namespace {

TEST(SequenceTracker, InOrderGapsAndLateArrivals) {
  SequenceState s;
  EXPECT_EQ(observe(s, 1), SeqObservation::kNext);
  EXPECT_EQ(observe(s, 5), SeqObservation::kGapOpened);
  EXPECT_EQ(s.gaps, (std::vector<SeqGap>{{2, 4, false}}));
  EXPECT_EQ(missing_count(s), 3u);
  EXPECT_EQ(observe(s, 3), SeqObservation::kGapFilled);
  EXPECT_EQ(s.gaps, (std::vector<SeqGap>{{2, 2, false}, {4, 4, false}}));
  EXPECT_EQ(observe(s, 2), SeqObservation::kGapFilled);
  EXPECT_EQ(observe(s, 4), SeqObservation::kGapFilled);
  EXPECT_TRUE(s.gaps.empty());
  EXPECT_EQ(observe(s, 3), SeqObservation::kReplay);
  EXPECT_EQ(s.replays, 1u);
  EXPECT_EQ(s.next_expected, 6u);
}

TEST(SequenceTracker, EvictionAheadOfWhatArrived) {
  SequenceState s;
  observe(s, 1);
  EXPECT_EQ(mark_evicted(s, 2, 150), 149u);
  EXPECT_EQ(s.gaps, (std::vector<SeqGap>{{2, 150, true}}));
  EXPECT_EQ(s.next_expected, 151u);
  EXPECT_EQ(missing_count(s), 0u);
  EXPECT_EQ(observe(s, 151), SeqObservation::kNext);
}

TEST(SequenceTracker, EvictionStartingFurtherAheadLeavesAMissingGap) {
  SequenceState s;
  mark_evicted(s, 10, 20);
  EXPECT_EQ(s.gaps, (std::vector<SeqGap>{{1, 9, false}, {10, 20, true}}));
}

TEST(SequenceTracker, EvictionInsideAKnownGap) {
  SequenceState s;
  observe(s, 1);
  observe(s, 10);
  EXPECT_EQ(mark_evicted(s, 3, 5), 3u);
  EXPECT_EQ(s.gaps, (std::vector<SeqGap>{{2, 2, false}, {3, 5, true}, {6, 9, false}}));
  EXPECT_EQ(missing_count(s), 5u);
}

}  // namespace
}  // namespace gridsight::aggregator
