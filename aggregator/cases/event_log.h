#pragma once
// The engine's input as stored by ingest: each event with its row in the event store (the
// order of arrival, the case service's cursor) and its own received time. Ingest pushes them
// to the case service as it commits them; after a restart the case service reads those past
// its persisted cursor back through EventLog (the event store implements it).

#include <cstdint>
#include <vector>

#include "protocol/event.h"

namespace gridsight::cases {

struct StoredEvent {
  std::int64_t row = 0;  // the event store's id: increasing in arrival order
  protocol::Event event;
  std::int64_t received_ms = 0;  // the aggregator's receive time of this event
};

class EventLog {
 public:
  virtual ~EventLog() = default;
  // Up to `limit` stored events with row > `after`, in row order.
  virtual std::vector<StoredEvent> events_after(std::int64_t after, std::size_t limit) = 0;
};

}  // namespace gridsight::cases
