#include "edge/evidence/ring.h"

namespace gridsight::evidence {

void PacketRing::clear() {
  base_ += packets_.size();
  packets_.clear();
  keys_.clear();
  bytes_ = 0;
}

void PacketRing::pop_front() {
  bytes_ -= packets_.front()->data.size();
  packets_.pop_front();
  ++base_;
  while (!keys_.empty() && keys_.front() < base_) keys_.pop_front();
}

void PacketRing::drop_gop() {
  // Everything before the second keyframe.
  std::uint64_t until = keys_.size() >= 2 ? keys_[1] : base_ + packets_.size();
  while (base_ < until) pop_front();
}

void PacketRing::push(capture::PacketPtr p) {
  if (!p) return;
  if (p->stream.get() != stream_) {
    clear();
    stream_ = p->stream.get();
  }
  if (packets_.empty() && !p->keyframe) return;  // useless without its keyframe
  std::uint64_t pos = base_ + packets_.size();
  if (p->keyframe) keys_.push_back(pos);
  bytes_ += p->data.size();
  std::int64_t newest = p->time_ms;
  packets_.push_back(std::move(p));

  auto time_at = [&](std::uint64_t abs) { return packets_[abs - base_]->time_ms; };
  // Time: the GOP holding `newest - keep` must stay; older GOPs go.
  while (keys_.size() >= 2 && time_at(keys_[1]) <= newest - keep_ms_) drop_gop();
  // Bytes: oldest GOPs go first; a single GOP larger than the bound goes too.
  while (bytes_ > max_bytes_ && !packets_.empty()) {
    ++evicted_for_bytes_;
    drop_gop();
  }
}

std::vector<capture::PacketPtr> PacketRing::since(std::int64_t from_ms) const {
  std::vector<capture::PacketPtr> out;
  if (keys_.empty()) return out;
  std::uint64_t start = keys_.front();
  for (std::uint64_t k : keys_) {
    if (packets_[k - base_]->time_ms <= from_ms) start = k;
  }
  out.assign(packets_.begin() + static_cast<std::ptrdiff_t>(start - base_), packets_.end());
  return out;
}

}  // namespace gridsight::evidence
