#pragma once
// How the API shows indicators (docs/api.md, "Indicators"): rows as JSON, the rate
// definitions (formula and rounding), periods of a trend (weeks or months in the district's
// time), and the CSV export.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "aggregator/cases/indicators.h"

namespace gridsight::api {

struct TrendPeriod {
  std::int64_t from_ms = 0;  // [from, to)
  std::int64_t to_ms = 0;
  std::string label;  // local date of the start: "2026-11-30" (week), "2026-11" (month)
};

enum class TrendInterval { kWeek, kMonth };
std::optional<TrendInterval> trend_interval_from_string(const std::string& s);

// [from, to) cut at local Monday 00:00 (weeks) or the 1st 00:00 (months) at
// `utc_offset_minutes`; the first and last period may be partial.
std::vector<TrendPeriod> split_periods(std::int64_t from_ms, std::int64_t to_ms,
                                       TrendInterval interval, int utc_offset_minutes);

nlohmann::json indicator_row_json(const cases::IndicatorRow& row);
// A row of zero counts (every rate undefined): a period without cases in a trend.
cases::IndicatorRow empty_indicator_row(const std::string& group,
                                        const cases::IndicatorConfig& config);
// [{"name", "numerator", "denominator", "rounding", "decimals", "percent"}]
nlohmann::json rate_definitions_json(const cases::IndicatorConfig& config);

// The indicators answer as CSV (RFC 4180): one line per row (and period), the counts, then
// each rate's text.
std::string indicators_csv(const nlohmann::json& answer);

}  // namespace gridsight::api
