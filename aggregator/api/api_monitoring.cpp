// GET /metrics (Prometheus text) and GET /api/v1/dead-letters: what a monitoring system and
// an operator need to see the service's health (docs/api.md).

#include "aggregator/api/api_internal.h"
#include "aggregator/fleet/fleet_view.h"
#include "common/metrics.h"

namespace gridsight::api {

std::string metrics_page(Metrics& metrics, store::CaseStore* cases, std::int64_t now_ms,
                         std::size_t feed_clients, const aggregator::fleet::FleetView* fleet) {
  metrics.gauge("gridsight_feed_clients", "Live feed (SSE) subscribers")
      .set(static_cast<double>(feed_clients));
  if (cases) {
    const store::CaseCounts c = cases->counts(now_ms);
    for (int i = 0; i < cases::kStateCount; ++i) {
      const auto st = static_cast<cases::State>(i);
      const auto it = c.by_state.find(st);
      metrics.gauge("gridsight_cases", "Cases by state", {{"state", cases::to_string(st)}})
          .set(it == c.by_state.end() ? 0.0 : static_cast<double>(it->second));
    }
    metrics.gauge("gridsight_cases_overdue", "Dispatched cases past their due time")
        .set(static_cast<double>(c.overdue));
    metrics.gauge("gridsight_case_dead_events", "Poison events dead-lettered (all time)")
        .set(static_cast<double>(c.dead_events));
  }
  if (fleet) {
    std::size_t online = 0, known = 0;
    for (const auto& d : fleet->devices()) {
      ++known;
      if (d.online) ++online;
    }
    metrics.gauge("gridsight_fleet_boxes_online", "Edge boxes online")
        .set(static_cast<double>(online));
    metrics.gauge("gridsight_fleet_boxes", "Edge boxes known").set(static_cast<double>(known));
  }
  return metrics.prometheus();
}

json dead_events_json(store::CaseStore& cases, std::optional<std::int64_t> before_id, int limit) {
  json items = json::array();
  const auto rows = cases.dead_events(before_id, limit + 1);
  for (std::size_t i = 0; i < rows.size() && static_cast<int>(i) < limit; ++i) {
    const auto& d = rows[i];
    items.push_back({{"id", d.id},
                     {"row", d.row},
                     {"event_id", d.event_id},
                     {"device_id", d.device_id},
                     {"type", d.type},
                     {"error", d.error},
                     {"attempts", d.attempts},
                     {"at_ms", d.at_ms}});
  }
  json out = {{"items", items}, {"total", cases.dead_event_count()}};
  if (static_cast<int>(rows.size()) > limit) out["next_before"] = rows[limit - 1].id;
  return out;
}

}  // namespace gridsight::api
