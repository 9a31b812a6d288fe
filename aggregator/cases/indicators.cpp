#include "aggregator/cases/indicators.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "common/config/section.h"

namespace gridsight::cases {

__extension__ typedef __int128 Int128;  // rates of counts up to 10^18 without overflow

std::int64_t Counts::get(const std::string& n) const {
  if (n == "received") return received;
  if (n == "filed") return filed;
  if (n == "rejected") return rejected;
  if (n == "false_alarms") return false_alarms;
  if (n == "due_to_close") return due_to_close;
  if (n == "closed") return closed;
  if (n == "closed_on_time") return closed_on_time;
  if (n == "reworked") return reworked;
  if (n == "extended") return extended;
  if (n == "evaluated") return evaluated;
  if (n == "satisfied") return satisfied;
  if (n == "open") return open;
  if (n == "overdue") return overdue;
  return -1;
}

double RateValue::value() const {
  double v = static_cast<double>(scaled);
  for (int i = 0; i < decimals; ++i) v /= 10;
  return v;
}

RateValue compute_rate(const RateSpec& spec, std::int64_t num, std::int64_t den) {
  RateValue r;
  r.name = spec.name;
  r.numerator = num;
  r.denominator = den;
  r.decimals = spec.decimals;
  if (den <= 0) return r;
  r.defined = true;
  // Integer arithmetic, so 1192/1882 truncates to exactly 63.33.
  Int128 scale = spec.percent ? 100 : 1;
  for (int i = 0; i < spec.decimals; ++i) scale *= 10;
  Int128 n = static_cast<Int128>(num) * scale;
  Int128 q = spec.rounding == RateSpec::Rounding::kTruncate ? n / den : (2 * n + den) / (2 * den);
  r.scaled = static_cast<std::int64_t>(q);
  std::int64_t unit = 1;
  for (int i = 0; i < spec.decimals; ++i) unit *= 10;
  char buf[64];
  if (spec.decimals == 0) {
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(r.scaled));
  } else {
    std::snprintf(buf, sizeof buf, "%lld.%0*lld", static_cast<long long>(r.scaled / unit),
                  spec.decimals, static_cast<long long>(r.scaled % unit));
  }
  r.text = buf;
  return r;
}

IndicatorConfig::IndicatorConfig() {
  auto pct = [](std::string name, std::string num, std::string den) {
    return RateSpec{
        std::move(name), std::move(num), std::move(den), RateSpec::Rounding::kHalfUp, 2, true};
  };
  rates = {pct("closure_rate", "closed", "due_to_close"),
           pct("on_time_rate", "closed_on_time", "due_to_close"),
           pct("rework_rate", "reworked", "closed"),
           pct("extension_rate", "extended", "filed"),
           pct("satisfaction_rate", "satisfied", "evaluated"),
           pct("false_alarm_rate", "false_alarms", "received")};
}

IndicatorConfig IndicatorConfig::read(config::Section& s) {
  IndicatorConfig c;
  c.min_count = s.integer("min_count", c.min_count, 0, 1'000'000);
  if (s.has("rates")) {
    c.rates.clear();
    for (auto& r : s.list("rates")) {
      RateSpec spec;
      spec.name = r.required_string("name");
      spec.numerator = r.required_string("numerator");
      spec.denominator = r.required_string("denominator");
      if (Counts{}.get(spec.numerator) < 0) r.fail("numerator", "unknown count " + spec.numerator);
      if (Counts{}.get(spec.denominator) < 0) {
        r.fail("denominator", "unknown count " + spec.denominator);
      }
      spec.rounding = r.choice("rounding", "half_up", {"half_up", "truncate"}) == "truncate"
                          ? RateSpec::Rounding::kTruncate
                          : RateSpec::Rounding::kHalfUp;
      spec.decimals = static_cast<int>(r.integer("decimals", 2, 0, 6));
      spec.percent = r.boolean("percent", true);
      if (c.rate(spec.name)) r.fail("name", "rate " + spec.name + " is defined twice");
      r.finish();
      c.rates.push_back(std::move(spec));
    }
  }
  s.finish();
  return c;
}

const RateSpec* IndicatorConfig::rate(const std::string& name) const {
  for (const auto& r : rates) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

const RateValue* IndicatorRow::rate(const std::string& name) const {
  for (const auto& r : rates) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

namespace {

std::vector<std::string> group_keys(const Case& c, const IndicatorQuery& q) {
  switch (q.group_by) {
    case GroupBy::kTotal:
      return {"total"};
    case GroupBy::kCell:
      return {c.cell_code.substr(0, std::min(q.cell_digits, c.cell_code.size()))};
    case GroupBy::kDepartment: {
      std::vector<std::string> out;
      for (const auto& a : c.departments) out.push_back(a.department);
      if (out.empty()) out.push_back("");
      return out;
    }
    case GroupBy::kClass:
      return {c.class_code};
    case GroupBy::kSource:
      return {to_string(c.source)};
    case GroupBy::kDetector:
      return {c.detector};
    case GroupBy::kCamera:
      return {c.camera_id};
  }
  return {"total"};
}

struct Acc {
  Counts counts;
  std::vector<std::int64_t> close_times;
};

}  // namespace

std::vector<IndicatorRow> compute_indicators(const std::vector<Case>& cases,
                                             const IndicatorQuery& q,
                                             const IndicatorConfig& config) {
  std::map<std::string, Acc> groups;
  auto in = [&](std::int64_t t) { return t != 0 && t >= q.from_ms && t < q.to_ms; };
  auto by_end = [&](std::int64_t t) { return t != 0 && t < q.to_ms; };
  const std::int64_t as_of = q.as_of_ms ? q.as_of_ms : q.to_ms;
  for (const Case& c : cases) {
    if (c.cell_code.compare(0, q.cell_prefix.size(), q.cell_prefix) != 0) continue;
    bool received = in(c.reported_ms);
    bool filed = in(c.filed_ms);
    if (!received && !filed) continue;
    for (const std::string& key : group_keys(c, q)) {
      Acc& a = groups[key];
      Counts& n = a.counts;
      if (received) {
        ++n.received;
        if (is_open(c.state)) {
          ++n.open;
          if (c.state == State::kDispatched && c.due_ms != 0 && c.due_ms < as_of) ++n.overdue;
        }
        if (c.state == State::kRejected) {
          ++n.rejected;
          if (c.rejection_label == "false_alarm") ++n.false_alarms;
        }
      }
      if (!filed) continue;
      ++n.filed;
      bool closed = by_end(c.closed_ms);
      if (closed || (c.due_ms != 0 && c.due_ms < q.to_ms)) ++n.due_to_close;
      if (closed) {
        ++n.closed;
        if (c.closed_on_time()) ++n.closed_on_time;
        a.close_times.push_back(c.closed_ms - c.filed_ms);
      }
      if (c.rework_count > 0) ++n.reworked;
      if (c.extension_count > 0) ++n.extended;
      if (c.satisfaction && by_end(c.evaluated_ms)) {
        ++n.evaluated;
        if (*c.satisfaction != Satisfaction::kDissatisfied) ++n.satisfied;
      }
    }
  }
  std::vector<IndicatorRow> rows;
  for (auto& [key, a] : groups) {
    IndicatorRow row;
    row.group = key;
    row.counts = a.counts;
    if (!a.close_times.empty()) {
      std::sort(a.close_times.begin(), a.close_times.end());
      double sum = 0;
      for (auto t : a.close_times) sum += static_cast<double>(t);
      row.mean_close_ms = sum / static_cast<double>(a.close_times.size());
      // Nearest rank: the smallest value with at least 90% of the values at or below it.
      std::size_t rank = (a.close_times.size() * 90 + 99) / 100;
      row.p90_close_ms = a.close_times[std::max<std::size_t>(rank, 1) - 1];
    }
    for (const auto& spec : config.rates) {
      row.rates.push_back(
          compute_rate(spec, a.counts.get(spec.numerator), a.counts.get(spec.denominator)));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<IndicatorRow> rank(const std::vector<IndicatorRow>& rows, const std::string& rate_name,
                               std::int64_t min_count) {
  std::vector<IndicatorRow> out;
  for (const auto& r : rows) {
    const RateValue* v = r.rate(rate_name);
    if (v && v->defined && v->denominator >= min_count) out.push_back(r);
  }
  std::stable_sort(out.begin(), out.end(), [&](const IndicatorRow& a, const IndicatorRow& b) {
    return a.rate(rate_name)->scaled > b.rate(rate_name)->scaled;
  });
  return out;
}

}  // namespace gridsight::cases
