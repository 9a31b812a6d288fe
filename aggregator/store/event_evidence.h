#pragma once
// The evidence index: which evidence a stored event refers to, as the event declared it.
// The port the API reads an event's evidence through; the event store implementations
// implement it next to EventStore (it reads what EventStore::insert_event wrote).

#include <cstdint>
#include <string>
#include <vector>

namespace gridsight::aggregator {

struct EventEvidence {
  std::string role;  // "snapshot", "clip"
  std::string media_type;
  std::uint64_t size = 0;
  std::string hash;
  bool operator==(const EventEvidence&) const = default;
};

class EventEvidenceIndex {
 public:
  virtual ~EventEvidenceIndex() = default;
  // The event's references ordered by role; none for an event not stored.
  virtual std::vector<EventEvidence> evidence_of_event(const std::string& event_id) = 0;
};

}  // namespace gridsight::aggregator
