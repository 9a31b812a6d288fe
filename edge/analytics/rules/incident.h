#pragma once
// What the rule engine reports: one incident (one event) per condition episode, with records
// when it opens, (optionally) while it lasts, and when it closes.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "protocol/event.h"

namespace gridsight::analytics {

enum class Phase { kOpened, kUpdated, kClosed };
const char* to_string(Phase phase);

// Who handles it: the grid (city management) or the fleet (camera maintenance).
enum class Route { kGrid, kFleet };

struct Incident {
  std::uint64_t id = 0;  // per camera analytics instance, increasing; same for all phases
  Phase phase = Phase::kOpened;
  Route route = Route::kGrid;
  std::string rule_id;
  std::string type;           // edge event type, e.g. "zone.intrusion", "camera.tamper.covered"
  std::string zone;           // zone id, line id, or empty
  std::int64_t start_ms = 0;  // stream time (camera timeline, UTC ms)
  std::optional<std::int64_t> end_ms;  // set on kClosed, and on kOpened for instant events
  double confidence = 0;
  std::vector<protocol::Box> boxes;
  std::optional<protocol::GeoPoint> location;
  std::map<std::string, std::string> attributes;
};

// The event the lead drafts for the outbox from an incident's kOpened record
// (edge::Draft{to_event(...), evidence}); device_id, event_id and seq are the outbox's.
protocol::Event to_event(const Incident& incident, const std::string& camera_id, bool clock_synced);

}  // namespace gridsight::analytics
