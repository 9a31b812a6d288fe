// CaseEngine::tick: self-correction re-checks, deadline reminders, supervision rounds.

#include <algorithm>

#include "aggregator/cases/class_catalog.h"
#include "aggregator/cases/engine_internal.h"
#include "aggregator/cases/working_calendar.h"

namespace gridsight::cases {

std::vector<RecheckRequest> CaseEngine::tick(std::int64_t now_ms) {
  std::vector<RecheckRequest> asks;
  std::vector<CaseId> ids;
  ids.reserve(active_.size());
  for (const auto& [id, c] : active_) {
    if (c.state == State::kSelfCorrection && now_ms >= c.recheck_at_ms) {
      if (asked_.insert(id).second) {
        asks.push_back({c.id, c.device_id, c.camera_id, c.zone, c.detector, now_ms});
      }
    } else if ((c.state == State::kDispatched &&
                ((!c.reminder_sent && now_ms >= c.reminder_ms) ||
                 (c.supervision_round < config_.max_supervision_rounds &&
                  now_ms >= c.next_supervision_ms)))) {
      ids.push_back(id);
    }
  }
  std::sort(ids.begin(), ids.end());  // deterministic output order
  for (CaseId id : ids) {
    Case c = active_.at(id);
    Pending p;
    p.delta = {c.history.size(), c.reports.size()};
    check_deadline(c, p, now_ms);
    commit(c, p, false);
  }
  std::sort(asks.begin(), asks.end(),
            [](const RecheckRequest& a, const RecheckRequest& b) { return a.case_id < b.case_id; });
  spots_.prune(now_ms - config_.keep_spots_ms);
  return asks;
}

void CaseEngine::on_recheck(CaseId id, RecheckAnswer answer, std::int64_t now_ms) {
  if (asked_.erase(id) == 0) return;
  auto it = active_.find(id);
  if (it == active_.end() || it->second.state != State::kSelfCorrection) return;
  Case c = it->second;
  Pending p;
  p.delta = {c.history.size(), c.reports.size()};
  check_self_correction(c, p, now_ms, answer);
  commit(c, p, false);
}

void CaseEngine::check_self_correction(Case& c, Pending& p, std::int64_t now_ms, RecheckAnswer a) {
  std::string how = "fresh look from the camera";
  if (a == RecheckAnswer::kUnavailable) {
    // No command channel: trust the events. Gone if the latest report said it ended.
    a = c.incident_ended_ms != 0 && c.incident_ended_ms <= c.recheck_at_ms
            ? RecheckAnswer::kGone
            : RecheckAnswer::kStillPresent;
    how = "from the reports (no camera re-check available)";
  }
  if (a == RecheckAnswer::kGone) {
    transition(c, p, Action::kSelfCorrectionCleared, config_.system_actor, now_ms, how);
    return;
  }
  transition(c, p, Action::kSelfCorrectionPersisted, config_.system_actor, now_ms, how);
  const EventClass* cls = classes_.find(c.class_code);
  if (cls && !cls->review) file_and_route(c, p, config_.system_actor, now_ms);
}

void CaseEngine::check_deadline(Case& c, Pending& p, std::int64_t now_ms) {
  if (!c.reminder_sent && now_ms >= c.reminder_ms) {
    c.reminder_sent = true;
    if (now_ms < c.due_ms) {
      transition(c, p, Action::kRemind, config_.system_actor, now_ms,
                 "deadline reminder: due " + std::to_string(c.due_ms));
    }
  }
  if (c.supervision_round < config_.max_supervision_rounds && now_ms >= c.next_supervision_ms) {
    ++c.supervision_round;
    const std::string& level = config_.escalation_levels.at(c.supervision_round - 1);
    std::size_t digits = escalation_code_length(level);
    std::string code = c.cell_code.substr(0, std::min(digits, c.cell_code.size()));
    c.next_supervision_ms =
        calendar_.add_working_minutes(now_ms, config_.supervision_interval_minutes);
    transition(c, p, Action::kSupervise, config_.system_actor, now_ms,
               "supervision round " + std::to_string(c.supervision_round) + ", escalated to " +
                   level + " " + code);
    CaseOutput& out = p.outputs.back();
    out.round = c.supervision_round;
    out.escalation_level = level;
    out.escalation_code = code;
  }
}

}  // namespace gridsight::cases
