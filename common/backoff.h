#pragma once
// Exponential backoff with full jitter, for every reconnect loop (uplink, cameras, connector).

#include <algorithm>
#include <cstdint>
#include <random>

namespace gridsight {

struct BackoffPolicy {
  std::int64_t initial_ms = 500;
  std::int64_t max_ms = 30'000;
  double multiplier = 2.0;
  double jitter = 0.5;  // the delay is drawn from [d * (1 - jitter), d]
};

class Backoff {
 public:
  explicit Backoff(BackoffPolicy policy = {}, std::uint64_t seed = std::random_device{}())
      : policy_(policy), rng_(seed), ceiling_ms_(static_cast<double>(policy.initial_ms)) {}

  // The delay before the next attempt; grows with each failure up to max_ms.
  std::int64_t next_delay_ms() {
    double d = std::min(ceiling_ms_, static_cast<double>(policy_.max_ms));
    ceiling_ms_ = std::min(ceiling_ms_ * policy_.multiplier, static_cast<double>(policy_.max_ms));
    ++attempts_;
    std::uniform_real_distribution<double> u(d * (1.0 - policy_.jitter), d);
    return static_cast<std::int64_t>(u(rng_));
  }

  // After a success: the next failure starts from the initial delay again.
  void reset() {
    ceiling_ms_ = static_cast<double>(policy_.initial_ms);
    attempts_ = 0;
  }

  int attempts() const { return attempts_; }

 private:
  BackoffPolicy policy_;
  std::mt19937_64 rng_;
  double ceiling_ms_;
  int attempts_ = 0;
};

}  // namespace gridsight
