// CaseEngine: lifecycle commands from people (file, reject, dispatch, call-in, return,
// resolve, verify, rework, close, evaluate, extend, park, unpark).

#include <algorithm>
#include <set>

#include "aggregator/cases/class_catalog.h"
#include "aggregator/cases/engine_internal.h"
#include "aggregator/cases/working_calendar.h"
#include "common/metrics.h"

namespace gridsight::cases {
namespace {

[[noreturn]] void invalid(const std::string& what) {
  throw CaseError(CaseError::Code::kInvalidArgument, what);
}

void require_legal(const Case& c, Action a) {
  if (!next_state(c.state, a)) {
    throw CaseError(CaseError::Code::kIllegalTransition,
                    "case " + std::to_string(c.id) + ": cannot " + to_string(a) +
                        " a case that is " + to_string(c.state));
  }
}

Assignment* part(Case& c, const std::string& department) {
  if (department.empty() && c.departments.size() == 1) return &c.departments.front();
  for (auto& a : c.departments) {
    if (a.department == department) return &a;
  }
  return nullptr;
}

}  // namespace

Case CaseEngine::act(CaseId id, const Command& cmd) {
  Case c = load(id);  // a copy: nothing changes unless every check passes
  const std::int64_t now = clock_.now_ms();
  if (cmd.actor.empty()) invalid("every command needs an actor");
  switch (cmd.action) {
    case Action::kReport:
    case Action::kRemind:
    case Action::kSupervise:
    case Action::kIncidentEnded:
    case Action::kSelfCorrectionCleared:
    case Action::kSelfCorrectionPersisted:
      invalid(std::string(to_string(cmd.action)) + " is done by the engine, not by a command");
    default:
      break;
  }
  require_legal(c, cmd.action);
  Pending p;
  p.delta = {c.history.size(), c.reports.size()};
  switch (cmd.action) {
    case Action::kFile:
      file_and_route(c, p, cmd.actor, now, cmd.note);
      break;
    case Action::kReject: {
      if (cmd.label.empty()) invalid("a rejection needs a label (false_alarm, not_our_matter...)");
      c.rejection_label = cmd.label;
      transition(c, p, Action::kReject, cmd.actor, now, cmd.note);
      if (metrics_) {
        metrics_
            ->counter("gridsight_cases_rejected_total", "Cases rejected at filing",
                      {{"class", c.class_code},
                       {"camera", c.camera_id},
                       {"detector", c.detector},
                       {"label", c.rejection_label}})
            .inc();
      }
      break;
    }
    case Action::kDispatch:
      if (cmd.departments.size() > 1) invalid("dispatch goes to one department; use call_in");
      dispatch(c, p, Action::kDispatch, cmd.departments, cmd.actor, now, cmd.note);
      break;
    case Action::kCallIn: {
      std::set<std::string> distinct(cmd.departments.begin(), cmd.departments.end());
      if (distinct.size() < 2 || distinct.size() != cmd.departments.size() || distinct.count("")) {
        invalid("a call-in needs two or more distinct departments");
      }
      dispatch(c, p, Action::kCallIn, cmd.departments, cmd.actor, now, cmd.note);
      break;
    }
    case Action::kReturn: {
      if (cmd.note.empty()) invalid("a return needs a reason in the note");
      if (!part(c, cmd.department)) invalid("department \"" + cmd.department + "\" has no part");
      ++c.return_count;
      transition(c, p, Action::kReturn, cmd.actor, now, cmd.note);
      break;
    }
    case Action::kResolve: {
      Assignment* a = part(c, cmd.department);
      if (!a) invalid("department \"" + cmd.department + "\" has no part in this case");
      if (a->resolved) invalid("department " + a->department + " already resolved its part");
      a->resolved = true;
      a->resolved_ms = now;
      bool all = std::all_of(c.departments.begin(), c.departments.end(),
                             [](const Assignment& x) { return x.resolved; });
      if (all) c.resolved_ms = now;
      transition(c, p, Action::kResolve, cmd.actor, now,
                 c.departments.size() > 1 ? a->department + ": " + cmd.note : cmd.note,
                 all ? std::nullopt : std::optional<State>(State::kDispatched));
      if (const EventClass* cls = classes_.find(c.class_code);
          all && cls && cls->camera_end == EventClass::CameraEnd::kVerify) {
        verify_by_camera(c, p, now);  // the camera already said it is gone
      }
      break;
    }
    case Action::kVerify:
      transition(c, p, Action::kVerify, cmd.actor, now, cmd.note);
      break;
    case Action::kRework: {
      if (cmd.note.empty()) invalid("rework needs the reason verification failed");
      ++c.rework_count;
      for (auto& a : c.departments) a = {a.department, false, 0};
      c.resolved_ms = 0;
      arm_deadline(c, now, c.limit_minutes);
      transition(c, p, Action::kRework, cmd.actor, now, cmd.note);
      break;
    }
    case Action::kClose:
      c.closed_ms = now;
      transition(c, p, Action::kClose, cmd.actor, now, cmd.note);
      break;
    case Action::kEvaluate:
      if (!cmd.satisfaction) invalid("an evaluation needs a satisfaction");
      c.satisfaction = cmd.satisfaction;
      c.evaluated_ms = now;
      transition(c, p, Action::kEvaluate, cmd.actor, now, cmd.note);
      break;
    case Action::kExtend: {
      if (!cmd.extension || cmd.extension->amount <= 0) invalid("an extension needs a duration");
      std::int64_t extra = cmd.extension->minutes(calendar_);
      ++c.extension_count;
      c.limit_minutes += extra;
      c.due_ms = calendar_.add_working_minutes(c.due_ms, extra);
      c.next_supervision_ms = std::max(c.next_supervision_ms, c.due_ms);
      transition(c, p, Action::kExtend, cmd.actor, now,
                 cmd.extension->str() + (cmd.note.empty() ? "" : ": " + cmd.note));
      break;
    }
    case Action::kPark:
      if (cmd.note.empty()) invalid("parking needs the condition waited for");
      c.parked_remaining_ms = calendar_.working_ms_between(now, c.due_ms);
      transition(c, p, Action::kPark, cmd.actor, now, cmd.note);
      break;
    case Action::kUnpark: {
      std::int64_t minutes = (c.parked_remaining_ms + 59'999) / 60'000;
      c.due_ms = calendar_.add_working_minutes(now, minutes);
      c.next_supervision_ms = std::max(c.next_supervision_ms, c.due_ms);
      if (!c.reminder_sent) {
        // Remind when the same working time is left as an unparked case would have.
        auto left_at_reminder = static_cast<std::int64_t>(static_cast<double>(c.limit_minutes) *
                                                          (1.0 - config_.reminder_share));
        c.reminder_ms = calendar_.add_working_minutes(
            now, std::max<std::int64_t>(0, minutes - left_at_reminder));
      }
      c.parked_remaining_ms = 0;
      transition(c, p, Action::kUnpark, cmd.actor, now, cmd.note);
      break;
    }
    default:
      invalid("unsupported command");
  }
  commit(c, p, false);
  return c;
}

std::optional<RecheckRequest> CaseEngine::look_again(CaseId id) {
  Case c = load(id);
  if (c.source != Source::kAiCamera) return std::nullopt;
  return RecheckRequest{c.id, c.device_id, c.camera_id, c.zone, c.detector, clock_.now_ms()};
}

}  // namespace gridsight::cases
