#pragma once
// Per-camera ring of compressed packets: the pre-roll of every clip. Bounded by time (it keeps
// whole GOPs: from the last keyframe at or before `pre_roll` ago) and by bytes. No libav.

#include <cstdint>
#include <deque>
#include <vector>

#include "edge/capture/packet.h"

namespace gridsight::evidence {

class PacketRing {
 public:
  PacketRing(std::int64_t pre_roll_ms, std::uint64_t max_bytes)
      : pre_roll_ms_(pre_roll_ms), max_bytes_(max_bytes) {}

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

  std::int64_t pre_roll_ms_;
  std::uint64_t max_bytes_;
  std::deque<capture::PacketPtr> packets_;
  std::deque<std::uint64_t> keys_;  // absolute positions of keyframes
  std::uint64_t base_ = 0;          // absolute position of packets_.front()
  std::uint64_t bytes_ = 0;
  std::uint64_t evicted_for_bytes_ = 0;
  const capture::StreamInfo* stream_ = nullptr;
};

}  // namespace gridsight::evidence
