#pragma once
// Per-device sequence bookkeeping: which sequence numbers are missing (gaps), which the edge
// announced as evicted, which arrived late and closed a gap.

#include <cstdint>

#include "aggregator/store/event_store.h"

namespace gridsight::aggregator {

enum class SeqObservation {
  kNext,        // the expected one
  kGapOpened,   // ahead of the expected one: the numbers in between are now a gap
  kGapFilled,   // a late arrival inside a gap
  kReplay,      // below the expected one and not in a gap: already seen
};

// Records that `seq` arrived.
SeqObservation observe(SequenceState& s, std::uint64_t seq);

// Records that the edge evicted [first, last]: those numbers will never arrive.
// Returns how many sequence numbers changed from missing/expected to evicted.
std::uint64_t mark_evicted(SequenceState& s, std::uint64_t first, std::uint64_t last);

// Sequence numbers still missing (not evicted).
std::uint64_t missing_count(const SequenceState& s);

}  // namespace gridsight::aggregator
