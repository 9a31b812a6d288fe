#pragma once
// The case engine: edge events and manual reports in; merged, placed, classified, routed
// cases out, through their lifecycle, deadlines and supervision. Single-threaded: the caller
// serialises calls (the aggregator runs it on one strand).
//
// Wiring (aggregator):
//   CaseEngine engine(grid, cameras, classes, calendar, store, sink, recheck, clock, config);
//   engine.on_event(event, received_ms);   // for each stored edge event
//   engine.tick(clock.now_ms());            // every few seconds: self-correction, deadlines
//   engine.act(id, command);                // API: file, reject, dispatch, ...

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "aggregator/cases/case.h"
#include "aggregator/cases/case_sink.h"
#include "aggregator/cases/engine_config.h"
#include "aggregator/cases/event_class.h"
#include "aggregator/cases/indicators.h"
#include "aggregator/cases/lifecycle.h"
#include "aggregator/cases/recheck.h"
#include "aggregator/cases/spot_index.h"
#include "aggregator/store/case_store.h"
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
             CaseSink& sink, RecheckChannel& recheck, const Clock& clock, EngineConfig config = {},
             Metrics* metrics = nullptr);
  ~CaseEngine();
  CaseEngine(const CaseEngine&) = delete;
  CaseEngine& operator=(const CaseEngine&) = delete;

  // An update (event.is_update()) goes to on_update.
  IngestResult on_event(const protocol::Event& event, std::int64_t received_ms);
  // An incident update from the camera that reported it (protocol 1.1), for the case of the
  // incident's first event; never opens a case. "ended" records kIncidentEnded ("the camera
  // no longer sees it", with the closing snapshot's hash) and, for a class with
  // camera_end: verify, verifies the case once it is resolved. kUnmapped when no case holds
  // the incident.
  IngestResult on_update(const protocol::Event& update, std::int64_t received_ms);
  // Several events in one store transaction.
  std::vector<IngestResult> on_events(const std::vector<protocol::Event>& events,
                                      std::int64_t received_ms);
  // Throws CaseError(kInvalidArgument) for an unknown class or a location in no cell.
  IngestResult report(const ManualReport& report);

  // Self-correction re-checks, reminders, supervision rounds due at `now_ms`.
  void tick(std::int64_t now_ms);

  // Applies a person's command at the clock's time. Throws CaseError; on error nothing
  // changed. Returns the case after the command.
  Case act(CaseId id, const Command& command);
  // Asks the source camera for a fresh look (verification may use it).
  RecheckAnswer look_again(CaseId id);

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
  void check_self_correction(Case& c, Pending& p, std::int64_t now_ms);
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
  RecheckChannel& recheck_;
  const Clock& clock_;
  EngineConfig config_;
  Metrics* metrics_;
  std::unordered_map<CaseId, Case> active_;  // open cases (not terminal, not closed)
  SpotIndex spots_;
  bool batching_ = false;  // inside on_events: outputs wait for the commit
  std::vector<CaseOutput> deferred_;
};

}  // namespace gridsight::cases
