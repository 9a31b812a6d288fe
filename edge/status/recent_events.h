#pragma once
// The latest events the edge committed, with their snapshots, for the status page. The outbox
// forgets an event once the aggregator confirmed it, so this keeps a small copy: poll() reads
// what was appended since the last call and keeps the last `capacity` events and their JPEG
// snapshots in memory. Thread-safe.
//
// The daemon calls notify() after every append: the first append after a quiet spell is read
// at once (before the aggregator can confirm it), a burst is read by a background thread at
// most every kBurstPollMs.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace gridsight::edge {
class Outbox;
}

namespace gridsight::edge::status {

struct RecentEvent {
  std::uint64_t seq = 0;
  std::string event_id;
  std::string camera_id;
  std::string type;
  std::string zone;
  std::int64_t start_ms = 0;
  std::optional<std::int64_t> end_ms;
  double confidence = 0;
  std::int64_t committed_ms = 0;  // when the outbox took it
  std::string snapshot;           // JPEG bytes; empty when the event has none (or it was too big)
};

class RecentEvents {
 public:
  explicit RecentEvents(std::size_t capacity = 30, std::size_t max_snapshot_bytes = 1 << 20);
  ~RecentEvents();
  RecentEvents(const RecentEvents&) = delete;
  RecentEvents& operator=(const RecentEvents&) = delete;

  static constexpr std::int64_t kBurstPollMs = 250;
  // Reads what the outbox already holds and starts the background reader.
  void start(Outbox& outbox);
  void stop();
  // Something was appended to the outbox given to start().
  void notify();

  // Reads events appended to `outbox` since the previous call (at most `capacity` back).
  // Never throws: a failure is logged and retried on the next call.
  void poll(Outbox& outbox);
  void add(RecentEvent event);
  // Newest first.
  std::vector<RecentEvent> latest(std::size_t limit) const;
  std::optional<std::string> snapshot(const std::string& event_id) const;
  std::size_t capacity() const { return capacity_; }

 private:
  void add_locked(RecentEvent event);
  std::size_t capacity_;
  std::size_t max_snapshot_bytes_;
  mutable std::mutex mu_;
  std::mutex poll_mu_;  // one reader of the outbox at a time
  std::optional<std::uint64_t> last_seq_;
  std::deque<RecentEvent> events_;  // oldest first
  Outbox* outbox_ = nullptr;
  std::mutex wake_mu_;
  std::condition_variable wake_;
  bool dirty_ = false;
  bool stopping_ = false;
  std::int64_t last_poll_ms_ = 0;  // steady clock
  std::thread thread_;
};

}  // namespace gridsight::edge::status
