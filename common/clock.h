#pragma once
// Time as a dependency: components take a Clock& so tests can move time by hand.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace gridsight {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock UTC milliseconds since the epoch.
  virtual std::int64_t now_ms() const = 0;
  // Monotonic milliseconds, for timeouts.
  virtual std::int64_t steady_ms() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::int64_t now_ms() const override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }
  std::int64_t steady_ms() const override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
  }
  static SystemClock& instance() {
    static SystemClock c;
    return c;
  }
};

// A clock that only moves when told to.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t start_ms = 1'700'000'000'000) : now_(start_ms) {}
  std::int64_t now_ms() const override { return now_.load(); }
  std::int64_t steady_ms() const override { return now_.load(); }
  void set(std::int64_t ms) { now_.store(ms); }
  void advance(std::int64_t ms) { now_.fetch_add(ms); }

 private:
  std::atomic<std::int64_t> now_;
};

// Whether the system clock is synchronised (NTP/PTP), as the kernel reports it (adjtimex).
bool system_clock_synchronised();

}  // namespace gridsight
