#pragma once
// Indicators by cell subtree, department, class, source, detector, camera and period:
// counts, configurable rates (numerator, denominator, rounding) and rankings that ignore
// small groups. Definitions in docs/grid-engine.md, "Indicators".

#include <cstdint>
#include <string>
#include <vector>

#include "aggregator/cases/case.h"

namespace gridsight::config {
class Section;
}

namespace gridsight::cases {

// Counts of one group. Names (for rate specs): received, filed, rejected, false_alarms,
// due_to_close, closed, closed_on_time, reworked, extended, evaluated, satisfied, open,
// overdue.
struct Counts {
  std::int64_t received = 0;
  std::int64_t filed = 0;
  std::int64_t rejected = 0;
  std::int64_t false_alarms = 0;
  std::int64_t due_to_close = 0;
  std::int64_t closed = 0;
  std::int64_t closed_on_time = 0;
  std::int64_t reworked = 0;
  std::int64_t extended = 0;
  std::int64_t evaluated = 0;
  std::int64_t satisfied = 0;  // satisfied or basically satisfied
  std::int64_t open = 0;       // received in the period and still open at `as_of_ms`
  std::int64_t overdue = 0;    // of those, dispatched and past their due time at `as_of_ms`
  // The count called `name`, or -1 for an unknown name.
  std::int64_t get(const std::string& name) const;
};

struct RateSpec {
  enum class Rounding { kTruncate, kHalfUp };
  std::string name;
  std::string numerator;
  std::string denominator;
  Rounding rounding = Rounding::kHalfUp;
  int decimals = 2;
  bool percent = true;
};

struct RateValue {
  std::string name;
  std::int64_t numerator = 0;
  std::int64_t denominator = 0;
  bool defined = false;     // false when the denominator is 0
  std::int64_t scaled = 0;  // value * 10^decimals, rounded as specified
  int decimals = 2;
  std::string text;  // "63.33" (no % sign), "" when undefined
  double value() const;
};

RateValue compute_rate(const RateSpec& spec, std::int64_t numerator, std::int64_t denominator);

struct IndicatorConfig {
  // Defaults: closure_rate = closed / due_to_close, on_time_rate = closed_on_time /
  // due_to_close, rework_rate = reworked / closed, extension_rate = extended / filed,
  // satisfaction_rate = satisfied / evaluated, false_alarm_rate = false_alarms / received;
  // all percentages to 2 decimals, half up.
  std::vector<RateSpec> rates;
  std::int64_t min_count = 10;  // rankings ignore groups whose denominator is smaller

  IndicatorConfig();
  static IndicatorConfig read(config::Section& s);
  const RateSpec* rate(const std::string& name) const;
};

enum class GroupBy { kTotal, kCell, kDepartment, kClass, kSource, kDetector, kCamera };

struct IndicatorQuery {
  std::int64_t from_ms = 0;  // period [from, to)
  std::int64_t to_ms = 0;
  std::string cell_prefix;  // subtree; empty: everything
  GroupBy group_by = GroupBy::kTotal;
  std::size_t cell_digits = 15;  // kCell: group by the code prefix of this length
  std::int64_t as_of_ms = 0;     // open/overdue are the cases' states now; 0: to_ms
};

struct IndicatorRow {
  std::string group;
  Counts counts;
  double mean_close_ms = 0;  // filed -> closed, over closed cases
  std::int64_t p90_close_ms = 0;
  std::vector<RateValue> rates;
  const RateValue* rate(const std::string& name) const;
};

// A case counts in a period as: received if reported in it; filed if filed in it; the
// other counts are over cases filed in it, as of the period's end (see the docs).
std::vector<IndicatorRow> compute_indicators(const std::vector<Case>& cases,
                                             const IndicatorQuery& query,
                                             const IndicatorConfig& config);

// Rows by `rate_name` descending, without groups whose denominator is below min_count.
std::vector<IndicatorRow> rank(const std::vector<IndicatorRow>& rows, const std::string& rate_name,
                               std::int64_t min_count);

}  // namespace gridsight::cases
