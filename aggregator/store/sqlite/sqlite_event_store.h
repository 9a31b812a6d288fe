#pragma once
// EventStore on one SQLite file (WAL, synchronous=FULL); also the case service's EventLog
// (events read back after a restart) and the API's EventEvidenceIndex.

#include <memory>
#include <string>

#include "aggregator/cases/event_log.h"
#include "aggregator/store/event_evidence.h"
#include "aggregator/store/event_store.h"

namespace gridsight::sqlite {
class Database;
class Statement;
}  // namespace gridsight::sqlite

namespace gridsight::aggregator {

class SqliteEventStore final : public EventStore,
                               public cases::EventLog,
                               public EventEvidenceIndex {
 public:
  explicit SqliteEventStore(const std::string& path);
  ~SqliteEventStore() override;

  void begin() override;
  void commit() override;
  void rollback() override;
  std::int64_t insert_event(const protocol::Event& e, std::string_view payload,
                            std::int64_t received_ms) override;
  std::vector<cases::StoredEvent> events_after(std::int64_t after, std::size_t limit) override;
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

  sqlite::Database& database();

 private:
  struct Statements;
  std::unique_ptr<sqlite::Database> db_;
  std::unique_ptr<Statements> st_;
};

}  // namespace gridsight::aggregator
