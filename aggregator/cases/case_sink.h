#pragma once
// What the engine tells the outside world: new cases, transitions, deadline reminders and
// supervision rounds (each round escalates one level). The lead publishes them on MQTT and
// the live feed; the engine also stores every output through CaseStore.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "aggregator/cases/case.h"

namespace gridsight::cases {

enum class OutputKind { kNewCase, kTransition, kReminder, kSupervision };
const char* to_string(OutputKind k);

struct CaseOutput {
  OutputKind kind = OutputKind::kNewCase;
  CaseId case_id = 0;
  std::int64_t at_ms = 0;
  State state = State::kReported;  // after the output
  std::string class_code;
  std::string cell_code;
  std::vector<std::string> departments;
  std::int64_t due_ms = 0;
  std::optional<Transition> transition;  // kTransition
  int round = 0;                         // kSupervision: 1..max rounds
  std::string escalation_level;          // kSupervision: "grid", "street", "district"...
  std::string escalation_code;           // the cell code of that level
  bool operator==(const CaseOutput&) const = default;
};

class CaseSink {
 public:
  virtual ~CaseSink() = default;
  // Called after the output is stored. Must not throw for transport failures (queue them).
  virtual void publish(const CaseOutput& output) = 0;
};

// Keeps everything (tests, the demo).
class VectorSink final : public CaseSink {
 public:
  void publish(const CaseOutput& output) override { outputs.push_back(output); }
  std::vector<CaseOutput> outputs;
};

class NullSink final : public CaseSink {
 public:
  void publish(const CaseOutput&) override {}
};

}  // namespace gridsight::cases
