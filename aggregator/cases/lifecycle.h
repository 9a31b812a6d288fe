#pragma once
// The case lifecycle as an explicit state machine: which action is legal in which state
// and where it leads. The engine applies the side effects (deadlines, departments).

#include <optional>
#include <stdexcept>
#include <string>

#include "aggregator/cases/case.h"

namespace gridsight::cases {

// Refused request (illegal transition, unknown case, bad argument). Nothing was changed.
class CaseError : public std::runtime_error {
 public:
  enum class Code { kNotFound, kIllegalTransition, kInvalidArgument };
  CaseError(Code code, const std::string& what) : std::runtime_error(what), code_(code) {}
  Code code() const { return code_; }

 private:
  Code code_;
};

// The state `action` leads to from `from`, or nullopt when illegal. kResolve leads to
// kResolved; the engine keeps a joint case kDispatched until every part is resolved.
std::optional<State> next_state(State from, Action action);

// Appends a transition to the history (and sets the state); throws kIllegalTransition, with
// the case unchanged, when the table refuses it.
const Transition& apply(Case& c, Action action, const std::string& actor, std::int64_t at_ms,
                        const std::string& note, std::optional<State> to_override = {});

}  // namespace gridsight::cases
