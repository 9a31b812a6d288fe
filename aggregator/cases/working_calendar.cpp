#include "aggregator/cases/working_calendar.h"

#include <cassert>
#include <chrono>
#include <cstdio>
#include <stdexcept>

#include "common/config/section.h"

namespace gridsight::cases {
namespace {
constexpr std::int64_t kDayMs = 86'400'000;
constexpr std::int64_t kMinuteMs = 60'000;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// "08:30" -> 510; -1 when malformed.
int parse_hhmm(const std::string& s) {
  int h = 0, m = 0;
  char extra = 0;
  if (std::sscanf(s.c_str(), "%d:%d%c", &h, &m, &extra) != 2) return -1;
  if (h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0)) return -1;
  return h * 60 + m;
}
}  // namespace

std::int64_t parse_date(const std::string& s) {
  int y = 0;
  unsigned m = 0, d = 0;
  char extra = 0;
  if (s.size() != 10 || std::sscanf(s.c_str(), "%4d-%2u-%2u%c", &y, &m, &d, &extra) != 3 || m < 1 ||
      m > 12 || d < 1 || d > 31) {
    throw std::invalid_argument("\"" + s + "\" is not a date (YYYY-MM-DD)");
  }
  // A day past the month's end counts on into the next month: the round trip refuses it.
  const std::chrono::sys_days day{std::chrono::year{y} / std::chrono::month{m} /
                                  std::chrono::day{d}};
  const std::int64_t z = day.time_since_epoch().count();
  if (format_date(z) != s) throw std::invalid_argument("\"" + s + "\" is not a real date");
  return z;
}

std::string format_date(std::int64_t z) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{z}}};
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

WorkingCalendar::WorkingCalendar() {
  periods_ = {{9 * 60, 12 * 60}, {13 * 60 + 30, 17 * 60 + 30}};
}

void WorkingCalendar::set_periods(std::vector<Period> periods) {
  for (std::size_t i = 0; i < periods.size(); ++i) {
    assert(periods[i].start_minute < periods[i].end_minute);
    assert(i == 0 || periods[i - 1].end_minute <= periods[i].start_minute);
  }
  periods_ = std::move(periods);
}

WorkingCalendar WorkingCalendar::read(config::Section& s) {
  WorkingCalendar c;
  std::string offset = s.string("utc_offset", "+08:00");
  int sign = offset.empty() ? 0 : (offset[0] == '-' ? -1 : offset[0] == '+' ? 1 : 0);
  int off = sign == 0 ? -1 : parse_hhmm(offset.substr(1));
  if (off < 0 || off > 14 * 60) s.fail("utc_offset", "must look like +08:00");
  c.set_utc_offset_minutes(sign * off);
  if (s.has("workday")) {
    std::vector<Period> periods;
    for (const auto& p : s.strings("workday")) {
      auto dash = p.find('-');
      int a = dash == std::string::npos ? -1 : parse_hhmm(p.substr(0, dash));
      int b = dash == std::string::npos ? -1 : parse_hhmm(p.substr(dash + 1));
      if (a < 0 || b <= a || (!periods.empty() && periods.back().end_minute > a)) {
        s.fail("workday", "\"" + p + "\": periods must be HH:MM-HH:MM, in order, not overlapping");
      }
      periods.push_back({a, b});
    }
    if (periods.empty()) s.fail("workday", "needs at least one period");
    c.set_periods(std::move(periods));
  }
  if (s.has("weekend")) {
    static const char* kNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    std::set<int> wk;
    for (const auto& d : s.strings("weekend")) {
      int found = -1;
      for (int i = 0; i < 7; ++i) {
        if (d == kNames[i]) found = i;
      }
      if (found < 0) s.fail("weekend", "\"" + d + "\" is not one of sun, mon, ..., sat");
      wk.insert(found);
    }
    c.set_weekend(std::move(wk));
  }
  for (const char* key : {"holidays", "makeup_days"}) {
    for (const auto& d : s.strings(key)) {
      std::int64_t day = 0;
      try {
        day = parse_date(d);
      } catch (const std::invalid_argument& e) {
        s.fail(key, e.what());
      }
      if (std::string(key) == "holidays") {
        c.add_holiday(day);
      } else {
        c.add_makeup_day(day);
      }
    }
  }
  for (std::int64_t d : c.holidays_) {
    if (c.makeup_.count(d)) s.fail("makeup_days", format_date(d) + " is also a holiday");
  }
  s.finish();
  return c;
}

bool WorkingCalendar::is_working_day(std::int64_t day) const {
  if (makeup_.count(day)) return true;
  if (holidays_.count(day)) return false;
  const std::chrono::weekday weekday{std::chrono::sys_days{std::chrono::days{day}}};
  return weekend_.count(static_cast<int>(weekday.c_encoding())) == 0;  // 0=Sun..6=Sat
}

int WorkingCalendar::minutes_per_day() const {
  int m = 0;
  for (const auto& p : periods_) m += p.end_minute - p.start_minute;
  return m;
}

std::int64_t WorkingCalendar::local_day(std::int64_t utc_ms) const {
  return floor_div(utc_ms + offset_ms_, kDayMs);
}

std::int64_t WorkingCalendar::at(std::int64_t day, int minute) const {
  return day * kDayMs + minute * kMinuteMs - offset_ms_;
}

std::int64_t WorkingCalendar::add_working_minutes(std::int64_t start_ms,
                                                  std::int64_t minutes) const {
  assert(minutes >= 0);
  assert(!periods_.empty());
  std::int64_t remaining = minutes * kMinuteMs;
  if (remaining == 0) return start_ms;
  std::int64_t t = start_ms;
  for (std::int64_t day = local_day(start_ms);; ++day) {
    assert(day - local_day(start_ms) < 366 * 20 && "no working day in twenty years");
    if (!is_working_day(day)) continue;
    for (const auto& p : periods_) {
      std::int64_t a = std::max(t, at(day, p.start_minute));
      std::int64_t b = at(day, p.end_minute);
      if (a >= b) continue;
      if (remaining <= b - a) return a + remaining;
      remaining -= b - a;
    }
  }
}

std::int64_t WorkingCalendar::working_ms_between(std::int64_t from_ms, std::int64_t to_ms) const {
  std::int64_t total = 0;
  if (to_ms <= from_ms) return 0;
  for (std::int64_t day = local_day(from_ms); day <= local_day(to_ms); ++day) {
    if (!is_working_day(day)) continue;
    for (const auto& p : periods_) {
      std::int64_t a = std::max(from_ms, at(day, p.start_minute));
      std::int64_t b = std::min(to_ms, at(day, p.end_minute));
      if (b > a) total += b - a;
    }
  }
  return total;
}

}  // namespace gridsight::cases
