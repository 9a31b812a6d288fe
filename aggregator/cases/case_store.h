#pragma once
// Where cases live: the cases domain's port. The engine and the case service talk only to
// this interface (aggregator/store/sqlite/ implements it; a PostgreSQL one can follow).
// Saving a case, its new transitions and reports, the outputs they caused and the event
// cursor is one atomic step (begin_batch .. commit_batch groups several).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "aggregator/cases/case.h"
#include "aggregator/cases/case_sink.h"

namespace gridsight::store {

// Filters for listing (all optional) with keyset pagination: newest first, `before_id`
// is the last id of the previous page.
struct CaseQuery {
  std::optional<cases::State> state;
  std::optional<std::string> class_code;
  std::optional<std::string> cell_prefix;  // the cell and its subtree
  std::optional<std::string> department;
  std::optional<cases::Source> source;
  std::optional<std::string> camera_id;
  std::optional<std::int64_t> reported_from_ms;  // inclusive
  std::optional<std::int64_t> reported_to_ms;    // exclusive
  std::optional<cases::CaseId> before_id;
  // Overdue at this time: dispatched with a due time before it.
  std::optional<std::int64_t> overdue_at_ms;
  bool open_only = false;  // open states only (not terminal, not closed): cases::is_open
  // kNewest: id descending, paged by before_id. kDeadline: the nearest due time first (cases
  // without one last), then id ascending, paged by after_deadline.
  enum class Order { kNewest, kDeadline };
  Order order = Order::kNewest;
  std::optional<std::pair<std::int64_t, cases::CaseId>> after_deadline;  // (due key, id)
  int limit = 50;
};

struct CasePage {
  std::vector<cases::Case> cases;               // without history and reports (see get())
  std::optional<cases::CaseId> next_before_id;  // set when more may follow (kNewest)
  std::optional<std::pair<std::int64_t, cases::CaseId>> next_after_deadline;  // (kDeadline)
};

// Open cases of one cell (map aggregation).
struct CellCount {
  std::string cell_code;
  std::int64_t open = 0;
  std::int64_t overdue = 0;  // dispatched, past the due time
};

// A stored event the engine failed on `attempts` times while the store itself worked (a
// poison event): kept with the error and skipped, so later events keep flowing.
struct DeadEvent {
  std::int64_t id = 0;   // assigned by the store
  std::int64_t row = 0;  // the event's row in the event store
  std::string event_id;
  std::string device_id;
  std::string type;
  std::string error;
  int attempts = 0;
  std::int64_t at_ms = 0;
};

// Totals for monitoring.
struct CaseCounts {
  std::map<cases::State, std::uint64_t> by_state;  // states with at least one case
  std::uint64_t overdue = 0;                       // dispatched and past their due time
  std::uint64_t dead_events = 0;
};

// What a save adds: history[history_from..] and reports[reports_from..] are new.
struct CaseDelta {
  std::size_t history_from = 0;
  std::size_t reports_from = 0;
  bool departments_changed = true;  // false: the store may skip rewriting them
};

class CaseStore {
 public:
  virtual ~CaseStore() = default;

  // Inserts a new case (id 0) and assigns c.id; stores its reports, history and outputs.
  virtual void create(cases::Case& c, const std::vector<cases::CaseOutput>& outputs) = 0;
  // Updates an existing case, appending the delta and the outputs.
  virtual void save(const cases::Case& c, const CaseDelta& delta,
                    const std::vector<cases::CaseOutput>& outputs) = 0;

  // With history and reports.
  virtual std::optional<cases::Case> get(cases::CaseId id) = 0;
  virtual std::optional<cases::CaseId> case_of_event(const std::string& event_id) = 0;
  // Every case not terminal (closed ones included, they wait for evaluation), with history
  // and reports; the engine loads them on start.
  virtual std::vector<cases::Case> active_cases() = 0;
  virtual CasePage list(const CaseQuery& query) = 0;
  // How many cases match the query's filters (its cursor and limit are ignored).
  virtual std::int64_t count(const CaseQuery& query) = 0;
  // Open cases per cell, with how many are overdue at `now_ms`; only cases with a part for
  // `department` when it is set.
  virtual std::vector<CellCount> open_by_cell(std::int64_t now_ms,
                                              const std::optional<std::string>& department) = 0;
  // Cases reported in [from, to) or filed/closed before `to`, under `cell_prefix`, for
  // indicators (without history and reports).
  virtual std::vector<cases::Case> for_indicators(std::int64_t from_ms, std::int64_t to_ms,
                                                  const std::string& cell_prefix) = 0;
  virtual std::vector<cases::CaseOutput> outputs_of(cases::CaseId id) = 0;

  // The event store row of the last event the engine took (0: none yet). Written in the
  // same transaction as the cases it made, so a restart replays exactly what was not taken.
  virtual std::int64_t event_cursor() = 0;
  virtual void set_event_cursor(std::int64_t row) = 0;

  // Poison events, newest first (keyset: before_id is the last id of the previous page).
  virtual void add_dead_event(const DeadEvent& d) = 0;
  virtual std::vector<DeadEvent> dead_events(std::optional<std::int64_t> before_id, int limit) = 0;
  virtual std::uint64_t dead_event_count() = 0;

  virtual CaseCounts counts(std::int64_t now_ms) = 0;

  // Groups writes into one transaction (the engine batches on_events()).
  virtual void begin_batch() = 0;
  virtual void commit_batch() = 0;
  virtual void rollback_batch() = 0;
};

}  // namespace gridsight::store
