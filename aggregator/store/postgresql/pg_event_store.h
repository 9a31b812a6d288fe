#pragma once
// EventStore on PostgreSQL (docs/scaling.md). Idempotency by event id is the table's UNIQUE
// constraint, so several instances sharing one database store each event once. Also an
// EventEvidenceIndex.

#include <memory>
#include <string>

#include "aggregator/store/event_evidence.h"
#include "aggregator/store/event_store.h"
#include "aggregator/store/postgresql/connection.h"

namespace gridsight::aggregator {

class PgEventStore final : public EventStore, public EventEvidenceIndex {
 public:
  // Connects and checks the schema is the one this binary knows (pg::require_current_schema).
  PgEventStore(const std::string& dsn, pg::ConnectOptions options = {});
  ~PgEventStore() override;

  void begin() override;
  void commit() override;
  void rollback() override;
  std::int64_t insert_event(const protocol::Event& e, std::string_view payload,
                            std::int64_t received_ms) override;
  void add_dead_letter(const DeadLetter& d) override;
  std::map<std::string, SequenceState> load_sequences() override;
  void save_sequence(const std::string& device_id, const SequenceState& s) override;
  void record_state(const protocol::DeviceState& s, std::string_view raw,
                    std::int64_t received_ms) override;
  void record_telemetry(const std::string& device_id, std::string_view raw, std::int64_t at_ms,
                        std::int64_t received_ms) override;
  std::optional<EvidenceRow> evidence(const std::string& hash) override;
  std::vector<EventEvidence> evidence_of_event(const std::string& event_id) override;
  void put_evidence(const EvidenceRow& row) override;
  std::uint64_t evidence_bytes(const std::string& device_id) override;
  StoreCounts counts() override;

  pg::Connection& connection() { return db_; }

 private:
  pg::Connection db_;
};

}  // namespace gridsight::aggregator
