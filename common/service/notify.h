#pragma once
// systemd service integration (Type=notify): READY=1 once the daemon serves, STATUS= lines,
// STOPPING=1 on shutdown, and WATCHDOG=1 at half of WATCHDOG_USEC from a thread that pings
// only while the daemon's loops prove alive. Without NOTIFY_SOCKET (not under systemd)
// every call is a no-op.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace gridsight::service {

class Notifier {
 public:
  Notifier();
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  void ready(const std::string& status);
  void status(const std::string& status);
  void reloading();
  void stopping();

  // The watchdog interval systemd asked for (WATCHDOG_USEC for this process), 0 if none.
  std::int64_t watchdog_interval_us() const { return watchdog_us_; }
  // Pings WATCHDOG=1 every interval/2 while `alive()` returns true; a false answer skips the
  // ping (systemd then restarts a hung daemon). No thread without a watchdog.
  void start_watchdog(std::function<bool()> alive);
  void stop_watchdog();
  std::uint64_t watchdog_pings() const { return pings_; }

 private:
  void send(const std::string& text);
  std::int64_t watchdog_us_ = 0;
  std::function<bool()> alive_;
  std::atomic<std::uint64_t> pings_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool running_ = false;
  std::thread thread_;
};

// Liveness of a loop: the loop beats, the watchdog asks whether it beat recently.
class Heartbeat {
 public:
  void beat();
  // True if beat() was called within `max_age_ms` (steady clock).
  bool recent(std::int64_t max_age_ms) const;

 private:
  std::atomic<std::int64_t> last_ms_{0};
};

}  // namespace gridsight::service
