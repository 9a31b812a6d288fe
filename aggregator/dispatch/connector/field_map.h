#pragma once
// Field mapping for the platform connector: a case and one of its outputs become a flat
// "view" of named case fields; configured platform fields take a case field (typed JSON
// value) or a "{template}" (text with {field} placeholders). Platform field names with dots
// make nested objects ("location.lon").

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aggregator/cases/case.h"
#include "aggregator/cases/case_sink.h"

namespace gridsight::connector {

using FieldMap = std::vector<std::pair<std::string, std::string>>;

// Every case field a mapping may use, with a one-line description (docs/connector.md).
const std::vector<std::pair<std::string, std::string>>& case_fields();

// Empty when `expression` is a known case field or a template whose placeholders all are;
// otherwise the reason it is refused.
std::string check_expression(std::string_view expression);

struct CaseNames {
  std::string class_name;
  std::string cell_name;
};

// The named case fields for `c` after `output`; `seq` is the connector's message number.
nlohmann::json case_view(const cases::Case& c, const cases::CaseOutput& output,
                         const CaseNames& names, int seq);

// The platform document for a view.
nlohmann::json render(const FieldMap& fields, const nlohmann::json& view);

// ISO 8601 UTC ("2026-11-24T02:00:00Z"), or null for 0.
nlohmann::json iso_utc(std::int64_t ms);

// `text` with "{case_id}" replaced (URL templates).
std::string with_case_id(std::string text, long long case_id);

}  // namespace gridsight::connector
