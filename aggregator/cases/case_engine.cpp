// CaseEngine: ingest (events, manual reports, merging) and the shared commit path.
// Lifecycle commands are in case_actions.cpp, timers in case_timers.cpp.

#include "aggregator/cases/case_engine.h"

#include <algorithm>
#include <cassert>

#include "aggregator/cases/class_catalog.h"
#include "aggregator/cases/engine_internal.h"
#include "aggregator/cases/working_calendar.h"
#include "aggregator/grid/camera_registry.h"
#include "aggregator/grid/grid_model.h"
#include "common/metrics.h"

namespace gridsight::cases {

const char* to_string(IngestResult::Kind k) {
  switch (k) {
    case IngestResult::Kind::kNewCase:
      return "new_case";
    case IngestResult::Kind::kMerged:
      return "merged";
    case IngestResult::Kind::kRecurrence:
      return "recurrence";
    case IngestResult::Kind::kDuplicate:
      return "duplicate";
    case IngestResult::Kind::kUnmapped:
      return "unmapped";
    case IngestResult::Kind::kUnlocated:
      return "unlocated";
    case IngestResult::Kind::kUpdated:
      return "updated";
  }
  return "?";
}

const char* to_string(RecheckAnswer a) {
  switch (a) {
    case RecheckAnswer::kStillPresent:
      return "still_present";
    case RecheckAnswer::kGone:
      return "gone";
    case RecheckAnswer::kUnavailable:
      return "unavailable";
  }
  return "?";
}

const char* to_string(OutputKind k) {
  switch (k) {
    case OutputKind::kNewCase:
      return "new_case";
    case OutputKind::kTransition:
      return "transition";
    case OutputKind::kReminder:
      return "reminder";
    case OutputKind::kSupervision:
      return "supervision";
  }
  return "?";
}

CaseEngine::CaseEngine(const grid::GridModel& grid, const grid::CameraRegistry& cameras,
                       const ClassCatalog& classes, const WorkingCalendar& calendar,
                       store::CaseStore& store, CaseSink& sink, const Clock& clock,
                       EngineConfig config, Metrics* metrics)
    : grid_(grid),
      cameras_(cameras),
      classes_(classes),
      calendar_(calendar),
      store_(store),
      sink_(sink),
      clock_(clock),
      config_(std::move(config)),
      metrics_(metrics) {
  reload();
}

CaseEngine::~CaseEngine() = default;

void CaseEngine::transition(Case& c, Pending& p, Action action, const std::string& actor,
                            std::int64_t at_ms, const std::string& note,
                            std::optional<State> to_override) {
  const Transition& t = apply(c, action, actor, at_ms, note, to_override);
  OutputKind kind = action == Action::kRemind      ? OutputKind::kReminder
                    : action == Action::kSupervise ? OutputKind::kSupervision
                                                   : OutputKind::kTransition;
  CaseOutput out = snapshot(c, kind, at_ms);
  out.transition = t;
  p.outputs.push_back(std::move(out));
}

CaseOutput CaseEngine::snapshot(const Case& c, OutputKind kind, std::int64_t at_ms) const {
  CaseOutput o;
  o.kind = kind;
  o.case_id = c.id;
  o.at_ms = at_ms;
  o.state = c.state;
  o.class_code = c.class_code;
  o.cell_code = c.cell_code;
  for (const auto& a : c.departments) o.departments.push_back(a.department);
  o.due_ms = c.due_ms;
  return o;
}

void CaseEngine::commit(Case& c, Pending& p, bool is_new) {
  if (is_new) {
    store_.create(c, p.outputs);  // assigns the id (and stores the outputs under it)
    for (auto& o : p.outputs) o.case_id = c.id;
  } else {
    store_.save(c, p.delta, p.outputs);
  }
  spots_.upsert(c);
  if (is_open(c.state)) {
    active_[c.id] = c;
  } else {
    active_.erase(c.id);
  }
  if (batching_) {
    deferred_.insert(deferred_.end(), p.outputs.begin(), p.outputs.end());
  } else {
    for (const auto& o : p.outputs) sink_.publish(o);
  }
}

void CaseEngine::reload() {
  active_.clear();
  asked_.clear();
  spots_ = SpotIndex();
  for (Case& c : store_.active_cases()) {
    spots_.upsert(c);
    if (is_open(c.state)) active_.emplace(c.id, std::move(c));
  }
}

Case CaseEngine::load(CaseId id) {
  auto it = active_.find(id);
  if (it != active_.end()) return it->second;
  std::optional<Case> c = store_.get(id);
  if (!c) throw CaseError(CaseError::Code::kNotFound, "no case " + std::to_string(id));
  return std::move(*c);
}

IngestResult CaseEngine::on_event(const protocol::Event& event, std::int64_t received_ms) {
  if (event.is_update()) return on_update(event, received_ms);
  if (store_.case_of_event(event.event_id)) return {IngestResult::Kind::kDuplicate, 0};
  const EventClass* cls = classes_.for_edge_type(event.type);
  if (!cls) {
    if (metrics_) {
      metrics_
          ->counter("gridsight_case_events_unmapped_total", "Edge events of no class",
                    {{"type", event.type}})
          .inc();
    }
    return {IngestResult::Kind::kUnmapped, 0};
  }
  grid::Resolved where = cameras_.resolve(event, grid_);
  if (where.cell_code.empty()) {
    if (metrics_) {
      metrics_
          ->counter("gridsight_case_events_unlocated_total", "Edge events in no cell",
                    {{"camera", event.camera_id}})
          .inc();
    }
    return {IngestResult::Kind::kUnlocated, 0};
  }
  Report r;
  r.event_id = event.event_id;
  r.source = Source::kAiCamera;
  r.camera_id = event.camera_id;
  r.detector = event.type;
  r.at_ms = event.clock_synced ? event.start_ms : received_ms;
  std::optional<double> lon, lat;
  if (where.location) {
    lon = where.location->lon;
    lat = where.location->lat;
  }
  std::int64_t at = r.at_ms;
  return ingest(std::move(r), *cls, where.cell_code, where.spot, lon, lat, at, received_ms, &event,
                false);
}

std::vector<IngestResult> CaseEngine::on_events(const std::vector<StoredEvent>& events) {
  std::vector<IngestResult> out;
  out.reserve(events.size());
  // Outputs are published only once the batch is committed; if it fails, the memory state is
  // reloaded from the store so it matches what was kept.
  store_.begin_batch();
  batching_ = true;
  try {
    for (const auto& e : events) out.push_back(on_event(e.event, e.received_ms));
    if (!events.empty() && events.back().row > 0) store_.set_event_cursor(events.back().row);
    store_.commit_batch();
  } catch (...) {
    batching_ = false;
    deferred_.clear();
    store_.rollback_batch();
    reload();
    throw;
  }
  batching_ = false;
  std::vector<CaseOutput> outputs;
  outputs.swap(deferred_);
  for (const auto& o : outputs) sink_.publish(o);
  return out;
}

IngestResult CaseEngine::report(const ManualReport& m) {
  if (m.source == Source::kAiCamera) {
    throw CaseError(CaseError::Code::kInvalidArgument, "manual reports come from people");
  }
  if (m.external_id.empty() || m.reporter.empty()) {
    throw CaseError(CaseError::Code::kInvalidArgument, "external_id and reporter are required");
  }
  const EventClass* cls = classes_.find(m.class_code);
  if (!cls) {
    throw CaseError(CaseError::Code::kInvalidArgument, "unknown class \"" + m.class_code + "\"");
  }
  Report r;
  r.event_id = std::string(to_string(m.source)) + ":" + m.external_id;
  if (store_.case_of_event(r.event_id)) return {IngestResult::Kind::kDuplicate, 0};
  r.source = m.source;
  r.detector = m.reporter;
  r.at_ms = m.at_ms;
  r.note = m.description;
  grid::LonLat p = grid::to_internal(m.location);
  std::string cell;
  if (m.cell_code) {
    if (!grid_.find(*m.cell_code)) {
      throw CaseError(CaseError::Code::kInvalidArgument, "unknown cell " + *m.cell_code);
    }
    cell = *m.cell_code;
  } else if (grid::Placement pl = grid_.locate(p)) {
    cell = pl.cell->code;
  } else {
    throw CaseError(CaseError::Code::kInvalidArgument, "the location lies in no grid cell");
  }
  return ingest(std::move(r), *cls, cell, "", p.lon, p.lat, m.at_ms, clock_.now_ms(), nullptr,
                true);
}

IngestResult CaseEngine::ingest(Report report, const EventClass& cls, const std::string& cell_code,
                                const std::string& spot, std::optional<double> lon,
                                std::optional<double> lat, std::int64_t at_ms, std::int64_t now_ms,
                                const protocol::Event* event, bool human) {
  std::optional<CaseId> recurs;
  for (const SpotIndex::Entry* e : spots_.matches(cls.code, spot, lon, lat, cls.merge_radius_m)) {
    bool within = at_ms - e->last_ms <= cls.merge_window_ms;
    if ((is_open(e->state) || e->state == State::kRejected) && within) {
      // The same incident: attach the report.
      Case c = load(e->id);
      Pending p;
      p.delta = {c.history.size(), c.reports.size(), false};
      c.last_report_ms = std::max(c.last_report_ms, at_ms);
      if (event) c.incident_ended_ms = event->end_ms.value_or(0);
      c.reports.push_back(std::move(report));
      // A person confirming an AI report that waits for review or self-correction files it.
      if (human && (c.state == State::kReported || c.state == State::kSelfCorrection)) {
        if (c.state == State::kSelfCorrection) {
          transition(
              c, p, Action::kSelfCorrectionPersisted, config_.system_actor, now_ms,
              "confirmed by a " + std::string(to_string(c.reports.back().source)) + " report");
        }
        file_and_route(c, p, c.reports.back().detector, now_ms);
        p.delta.departments_changed = true;
      }
      commit(c, p, false);
      return {IngestResult::Kind::kMerged, c.id};
    }
    if ((e->state == State::kClosed || e->state == State::kEvaluated) && !recurs &&
        at_ms - e->closed_ms <= cls.recurrence_window_ms && at_ms >= e->closed_ms) {
      recurs = e->id;
    }
  }

  Case c;
  c.class_code = cls.code;
  c.cell_code = cell_code;
  c.spot = spot;
  c.lon = lon;
  c.lat = lat;
  c.source = report.source;
  c.detector = report.detector;
  c.camera_id = report.camera_id;
  if (event) {
    c.device_id = event->device_id;
    c.zone = event->zone;
    c.incident_ended_ms = event->end_ms.value_or(0);
  }
  c.reported_ms = now_ms;
  c.last_report_ms = at_ms;
  c.linked_case_id = recurs;
  c.reports.push_back(std::move(report));
  bool self_correct = !human && cls.self_correction_ms > 0;
  c.state = self_correct ? State::kSelfCorrection : State::kReported;
  if (self_correct) c.recheck_at_ms = now_ms + cls.self_correction_ms;
  Transition first;
  first.seq = 1;
  first.action = Action::kReport;
  first.from = State::kReported;
  first.to = c.state;
  first.actor = human ? c.detector : c.camera_id;
  first.at_ms = now_ms;
  first.note = recurs ? "recurs case " + std::to_string(*recurs) : "";
  c.history.push_back(first);

  Pending p;
  CaseOutput created = snapshot(c, OutputKind::kNewCase, now_ms);
  created.transition = first;
  p.outputs.push_back(std::move(created));
  if (c.state == State::kReported && (human || !cls.review)) {
    file_and_route(c, p, human ? c.detector : config_.system_actor, now_ms);
  }
  commit(c, p, true);
  return {recurs ? IngestResult::Kind::kRecurrence : IngestResult::Kind::kNewCase, c.id};
}

void CaseEngine::file_and_route(Case& c, Pending& p, const std::string& actor, std::int64_t now_ms,
                                const std::string& note) {
  transition(c, p, Action::kFile, actor, now_ms, note);
  c.filed_ms = now_ms;
  const EventClass* cls = classes_.find(c.class_code);
  assert(cls && "a case's class is in the catalogue");
  if (cls->auto_dispatch) {
    dispatch(c, p, Action::kDispatch, {}, config_.system_actor, now_ms, "");
  }
}

void CaseEngine::arm_deadline(Case& c, std::int64_t from_ms, std::int64_t limit_minutes) {
  c.limit_minutes = limit_minutes;
  c.due_ms = calendar_.add_working_minutes(from_ms, limit_minutes);
  auto share =
      static_cast<std::int64_t>(static_cast<double>(limit_minutes) * config_.reminder_share);
  c.reminder_ms = calendar_.add_working_minutes(from_ms, share);
  c.reminder_sent = false;
  c.supervision_round = 0;
  c.next_supervision_ms = c.due_ms;
}

void CaseEngine::dispatch(Case& c, Pending& p, Action action, std::vector<std::string> departments,
                          const std::string& actor, std::int64_t now_ms, const std::string& note) {
  const EventClass* cls = classes_.find(c.class_code);
  assert(cls);
  Route route = classes_.route(*cls, c.cell_code);
  if (departments.empty()) departments.push_back(route.department);
  std::vector<Assignment> parts;
  for (auto& d : departments) parts.push_back({std::move(d), false, 0});
  c.departments = std::move(parts);
  c.dispatched_ms = now_ms;
  arm_deadline(c, now_ms, route.limit.minutes(calendar_));
  transition(c, p, action, actor, now_ms, note);
}

std::optional<Case> CaseEngine::get(CaseId id) {
  return store_.get(id);
}

store::CasePage CaseEngine::list(const store::CaseQuery& query) {
  return store_.list(query);
}

std::vector<IndicatorRow> CaseEngine::indicators(const IndicatorQuery& query,
                                                 const IndicatorConfig& config) {
  if (query.to_ms <= query.from_ms) {
    throw CaseError(CaseError::Code::kInvalidArgument, "the period must not be empty");
  }
  return compute_indicators(store_.for_indicators(query.from_ms, query.to_ms, query.cell_prefix),
                            query, config);
}

}  // namespace gridsight::cases
