#pragma once
// The aggregator's `fleet:` section: where the fleet table lives, when fleet alerts are
// raised, and how long remote commands wait (docs/fleet.md, docs/configuration.md).

#include <cstdint>
#include <string>

namespace gridsight::config {
class Section;
}

namespace gridsight::aggregator::fleet {

struct FleetConfig {
  bool enabled = true;
  std::string database = "fleet.db";           // relative to data_dir
  std::int64_t check_interval_ms = 2'000;      // how often time-based alerts are evaluated
  std::int64_t offline_after_ms = 0;           // box offline this long (last will) -> alert
  std::int64_t silent_after_ms = 300'000;      // online but no telemetry this long -> offline
  std::int64_t camera_down_after_ms = 60'000;  // camera not streaming this long -> alert
  std::uint64_t outbox_pending_max = 10'000;   // pending events at or above -> outbox growing
  std::int64_t outbox_age_max_ms = 600'000;    // oldest unconfirmed event older -> growing
  double disk_full_fraction = 0.90;            // data disk used at or above -> nearly full
  std::int64_t clock_skew_max_ms = 30'000;     // |edge clock - aggregator clock| above -> alert
  bool alert_on_unsynced_clock = true;         // the edge says its clock is not synchronised
  std::int64_t certificate_warning_ms = 30LL * 86'400'000;  // a box's certificate or CA expires
                                                            // within this -> alert
  std::int64_t command_timeout_ms = 10'000;  // remote commands (and rechecks) wait this long
  bool recheck = true;                       // the grid engine rechecks through the edge
  static FleetConfig read(config::Section& s);
};

}  // namespace gridsight::aggregator::fleet
