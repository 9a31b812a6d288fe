#pragma once
// The case store on SQLite (WAL, synchronous=FULL through common/sqlite): cases with
// indexed columns for filtering, their reports (event ids unique: a redelivered event is
// recognised), the transition history and every output; also the live feed's CaseOutputLog
// (the outputs read back in order).

#include <memory>
#include <string>

#include "aggregator/cases/case_output_log.h"
#include "aggregator/cases/case_store.h"

namespace gridsight::sqlite {
class Database;
}

namespace gridsight::store {

class SqliteCaseStore final : public CaseStore, public cases::CaseOutputLog {
 public:
  explicit SqliteCaseStore(const std::string& path);
  ~SqliteCaseStore() override;

  void create(cases::Case& c, const std::vector<cases::CaseOutput>& outputs) override;
  void save(const cases::Case& c, const CaseDelta& delta,
            const std::vector<cases::CaseOutput>& outputs) override;
  std::optional<cases::Case> get(cases::CaseId id) override;
  std::optional<cases::CaseId> case_of_event(const std::string& event_id) override;
  std::vector<cases::Case> active_cases() override;
  CasePage list(const CaseQuery& query) override;
  std::int64_t count(const CaseQuery& query) override;
  std::vector<CellCount> open_by_cell(std::int64_t now_ms,
                                      const std::optional<std::string>& department) override;
  std::vector<cases::Case> for_indicators(std::int64_t from_ms, std::int64_t to_ms,
                                          const std::string& cell_prefix) override;
  std::vector<cases::CaseOutput> outputs_of(cases::CaseId id) override;
  std::int64_t last_output_id() override;
  std::vector<cases::StoredOutput> outputs_between(std::int64_t after, std::int64_t up_to,
                                                   std::size_t limit) override;
  std::int64_t event_cursor() override;
  void set_event_cursor(std::int64_t row) override;
  void add_dead_event(const DeadEvent& d) override;
  std::vector<DeadEvent> dead_events(std::optional<std::int64_t> before_id, int limit) override;
  std::uint64_t dead_event_count() override;
  CaseCounts counts(std::int64_t now_ms) override;
  void begin_batch() override;
  void commit_batch() override;
  void rollback_batch() override;

  sqlite::Database& database();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gridsight::store
