#include "common/service/notify.h"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <chrono>

namespace gridsight::service {

namespace {
std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

Notifier::Notifier() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0) watchdog_us_ = static_cast<std::int64_t>(usec);
}

Notifier::~Notifier() {
  stop_watchdog();
}

void Notifier::send(const std::string& text) {
  const int rc = sd_notify(0, text.c_str());
  if (rc < 0) spdlog::warn("service: sd_notify failed ({})", rc);
}

void Notifier::ready(const std::string& status) {
  send("READY=1\nSTATUS=" + status);
}

void Notifier::status(const std::string& status) {
  send("STATUS=" + status);
}

void Notifier::reloading() {
  send("RELOADING=1");
}

void Notifier::stopping() {
  send("STOPPING=1\nSTATUS=stopping");
}

void Notifier::start_watchdog(std::function<bool()> alive) {
  if (watchdog_us_ <= 0) return;
  std::lock_guard lock(mu_);
  if (running_) return;
  running_ = true;
  alive_ = std::move(alive);
  const auto period = std::chrono::microseconds(watchdog_us_ / 2);
  spdlog::info("service: watchdog every {} ms", watchdog_us_ / 2000);
  thread_ = std::thread([this, period] {
    std::unique_lock wait_lock(mu_);
    while (running_) {
      wait_lock.unlock();
      if (alive_()) {
        send("WATCHDOG=1");
        ++pings_;
      } else {
        spdlog::error("service: a main loop is stuck: watchdog ping withheld");
      }
      wait_lock.lock();
      cv_.wait_for(wait_lock, period, [&] { return !running_; });
    }
  });
}

void Notifier::stop_watchdog() {
  {
    std::lock_guard lock(mu_);
    if (!running_) return;
    running_ = false;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void Heartbeat::beat() {
  last_ms_ = steady_ms();
}

bool Heartbeat::recent(std::int64_t max_age_ms) const {
  return steady_ms() - last_ms_.load() <= max_age_ms;
}

}  // namespace gridsight::service
