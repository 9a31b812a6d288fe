#pragma once
// Private to the engine's .cpp files.

#include <vector>

#include "aggregator/cases/case_engine.h"

namespace gridsight::cases {

// What one engine step adds to a case before it is committed.
struct CaseEngine::Pending {
  store::CaseDelta delta;
  std::vector<CaseOutput> outputs;
};

}  // namespace gridsight::cases
