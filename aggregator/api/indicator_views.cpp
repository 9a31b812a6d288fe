#include "aggregator/api/indicator_views.h"

#include <cstdio>

namespace gridsight::api {

using json = nlohmann::json;

namespace {

constexpr std::int64_t kDayMs = 86'400'000;

// Days since 1970-01-01 → civil date (Howard Hinnant's algorithm).
void civil_from_days(std::int64_t z, int& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2));
}

std::int64_t days_from_civil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string text_of(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

}  // namespace

std::optional<TrendInterval> trend_interval_from_string(const std::string& s) {
  if (s == "week") return TrendInterval::kWeek;
  if (s == "month") return TrendInterval::kMonth;
  return std::nullopt;
}

std::vector<TrendPeriod> split_periods(std::int64_t from_ms, std::int64_t to_ms,
                                       TrendInterval interval, int utc_offset_minutes) {
  std::vector<TrendPeriod> out;
  const std::int64_t off = std::int64_t{utc_offset_minutes} * 60'000;
  // The local day of `from`, then back to the period's first day.
  std::int64_t day = floor_div(from_ms + off, kDayMs);
  int y = 0;
  unsigned m = 0, d = 0;
  if (interval == TrendInterval::kWeek) {
    const std::int64_t weekday = ((day % 7) + 7 + 3) % 7;  // 1970-01-01 was a Thursday: 0=Mon
    day -= weekday;
  } else {
    civil_from_days(day, y, m, d);
    day = days_from_civil(y, m, 1);
  }
  for (int guard = 0; guard < 10'000; ++guard) {
    std::int64_t next = 0;
    civil_from_days(day, y, m, d);
    char label[16];
    if (interval == TrendInterval::kWeek) {
      next = day + 7;
      std::snprintf(label, sizeof label, "%04d-%02u-%02u", y, m, d);
    } else {
      next = days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1);
      std::snprintf(label, sizeof label, "%04d-%02u", y, m);
    }
    const std::int64_t start = day * kDayMs - off;
    const std::int64_t end = next * kDayMs - off;
    if (start >= to_ms) break;
    out.push_back({std::max(start, from_ms), std::min(end, to_ms), label});
    day = next;
  }
  return out;
}

json indicator_row_json(const cases::IndicatorRow& row) {
  const auto& c = row.counts;
  json counts = {{"received", c.received},
                 {"filed", c.filed},
                 {"rejected", c.rejected},
                 {"false_alarms", c.false_alarms},
                 {"due_to_close", c.due_to_close},
                 {"closed", c.closed},
                 {"closed_on_time", c.closed_on_time},
                 {"reworked", c.reworked},
                 {"extended", c.extended},
                 {"evaluated", c.evaluated},
                 {"satisfied", c.satisfied},
                 {"open", c.open},
                 {"overdue", c.overdue}};
  json rates = json::array();
  for (const auto& rv : row.rates) {
    rates.push_back({{"name", rv.name},
                     {"numerator", rv.numerator},
                     {"denominator", rv.denominator},
                     {"defined", rv.defined},
                     {"text", rv.text},
                     {"value", rv.defined ? json(rv.value()) : json()}});
  }
  return {{"group", row.group},
          {"counts", std::move(counts)},
          {"mean_close_ms", row.mean_close_ms},
          {"p90_close_ms", row.p90_close_ms},
          {"rates", std::move(rates)}};
}

cases::IndicatorRow empty_indicator_row(const std::string& group,
                                        const cases::IndicatorConfig& config) {
  cases::IndicatorRow row;
  row.group = group;
  for (const auto& spec : config.rates) row.rates.push_back(cases::compute_rate(spec, 0, 0));
  return row;
}

json rate_definitions_json(const cases::IndicatorConfig& config) {
  json out = json::array();
  for (const auto& r : config.rates) {
    out.push_back(
        {{"name", r.name},
         {"numerator", r.numerator},
         {"denominator", r.denominator},
         {"rounding", r.rounding == cases::RateSpec::Rounding::kTruncate ? "truncate" : "half_up"},
         {"decimals", r.decimals},
         {"percent", r.percent}});
  }
  return out;
}

std::string indicators_csv(const json& answer) {
  static const char* kCounts[] = {"received",     "filed",     "rejected",       "false_alarms",
                                  "due_to_close", "closed",    "closed_on_time", "reworked",
                                  "extended",     "evaluated", "satisfied",      "open",
                                  "overdue"};
  const bool periods = answer.contains("interval");
  std::string out = periods ? "period," : "";
  out += text_of(answer.value("group_by", json("total")));
  for (const char* c : kCounts) out += std::string(",") + c;
  out += ",mean_close_ms,p90_close_ms";
  for (const auto& d : answer.value("definitions", json::array())) {
    out += "," + csv_field(d.value("name", ""));
  }
  out += "\r\n";
  for (const auto& row : answer.value("rows", json::array())) {
    if (periods) out += csv_field(row.value("period", "")) + ",";
    out += csv_field(row.value("group", ""));
    for (const char* c : kCounts) out += "," + text_of(row["counts"].value(c, json(0)));
    out += "," + std::to_string(static_cast<std::int64_t>(row.value("mean_close_ms", 0.0)));
    out += "," + text_of(row.value("p90_close_ms", json(0)));
    for (const auto& r : row.value("rates", json::array())) {
      out += "," + csv_field(r.value("text", ""));
    }
    out += "\r\n";
  }
  return out;
}

}  // namespace gridsight::api
