// Incident updates from the camera that reported an incident (protocol 1.1): more evidence,
// or its end — "the camera no longer sees it" — attached to the incident's case.
#include <string>

#include "aggregator/cases/class_catalog.h"
#include "aggregator/cases/engine_internal.h"
#include "common/metrics.h"

namespace gridsight::cases {

namespace {

std::string camera_actor(const protocol::Event& u) {
  return "camera " + u.camera_id;
}

}  // namespace

IngestResult CaseEngine::on_update(const protocol::Event& u, std::int64_t received_ms) {
  if (store_.case_of_event(u.event_id)) return {IngestResult::Kind::kDuplicate, 0};
  const std::optional<CaseId> id = store_.case_of_event(u.update_of);
  if (!id) {  // its incident made no case (class unmapped, no cell): nothing to update
    if (metrics_) {
      metrics_
          ->counter("gridsight_case_updates_orphan_total",
                    "Incident updates whose first event is in no case", {{"update", u.update}})
          .inc();
    }
    return {IngestResult::Kind::kUnmapped, 0};
  }
  Case c = load(*id);
  Pending p;
  p.delta = {c.history.size(), c.reports.size(), false};
  const bool ended = u.update == protocol::kUpdateEnded;
  // The update is one more report of the case: its evidence (closing snapshot, clip) is found
  // through its event id like any report's.
  Report r;
  r.event_id = u.event_id;
  r.source = Source::kAiCamera;
  r.camera_id = u.camera_id;
  r.detector = u.type;
  r.at_ms = u.clock_synced ? u.end_ms.value_or(u.start_ms) : received_ms;
  r.note = ended ? kIncidentEndedNote : "evidence of the incident";
  c.reports.push_back(std::move(r));
  if (ended && next_state(c.state, Action::kIncidentEnded)) {
    c.incident_ended_ms = u.end_ms.value_or(received_ms);
    std::string note = kIncidentEndedNote;
    for (const auto& e : u.evidence) {
      if (e.role == "snapshot") note += "; closing snapshot " + e.hash;
    }
    const EventClass* cls = classes_.find(c.class_code);
    const bool verify = cls && cls->camera_end == EventClass::CameraEnd::kVerify;
    note += verify ? "; verified by the camera once resolved" : "; verification suggested";
    transition(c, p, Action::kIncidentEnded, camera_actor(u), received_ms, note);
    if (verify) verify_by_camera(c, p, received_ms);
  }
  commit(c, p, false);
  return {IngestResult::Kind::kUpdated, c.id};
}

void CaseEngine::verify_by_camera(Case& c, Pending& p, std::int64_t now_ms) {
  if (c.state != State::kResolved) return;
  // The end counts only when it came after the case was (last) dispatched.
  const Transition* ended = nullptr;
  for (const auto& t : c.history) {
    if (t.action == Action::kDispatch || t.action == Action::kCallIn ||
        t.action == Action::kRework) {
      ended = nullptr;
    } else if (t.action == Action::kIncidentEnded) {
      ended = &t;
    }
  }
  if (!ended) return;
  const std::string actor = ended->actor;
  transition(c, p, Action::kVerify, actor, now_ms,
             "verified by the camera: it no longer sees it (a supervisor may still rework)");
}

}  // namespace gridsight::cases
