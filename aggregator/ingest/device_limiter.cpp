#include "aggregator/ingest/device_limiter.h"

#include <algorithm>

#include "common/config/section.h"

namespace gridsight::aggregator {

DeviceLimitsConfig DeviceLimitsConfig::read(config::Section& s) {
  DeviceLimitsConfig c;
  c.events_per_second = s.number("events_per_second", c.events_per_second, 0, 1e6);
  c.event_burst = s.number("event_burst", c.event_burst, 1, 1e7);
  c.evidence_bytes_per_second =
      s.bytes("evidence_bytes_per_second", c.evidence_bytes_per_second, 0, 1ULL << 34);
  c.evidence_burst_bytes = s.bytes("evidence_burst", c.evidence_burst_bytes, 256 << 10, 1ULL << 36);
  s.finish();
  return c;
}

bool DeviceLimiter::take(Bucket& b, double rate, double burst, double amount, std::int64_t now_ms) {
  if (rate <= 0) return true;  // unlimited
  if (b.tokens < 0) {
    b.tokens = burst;
    b.at_ms = now_ms;
  }
  b.tokens = std::min(burst, b.tokens + rate * static_cast<double>(now_ms - b.at_ms) / 1000.0);
  b.at_ms = now_ms;
  if (b.tokens < amount) return false;
  b.tokens -= amount;
  return true;
}

DeviceLimiter::Admission DeviceLimiter::admit(const std::string& device, Kind kind, double amount,
                                              std::int64_t now_ms) {
  std::lock_guard lock(mu_);
  // Device ids come from topics the broker's ACL granted: one entry per provisioned box.
  Device& d = devices_[device];
  Admission a;
  a.ok = kind == Kind::kEvents
             ? take(d.events, config_.events_per_second, config_.event_burst, amount, now_ms)
             : take(d.evidence, static_cast<double>(config_.evidence_bytes_per_second),
                    static_cast<double>(config_.evidence_burst_bytes), amount, now_ms);
  if (!a.ok && (d.reported_ms < 0 || now_ms - d.reported_ms >= 60'000)) {
    d.reported_ms = now_ms;
    a.report = true;
  }
  return a;
}

}  // namespace gridsight::aggregator
