#include "aggregator/cases/lifecycle.h"

#include <array>

namespace gridsight::cases {
namespace {

struct Rule {
  State from;
  Action action;
  State to;
};

// The whole lifecycle. Anything not listed is illegal.
constexpr Rule kRules[] = {
    {State::kSelfCorrection, Action::kSelfCorrectionCleared, State::kSelfCorrected},
    {State::kSelfCorrection, Action::kSelfCorrectionPersisted, State::kReported},
    {State::kSelfCorrection, Action::kReject, State::kRejected},
    {State::kReported, Action::kFile, State::kFiled},
    {State::kReported, Action::kReject, State::kRejected},
    {State::kFiled, Action::kDispatch, State::kDispatched},
    {State::kFiled, Action::kCallIn, State::kDispatched},
    {State::kDispatched, Action::kReturn, State::kReturned},
    {State::kDispatched, Action::kResolve, State::kResolved},
    {State::kDispatched, Action::kExtend, State::kDispatched},
    {State::kDispatched, Action::kPark, State::kParked},
    {State::kDispatched, Action::kRemind, State::kDispatched},
    {State::kDispatched, Action::kSupervise, State::kDispatched},
    {State::kReturned, Action::kDispatch, State::kDispatched},
    {State::kReturned, Action::kCallIn, State::kDispatched},
    {State::kReturned, Action::kReject, State::kRejected},
    {State::kParked, Action::kUnpark, State::kDispatched},
    {State::kResolved, Action::kVerify, State::kVerified},
    {State::kResolved, Action::kRework, State::kDispatched},
    {State::kVerified, Action::kClose, State::kClosed},
    {State::kClosed, Action::kEvaluate, State::kEvaluated},
    // The camera that reported it no longer sees it (protocol 1.1 update "ended"): recorded
    // in any state before closing, without changing it.
    {State::kSelfCorrection, Action::kIncidentEnded, State::kSelfCorrection},
    {State::kReported, Action::kIncidentEnded, State::kReported},
    {State::kFiled, Action::kIncidentEnded, State::kFiled},
    {State::kDispatched, Action::kIncidentEnded, State::kDispatched},
    {State::kReturned, Action::kIncidentEnded, State::kReturned},
    {State::kParked, Action::kIncidentEnded, State::kParked},
    {State::kResolved, Action::kIncidentEnded, State::kResolved},
    {State::kVerified, Action::kIncidentEnded, State::kVerified},
};

}  // namespace

std::optional<State> next_state(State from, Action action) {
  for (const Rule& r : kRules) {
    if (r.from == from && r.action == action) return r.to;
  }
  return std::nullopt;
}

const Transition& apply(Case& c, Action action, const std::string& actor, std::int64_t at_ms,
                        const std::string& note, std::optional<State> to_override) {
  std::optional<State> to = next_state(c.state, action);
  if (!to) {
    throw CaseError(CaseError::Code::kIllegalTransition,
                    std::string("case ") + std::to_string(c.id) + ": cannot " + to_string(action) +
                        " a case that is " + to_string(c.state));
  }
  if (actor.empty()) {
    throw CaseError(CaseError::Code::kInvalidArgument, "every transition needs an actor");
  }
  Transition t;
  t.seq = static_cast<int>(c.history.size()) + 1;
  t.action = action;
  t.from = c.state;
  t.to = to_override ? *to_override : *to;
  t.actor = actor;
  t.at_ms = at_ms;
  t.note = note;
  c.state = t.to;
  c.history.push_back(std::move(t));
  return c.history.back();
}

namespace {
template <class E, std::size_t N>
std::optional<E> from_string(std::string_view s, const std::array<const char*, N>& names) {
  for (std::size_t i = 0; i < N; ++i) {
    if (s == names[i]) return static_cast<E>(i);
  }
  return std::nullopt;
}

constexpr std::array<const char*, kStateCount> kStateNames = {
    "self_correction", "reported", "self_corrected", "rejected", "filed",  "dispatched",
    "returned",        "parked",   "resolved",       "verified", "closed", "evaluated"};
constexpr std::array<const char*, kActionCount> kActionNames = {"report",
                                                                "file",
                                                                "reject",
                                                                "dispatch",
                                                                "call_in",
                                                                "return",
                                                                "resolve",
                                                                "verify",
                                                                "rework",
                                                                "close",
                                                                "evaluate",
                                                                "extend",
                                                                "park",
                                                                "unpark",
                                                                "self_correction_cleared",
                                                                "self_correction_persisted",
                                                                "remind",
                                                                "supervise",
                                                                "incident_ended"};
constexpr std::array<const char*, 3> kSourceNames = {"ai_camera", "grid_worker", "hotline"};
constexpr std::array<const char*, 3> kSatisfactionNames = {"satisfied", "basically_satisfied",
                                                           "dissatisfied"};
}  // namespace

const char* to_string(State s) {
  return kStateNames[static_cast<std::size_t>(s)];
}
const char* to_string(Action a) {
  return kActionNames[static_cast<std::size_t>(a)];
}
const char* to_string(Source s) {
  return kSourceNames[static_cast<std::size_t>(s)];
}
const char* to_string(Satisfaction s) {
  return kSatisfactionNames[static_cast<std::size_t>(s)];
}
std::optional<State> state_from_string(std::string_view s) {
  return from_string<State>(s, kStateNames);
}
std::optional<Action> action_from_string(std::string_view s) {
  return from_string<Action>(s, kActionNames);
}
std::optional<Source> source_from_string(std::string_view s) {
  return from_string<Source>(s, kSourceNames);
}
std::optional<Satisfaction> satisfaction_from_string(std::string_view s) {
  return from_string<Satisfaction>(s, kSatisfactionNames);
}

bool is_terminal(State s) {
  return s == State::kSelfCorrected || s == State::kRejected || s == State::kEvaluated;
}
bool is_open(State s) {
  return !is_terminal(s) && s != State::kClosed;
}

}  // namespace gridsight::cases
