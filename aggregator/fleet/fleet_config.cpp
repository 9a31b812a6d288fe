#include "aggregator/fleet/fleet_config.h"

#include "common/config/section.h"

namespace gridsight::aggregator::fleet {

FleetConfig FleetConfig::read(config::Section& s) {
  constexpr std::int64_t kDay = 86'400'000;
  FleetConfig c;
  c.enabled = s.boolean("enabled", c.enabled);
  c.database = s.string("database", c.database);
  if (c.database.empty()) s.fail("database", "must not be empty");
  c.check_interval_ms = s.duration_ms("check_interval", c.check_interval_ms, 100, 600'000);
  c.offline_after_ms = s.duration_ms("offline_after", c.offline_after_ms, 0, kDay);
  c.silent_after_ms = s.duration_ms("silent_after", c.silent_after_ms, 1'000, kDay);
  c.camera_down_after_ms = s.duration_ms("camera_down_after", c.camera_down_after_ms, 0, kDay);
  c.outbox_pending_max = static_cast<std::uint64_t>(s.integer(
      "outbox_pending_max", static_cast<std::int64_t>(c.outbox_pending_max), 1, 1'000'000'000));
  c.outbox_age_max_ms = s.duration_ms("outbox_age_max", c.outbox_age_max_ms, 1'000, 30 * kDay);
  c.disk_full_fraction = s.number("disk_full_fraction", c.disk_full_fraction, 0.01, 1.0);
  c.clock_skew_max_ms = s.duration_ms("clock_skew_max", c.clock_skew_max_ms, 100, kDay);
  c.alert_on_unsynced_clock = s.boolean("alert_on_unsynced_clock", c.alert_on_unsynced_clock);
  c.certificate_warning_ms =
      s.duration_ms("certificate_warning", c.certificate_warning_ms, kDay, 365 * kDay);
  c.command_timeout_ms = s.duration_ms("command_timeout", c.command_timeout_ms, 100, 600'000);
  c.recheck = s.boolean("recheck", c.recheck);
  s.finish();
  return c;
}

}  // namespace gridsight::aggregator::fleet
