#include "edge/analytics/detectors/shared/channel.h"

namespace gridsight::analytics {

ChannelSpec rule_channel(const Rule& rule, const Zone* zone, const DetectorSetup& setup,
                         std::string box_label) {
  ChannelSpec spec;
  spec.rule_id = rule.id;
  spec.type = rule.type;
  spec.zone = zone ? zone->id : "";
  spec.box_label = std::move(box_label);
  spec.min_duration_ms = rule.min_duration_ms;
  spec.end_hold_ms = rule.end_hold_ms;
  spec.cooldown_ms = rule.cooldown_ms;
  spec.update_interval_ms = rule.update_interval_ms;
  spec.min_confidence = rule.min_confidence;
  if (zone) spec.location = zone->location;
  if (!rule.schedule.empty()) spec.schedule = *setup.config->schedule(rule.schedule);
  spec.utc_offset_min = setup.config->utc_offset_min;
  return spec;
}

}  // namespace gridsight::analytics
