#include "aggregator/api/indicator_views.h"

#include <chrono>
#include <cstdio>

namespace gridsight::api {

using json = nlohmann::json;

namespace {

constexpr std::int64_t kDayMs = 86'400'000;

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
  std::chrono::sys_days day{std::chrono::days{floor_div(from_ms + off, kDayMs)}};
  if (interval == TrendInterval::kWeek) {
    day -= std::chrono::weekday{day} - std::chrono::Monday;
  } else {
    const std::chrono::year_month_day ymd{day};
    day = ymd.year() / ymd.month() / 1;
  }
  for (int guard = 0; guard < 10'000; ++guard) {
    const std::chrono::year_month_day ymd{day};
    const int y = static_cast<int>(ymd.year());
    const auto m = static_cast<unsigned>(ymd.month());
    std::chrono::sys_days next;
    char label[16];
    if (interval == TrendInterval::kWeek) {
      next = day + std::chrono::days{7};
      std::snprintf(label, sizeof label, "%04d-%02u-%02u", y, m, static_cast<unsigned>(ymd.day()));
    } else {
      next = (ymd.year() / ymd.month() + std::chrono::months{1}) / 1;
      std::snprintf(label, sizeof label, "%04d-%02u", y, m);
    }
    const std::int64_t start = day.time_since_epoch().count() * kDayMs - off;
    const std::int64_t end = next.time_since_epoch().count() * kDayMs - off;
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
