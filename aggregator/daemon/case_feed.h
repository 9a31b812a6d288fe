#pragma once
// Feeds stored events into the case engine, in arrival order, on the engine's own thread,
// and runs its timers. Reads the event store by a persisted cursor, so events stored before
// a crash still become cases after the restart (the engine ignores events it has seen).

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace gridsight {
class Clock;
namespace sqlite {
class Database;
}
}  // namespace gridsight
namespace gridsight::cases {
class CaseEngine;
}

namespace gridsight::aggregator {

class CaseFeed {
 public:
  CaseFeed(const std::string& event_db_path, cases::CaseEngine& engine, Clock& clock,
           std::int64_t tick_interval_ms);
  ~CaseFeed();
  void start();
  void stop();
  std::uint64_t fed() const { return fed_; }
  // Runs f(engine) serialised with the feed (the engine is single-threaded): API requests,
  // platform status updates.
  template <class F>
  auto with_engine(F&& f) {
    std::lock_guard lock(engine_mu_);
    return f(engine_);
  }
  // Held around every engine call of the feed thread; others calling the engine (the API)
  // hold it too.
  std::mutex& engine_mutex() { return engine_mu_; }

 private:
  void run();
  std::size_t step();

  std::unique_ptr<sqlite::Database> db_;
  cases::CaseEngine& engine_;
  std::mutex engine_mu_;
  Clock& clock_;
  std::int64_t tick_interval_ms_;
  std::int64_t cursor_ = 0;
  std::atomic<std::uint64_t> fed_{0};
  std::atomic<bool> running_{false};
  std::thread thread_;
};

}  // namespace gridsight::aggregator
