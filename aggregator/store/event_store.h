#pragma once
// Where the aggregator keeps what the edges sent: events (idempotent by event id), dead
// letters, per-device sequence state, device state and telemetry, evidence objects.
// One interface, implementations in subfolders (sqlite/ today; a PostgreSQL one can follow).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/event.h"
#include "protocol/messages.h"

namespace gridsight::aggregator {

struct DeadLetter {
  std::string device_id;  // from the topic ("" if the topic itself was not ours)
  std::string topic;
  std::string code;  // protocol::ErrorCode name, e.g. "invalid_json", "device_mismatch"
  std::string field;
  std::string reason;
  std::string event_id;  // if it could be read
  std::int64_t received_ms = 0;
  std::string payload;  // the first bytes of what arrived
};

// A range of sequence numbers not (yet) received from a device.
struct SeqGap {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  bool evicted = false;  // announced as evicted by the edge: will never arrive
  bool operator==(const SeqGap&) const = default;
};

struct SequenceState {
  std::uint64_t next_expected = 1;
  std::vector<SeqGap> gaps;   // sorted by first, disjoint
  std::uint64_t replays = 0;  // sequence numbers seen again under a new event id
  bool operator==(const SequenceState&) const = default;
};

struct EvidenceRow {
  std::string hash;
  std::string device_id;
  std::string event_id;
  std::string media_type;
  std::uint64_t size = 0;
  std::uint64_t received = 0;
  bool complete = false;
  int hash_failures = 0;
  std::int64_t updated_ms = 0;
};

struct StoreCounts {
  std::uint64_t events = 0;
  std::uint64_t dead_letters = 0;
  std::uint64_t devices = 0;
  std::uint64_t evidence_complete = 0;
};

class EventStore {
 public:
  virtual ~EventStore() = default;

  // A unit of work: everything between begin() and commit() is atomic, and durable once
  // commit() returns. Acknowledgements are sent only after commit().
  virtual void begin() = 0;
  virtual void commit() = 0;
  virtual void rollback() = 0;

  // Returns the event's row (increasing in arrival order), or 0 if an event with this id is
  // already stored (nothing changes).
  virtual std::int64_t insert_event(const protocol::Event& e, std::string_view payload,
                                    std::int64_t received_ms) = 0;
  virtual void add_dead_letter(const DeadLetter& d) = 0;

  virtual std::map<std::string, SequenceState> load_sequences() = 0;
  virtual void save_sequence(const std::string& device_id, const SequenceState& s) = 0;

  virtual void record_state(const protocol::DeviceState& s, std::string_view raw,
                            std::int64_t received_ms) = 0;
  virtual void record_telemetry(const std::string& device_id, std::string_view raw,
                                std::int64_t at_ms, std::int64_t received_ms) = 0;

  virtual std::optional<EvidenceRow> evidence(const std::string& hash) = 0;
  virtual void put_evidence(const EvidenceRow& row) = 0;
  virtual std::uint64_t evidence_bytes(const std::string& device_id) = 0;

  virtual StoreCounts counts() = 0;
};

}  // namespace gridsight::aggregator
