#pragma once
// Per-device limits at the ingest's entry: each device's events per second and evidence
// bytes per second, as token buckets. A message beyond its device's budget is refused before
// it is parsed or queued, so one flooding box cannot slow the others; it is not acknowledged
// and the box keeps it and sends it again later (nothing is lost).

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace gridsight::config {
class Section;
}

namespace gridsight::aggregator {

struct DeviceLimitsConfig {
  double events_per_second = 1000;                     // 0: unlimited
  double event_burst = 20'000;                         // events
  std::uint64_t evidence_bytes_per_second = 16 << 20;  // 0: unlimited
  std::uint64_t evidence_burst_bytes = 64 << 20;
  static DeviceLimitsConfig read(config::Section& s);
};

class DeviceLimiter {
 public:
  enum class Kind { kEvents, kEvidence };
  explicit DeviceLimiter(DeviceLimitsConfig config) : config_(config) {}

  struct Admission {
    bool ok = true;       // false: over its limit, refuse the message
    bool report = false;  // the first refusal of this device in a minute: log it
  };
  // Takes `amount` (1 event, or an evidence chunk's bytes) from `device`'s budget at
  // `now_ms` (steady clock). Thread-safe.
  Admission admit(const std::string& device, Kind kind, double amount, std::int64_t now_ms);

 private:
  struct Bucket {
    double tokens = -1;  // < 0: not used yet (starts full)
    std::int64_t at_ms = 0;
  };
  struct Device {
    Bucket events, evidence;
    std::int64_t reported_ms = -1;
  };
  bool take(Bucket& b, double rate, double burst, double amount, std::int64_t now_ms);

  DeviceLimitsConfig config_;
  std::mutex mu_;
  std::unordered_map<std::string, Device> devices_;
};

}  // namespace gridsight::aggregator
