#pragma once
// A case (案卷): one problem being handled, made of one or more reports, with its state and
// the full record of its transitions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gridsight::cases {

using CaseId = std::int64_t;

// See docs/grid-engine.md for the diagram.
enum class State {
  kSelfCorrection,  // waiting out the class's self-correction period
  kReported,        // waiting for filing (operator review, or automatic)
  kSelfCorrected,   // gone by itself within the self-correction period (terminal)
  kRejected,        // not filed: false alarm, not our matter (terminal)
  kFiled,           // accepted, waiting for dispatch
  kDispatched,      // with one or more departments, deadline running
  kReturned,        // sent back by a department, waiting for re-dispatch
  kParked,          // waiting for conditions, deadline stopped
  kResolved,        // every department reported back, waiting for verification
  kVerified,        // checked, waiting for closing
  kClosed,
  kEvaluated,  // satisfaction recorded (terminal)
};
inline constexpr int kStateCount = 12;

enum class Action {
  kReport,  // the case was created (first history entry)
  kFile,
  kReject,
  kDispatch,  // also re-dispatch from kReturned
  kCallIn,    // dispatch to several departments at once (joint case)
  kReturn,
  kResolve,  // one department's feedback; the case is resolved when all have reported
  kVerify,
  kRework,  // verification failed: back to the departments
  kClose,
  kEvaluate,
  kExtend,  // deadline extension, approved by the actor
  kPark,
  kUnpark,
  kSelfCorrectionCleared,    // system: the problem went away
  kSelfCorrectionPersisted,  // system: still there after the period
  kRemind,                   // system: deadline reminder (no state change)
  kSupervise,                // system: a supervision round (no state change)
  kIncidentEnded,            // system: the source camera no longer sees it (no state change)
};
inline constexpr int kActionCount = 19;

enum class Source { kAiCamera, kGridWorker, kHotline };
enum class Satisfaction { kSatisfied, kBasicallySatisfied, kDissatisfied };

const char* to_string(State s);
const char* to_string(Action a);
const char* to_string(Source s);
const char* to_string(Satisfaction s);
std::optional<State> state_from_string(std::string_view s);
std::optional<Action> action_from_string(std::string_view s);
std::optional<Source> source_from_string(std::string_view s);
std::optional<Satisfaction> satisfaction_from_string(std::string_view s);

bool is_terminal(State s);
// Open: not terminal and not closed (closed cases only wait for evaluation).
bool is_open(State s);

struct Report {
  std::string event_id;  // edge event id, or "<source>:<external id>" for manual reports
  Source source = Source::kAiCamera;
  std::string camera_id;
  std::string detector;  // edge event type, or the reporter for manual reports
  std::int64_t at_ms = 0;
  std::string note;
  bool operator==(const Report&) const = default;
};

struct Transition {
  int seq = 0;  // 1, 2, ... within the case
  Action action = Action::kFile;
  State from = State::kReported;
  State to = State::kReported;
  std::string actor;
  std::int64_t at_ms = 0;
  std::string note;
  bool operator==(const Transition&) const = default;
};

// One department's part of a case (a joint case has several).
struct Assignment {
  std::string department;
  bool resolved = false;
  std::int64_t resolved_ms = 0;
  bool operator==(const Assignment&) const = default;
};

struct Case {
  CaseId id = 0;
  State state = State::kReported;
  std::string class_code;
  std::string cell_code;
  std::string spot;                // merge key of the watched spot
  std::optional<double> lon, lat;  // internal system
  Source source = Source::kAiCamera;
  std::string detector;
  std::string camera_id;
  std::string device_id;
  std::string zone;
  std::vector<Assignment> departments;

  std::int64_t reported_ms = 0;
  std::int64_t last_report_ms = 0;     // merge window reference
  std::int64_t incident_ended_ms = 0;  // 0 while the latest report says it lasts
  std::int64_t recheck_at_ms = 0;      // end of the self-correction period
  std::int64_t filed_ms = 0;
  std::int64_t dispatched_ms = 0;
  std::int64_t limit_minutes = 0;  // working minutes granted (with extensions)
  std::int64_t due_ms = 0;
  std::int64_t reminder_ms = 0;
  std::int64_t parked_remaining_ms = 0;  // working time left when parked
  std::int64_t resolved_ms = 0;
  std::int64_t closed_ms = 0;
  std::int64_t evaluated_ms = 0;

  int return_count = 0;
  int rework_count = 0;
  int extension_count = 0;
  bool reminder_sent = false;
  int supervision_round = 0;
  std::int64_t next_supervision_ms = 0;

  std::optional<CaseId> linked_case_id;  // the closed case this one recurs
  std::string rejection_label;           // "false_alarm", "not_our_matter", ...
  std::optional<Satisfaction> satisfaction;

  std::vector<Report> reports;
  std::vector<Transition> history;

  bool closed_on_time() const { return closed_ms != 0 && due_ms != 0 && closed_ms <= due_ms; }
  bool operator==(const Case&) const = default;
};

}  // namespace gridsight::cases
