#pragma once
// JSON for cases and outputs: the store's row bodies and the payload the lead publishes
// (MQTT, live feed, HTTP API). Times are UTC milliseconds; enums are their snake_case names.

#include <string>
#include <string_view>

#include "aggregator/cases/case.h"
#include "aggregator/cases/case_sink.h"

namespace gridsight::cases {

// With reports and history when `with_children`.
std::string to_json(const Case& c, bool with_children = true);
// Throws std::runtime_error on malformed input.
Case case_from_json(std::string_view text);
std::string to_json(const Report& r);
Report report_from_json(std::string_view text);
std::string to_json(const CaseOutput& o);
CaseOutput output_from_json(std::string_view text);

}  // namespace gridsight::cases
