#pragma once
// The case engine: edge events and manual reports in; merged, placed, classified, routed
// cases out, through their lifecycle, deadlines and supervision. Single-threaded: in the
// aggregator only the case service (case_service.h) holds it, on its own thread.
//
//   CaseEngine engine(grid, cameras, classes, calendar, store, sink, clock, config);
//   engine.on_events(stored);                // stored edge events, one transaction
//   for (auto& r : engine.tick(now_ms))      // every few seconds: deadlines, self-correction
//     channel.ask(r, ...);                   //   re-checks to send; answers come back as
//   engine.on_recheck(case_id, answer);      //   on_recheck()
//   engine.act(id, command);                 // API: file, reject, dispatch, ...

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "aggregator/cases/case.h"
#include "aggregator/cases/case_sink.h"
#include "aggregator/cases/case_store.h"
#include "aggregator/cases/engine_config.h"
#include "aggregator/cases/event_class.h"
#include "aggregator/cases/event_log.h"
#include "aggregator/cases/indicators.h"
#include "aggregator/cases/lifecycle.h"
#include "aggregator/cases/recheck.h"
#include "aggregator/cases/spot_index.h"
#include "common/clock.h"
#include "protocol/event.h"

namespace gridsight {
class Metrics;
}
namespace gridsight::grid {
class GridModel;
class CameraRegistry;
}  // namespace gridsight::grid

namespace gridsight::cases {

class ClassCatalog;
class WorkingCalendar;

// The history note of Action::kIncidentEnded (docs/cases.md), also the update's report note.
inline constexpr const char* kIncidentEndedNote = "the camera no longer sees it";

// A report from a person: a grid worker's app or the hotline (through the API).
struct ManualReport {
  Source source = Source::kGridWorker;
  std::string external_id;  // unique per source; a repeat is a duplicate
  std::string class_code;
  protocol::GeoPoint location;
  std::optional<std::string> cell_code;  // when the reporter knows the grid
  std::string reporter;
  std::string description;
  std::int64_t at_ms = 0;
};

struct IngestResult {
  // kUpdated: an incident update (protocol 1.1) attached to its incident's case.
  enum class Kind { kNewCase, kMerged, kRecurrence, kDuplicate, kUnmapped, kUnlocated, kUpdated };
  Kind kind = Kind::kNewCase;
  CaseId case_id = 0;  // 0 for kUnmapped / kUnlocated
};
const char* to_string(IngestResult::Kind k);

// A lifecycle request from a person (through the API).
struct Command {
  Action action = Action::kFile;
  std::string actor;
  std::string note;
  std::vector<std::string> departments;      // dispatch (optional: routed otherwise), call-in (2+)
  std::string department;                    // resolve / return: which part
  std::string label;                         // reject: false_alarm, not_our_matter, ...
  std::optional<TimeLimit> extension;        // extend
  std::optional<Satisfaction> satisfaction;  // evaluate
};

class CaseEngine {
 public:
  CaseEngine(const grid::GridModel& grid, const grid::CameraRegistry& cameras,
             const ClassCatalog& classes, const WorkingCalendar& calendar, store::CaseStore& store,
             CaseSink& sink, const Clock& clock, EngineConfig config = {},
             Metrics* metrics = nullptr);
  ~CaseEngine();
  CaseEngine(const CaseEngine&) = delete;
  CaseEngine& operator=(const CaseEngine&) = delete;

  // An update (event.is_update()) goes to on_update.
  IngestResult on_event(const protocol::Event& event, std::int64_t received_ms);
  // Several stored events (each with its own received time) in one store transaction, which
  // also moves the event cursor to the last one's row (when rows are set). On an exception
  // nothing of the batch is kept and the memory state is reloaded from the store.
  std::vector<IngestResult> on_events(const std::vector<StoredEvent>& events);
  // An incident update from the camera that reported it (protocol 1.1), for the case of the
  // incident's first event; never opens a case. "ended" records kIncidentEnded ("the camera
  // no longer sees it", with the closing snapshot's hash) and, for a class with
  // camera_end: verify, verifies the case once it is resolved. kUnmapped when no case holds
  // the incident.
  IngestResult on_update(const protocol::Event& update, std::int64_t received_ms);
  // Throws CaseError(kInvalidArgument) for an unknown class or a location in no cell.
  IngestResult report(const ManualReport& report);

  // Reminders and supervision rounds due at `now_ms`; returns the self-correction re-checks
  // now due (each asked once; its answer comes back through on_recheck()).
  std::vector<RecheckRequest> tick(std::int64_t now_ms);
  // The answer to a re-check tick() asked for ("unavailable" on timeout or an offline box):
  // ends the case's self-correction period. Ignored when the case no longer waits for it.
  void on_recheck(CaseId id, RecheckAnswer answer, std::int64_t now_ms);
  std::size_t rechecks_in_flight() const { return asked_.size(); }

  // Applies a person's command at the clock's time. Throws CaseError; on error nothing
  // changed. Returns the case after the command.
  Case act(CaseId id, const Command& command);
  // The request for a fresh look from the source camera (verification may send it); nullopt
  // for cases no camera reported.
  std::optional<RecheckRequest> look_again(CaseId id);

  std::optional<Case> get(CaseId id);
  store::CasePage list(const store::CaseQuery& query);
  std::vector<IndicatorRow> indicators(const IndicatorQuery& query, const IndicatorConfig& config);
  std::size_t active_count() const { return active_.size(); }

 private:
  struct Pending;
  IngestResult ingest(Report report, const EventClass& cls, const std::string& cell_code,
                      const std::string& spot, std::optional<double> lon, std::optional<double> lat,
                      std::int64_t at_ms, std::int64_t now_ms, const protocol::Event* event,
                      bool human);
  void transition(Case& c, Pending& p, Action action, const std::string& actor, std::int64_t at_ms,
                  const std::string& note, std::optional<State> to_override = {});
  void file_and_route(Case& c, Pending& p, const std::string& actor, std::int64_t now_ms,
                      const std::string& note = {});
  void dispatch(Case& c, Pending& p, Action action, std::vector<std::string> departments,
                const std::string& actor, std::int64_t now_ms, const std::string& note);
  void arm_deadline(Case& c, std::int64_t from_ms, std::int64_t limit_minutes);
  void commit(Case& c, Pending& p, bool is_new);
  CaseOutput snapshot(const Case& c, OutputKind kind, std::int64_t at_ms) const;
  Case load(CaseId id);
  void check_self_correction(Case& c, Pending& p, std::int64_t now_ms, RecheckAnswer a);
  void check_deadline(Case& c, Pending& p, std::int64_t now_ms);
  // A resolved case whose camera said, since its dispatch, that the incident ended is
  // verified (class camera_end: verify).
  void verify_by_camera(Case& c, Pending& p, std::int64_t now_ms);
  void reload();  // memory state from the store

  const grid::GridModel& grid_;
  const grid::CameraRegistry& cameras_;
  const ClassCatalog& classes_;
  const WorkingCalendar& calendar_;
  store::CaseStore& store_;
  CaseSink& sink_;
  const Clock& clock_;
  EngineConfig config_;
  Metrics* metrics_;
  std::unordered_map<CaseId, Case> active_;  // open cases (not terminal, not closed)
  SpotIndex spots_;
  std::set<CaseId> asked_;  // self-correction re-checks waiting for their answer
  bool batching_ = false;   // inside on_events: outputs wait for the commit
  std::vector<CaseOutput> deferred_;
};

}  // namespace gridsight::cases
