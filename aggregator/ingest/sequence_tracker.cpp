#include "aggregator/ingest/sequence_tracker.h"

#include <algorithm>

namespace gridsight::aggregator {

SeqObservation observe(SequenceState& s, std::uint64_t seq) {
  if (seq == s.next_expected) {
    ++s.next_expected;
    return SeqObservation::kNext;
  }
  if (seq > s.next_expected) {
    s.gaps.push_back({s.next_expected, seq - 1, false});
    s.next_expected = seq + 1;
    return SeqObservation::kGapOpened;
  }
  // Below the expected number: inside a gap, or a replay.
  auto it = std::find_if(s.gaps.begin(), s.gaps.end(),
                         [&](const SeqGap& g) { return g.first <= seq && seq <= g.last; });
  if (it == s.gaps.end()) {
    ++s.replays;
    return SeqObservation::kReplay;
  }
  SeqGap g = *it;
  it = s.gaps.erase(it);
  // Split around seq, keeping the order.
  if (seq < g.last) it = s.gaps.insert(it, {seq + 1, g.last, g.evicted});
  if (g.first < seq) s.gaps.insert(it, {g.first, seq - 1, g.evicted});
  return SeqObservation::kGapFilled;
}

std::uint64_t mark_evicted(SequenceState& s, std::uint64_t first, std::uint64_t last) {
  std::uint64_t changed = 0;
  // Beyond what we expect: those numbers become an evicted gap (with a missing gap before it
  // if the range starts further ahead).
  if (last >= s.next_expected) {
    const std::uint64_t from = std::max(first, s.next_expected);
    if (from > s.next_expected) s.gaps.push_back({s.next_expected, from - 1, false});
    s.gaps.push_back({from, last, true});
    changed += last - from + 1;
    s.next_expected = last + 1;
    if (first >= from) return changed;
    last = from - 1;
  }
  // Within known gaps: the overlapping part of each missing gap turns evicted.
  std::vector<SeqGap> out;
  for (const SeqGap& g : s.gaps) {
    if (g.evicted || g.last < first || g.first > last) {
      out.push_back(g);
      continue;
    }
    const std::uint64_t a = std::max(g.first, first), b = std::min(g.last, last);
    if (g.first < a) out.push_back({g.first, a - 1, false});
    out.push_back({a, b, true});
    if (b < g.last) out.push_back({b + 1, g.last, false});
    changed += b - a + 1;
  }
  s.gaps = std::move(out);
  return changed;
}

std::uint64_t missing_count(const SequenceState& s) {
  std::uint64_t n = 0;
  for (const auto& g : s.gaps) {
    if (!g.evicted) n += g.last - g.first + 1;
  }
  return n;
}

}  // namespace gridsight::aggregator
