#include "edge/status/recent_events.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <iterator>

#include "edge/outbox/outbox.h"
#include "protocol/event.h"

namespace gridsight::edge::status {

RecentEvents::RecentEvents(std::size_t capacity, std::size_t max_snapshot_bytes)
    : capacity_(capacity == 0 ? 1 : capacity), max_snapshot_bytes_(max_snapshot_bytes) {}

namespace {
std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

RecentEvents::~RecentEvents() {
  stop();
}

void RecentEvents::start(Outbox& outbox) {
  outbox_ = &outbox;
  poll(outbox);
  last_poll_ms_ = steady_ms();
  thread_ = std::thread([this] {
    std::unique_lock lock(wake_mu_);
    while (!stopping_) {
      wake_.wait_for(lock, std::chrono::milliseconds(kBurstPollMs));
      if (!dirty_ || stopping_) continue;
      dirty_ = false;
      last_poll_ms_ = steady_ms();
      lock.unlock();
      poll(*outbox_);
      lock.lock();
    }
  });
}

void RecentEvents::stop() {
  {
    std::lock_guard lock(wake_mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RecentEvents::notify() {
  if (!outbox_) return;
  {
    std::lock_guard lock(wake_mu_);
    const std::int64_t now = steady_ms();
    if (stopping_ || now - last_poll_ms_ < kBurstPollMs) {
      dirty_ = true;  // the background reader takes it
      return;
    }
    last_poll_ms_ = now;
  }
  poll(*outbox_);
}

void RecentEvents::poll(Outbox& outbox) {
  std::lock_guard poll_lock(poll_mu_);
  try {
    if (!last_seq_) {
      const auto last = outbox.stats().last_seq;
      last_seq_ = last > capacity_ ? last - capacity_ : 0;
    }
    constexpr std::size_t kBatch = 256;
    while (true) {
      const auto records = outbox.pending_after(*last_seq_, kBatch);
      // Only the last `capacity` of a long batch are kept.
      const std::size_t skip = records.size() > capacity_ ? records.size() - capacity_ : 0;
      for (std::size_t i = skip; i < records.size(); ++i) {
        const auto& r = records[i];
        auto parsed = protocol::decode_event(r.payload);
        if (!parsed) continue;  // the outbox only holds validated events
        const auto& e = *parsed.value;
        RecentEvent re{r.seq,      e.event_id, e.camera_id,  e.type,       e.zone,
                       e.start_ms, e.end_ms,   e.confidence, r.created_ms, {}};
        for (const auto& ref : e.evidence) {
          if (ref.role != "snapshot" || ref.media_type != "image/jpeg") continue;
          if (ref.size > max_snapshot_bytes_ || ref.hash.size() <= 7) continue;
          std::ifstream in(outbox.dir() / "evidence" / ref.hash.substr(7), std::ios::binary);
          if (in) re.snapshot.assign(std::istreambuf_iterator<char>(in), {});
          break;
        }
        std::lock_guard lock(mu_);
        add_locked(std::move(re));
      }
      if (!records.empty()) last_seq_ = records.back().seq;
      if (records.size() < kBatch) break;
    }
  } catch (const std::exception& ex) {
    spdlog::warn("status: cannot read recent events from the outbox: {}", ex.what());
  }
}

void RecentEvents::add(RecentEvent event) {
  std::lock_guard lock(mu_);
  add_locked(std::move(event));
}

void RecentEvents::add_locked(RecentEvent event) {
  events_.push_back(std::move(event));
  while (events_.size() > capacity_) events_.pop_front();
}

std::vector<RecentEvent> RecentEvents::latest(std::size_t limit) const {
  std::lock_guard lock(mu_);
  std::vector<RecentEvent> out;
  for (auto it = events_.rbegin(); it != events_.rend() && out.size() < limit; ++it) {
    out.push_back(*it);
  }
  return out;
}

std::optional<std::string> RecentEvents::snapshot(const std::string& event_id) const {
  std::lock_guard lock(mu_);
  for (const auto& e : events_) {
    if (e.event_id == event_id && !e.snapshot.empty()) return e.snapshot;
  }
  return std::nullopt;
}

}  // namespace gridsight::edge::status
