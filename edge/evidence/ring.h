#pragma once
// Per-camera ring of compressed packets: the pre-roll of every clip. Bounded by time (it keeps
// whole GOPs: from the last keyframe at or before `keep` ago) and by bytes. No libav.
//
// `keep` is the pre-roll plus the camera's detection delay: a rule fires some time after the
// incident began (its minimum duration, dwell), and the clip must still reach `pre_roll` before
// that beginning. Memory: about (keep + one GOP) x the main stream's bitrate, at most
// `max_bytes` (e.g. 4 Mbit/s, 10 s pre-roll, 5 s delay, 2 s GOP: 8.5 MB).

#include <cstdint>
#include <deque>
#include <vector>

#include "edge/capture/packet.h"

namespace gridsight::evidence {

class PacketRing {
 public:
  PacketRing(std::int64_t keep_ms, std::uint64_t max_bytes)
      : keep_ms_(keep_ms), max_bytes_(max_bytes) {}

  // How far back the ring reaches from its newest packet (applies from the next push).
  void set_keep_ms(std::int64_t keep_ms) { keep_ms_ = keep_ms; }
  std::int64_t keep_ms() const { return keep_ms_; }

  // Appends a packet; evicts whole GOPs beyond the bounds. A packet of a new stream (a new
  // session, other codec parameters) starts the ring afresh: a clip cannot mix them.
  void push(capture::PacketPtr p);
  void clear();

  // The packets from the last keyframe at or before `from_ms` (or the first keyframe) on.
  std::vector<capture::PacketPtr> since(std::int64_t from_ms) const;

  std::uint64_t bytes() const { return bytes_; }
  std::size_t size() const { return packets_.size(); }
  std::uint64_t evicted_for_bytes() const { return evicted_for_bytes_; }
  // Camera time of the oldest and newest packet (0 when empty).
  std::int64_t oldest_ms() const { return packets_.empty() ? 0 : packets_.front()->time_ms; }
  std::int64_t newest_ms() const { return packets_.empty() ? 0 : packets_.back()->time_ms; }

 private:
  void pop_front();
  void drop_gop();

  std::int64_t keep_ms_;
  std::uint64_t max_bytes_;
  std::deque<capture::PacketPtr> packets_;
  std::deque<std::uint64_t> keys_;  // absolute positions of keyframes
  std::uint64_t base_ = 0;          // absolute position of packets_.front()
  std::uint64_t bytes_ = 0;
  std::uint64_t evicted_for_bytes_ = 0;
  const capture::StreamInfo* stream_ = nullptr;
};

}  // namespace gridsight::evidence
