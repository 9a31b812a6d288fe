#pragma once
// Working time: working periods of a day (e.g. 08:30-12:00 and 13:30-17:30), weekends,
// public holidays and make-up working days (weekend days worked to bridge a holiday), in a
// fixed local time zone. Deadlines are counted in working minutes on this calendar.

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace gridsight::config {
class Section;
}

namespace gridsight::cases {

// Days are counted since 1970-01-01 in the calendar's local time; helpers for "2026-10-01".
// Parses "YYYY-MM-DD"; throws std::invalid_argument.
std::int64_t parse_date(const std::string& s);
std::string format_date(std::int64_t day);

class WorkingCalendar {
 public:
  struct Period {
    int start_minute;  // minutes after local midnight
    int end_minute;
  };

  // Mon-Fri 09:00-12:00, 13:30-17:30 (7 h), UTC+8, no holidays.
  WorkingCalendar();

  // utc_offset: "+08:00"; workday: ["08:30-12:00", "13:30-17:30"]; weekend: [sat, sun];
  // holidays: ["2026-10-01", ...]; makeup_days: ["2026-09-20", ...].
  static WorkingCalendar read(config::Section& s);

  void set_periods(std::vector<Period> periods);  // sorted, non-overlapping
  void set_utc_offset_minutes(int minutes) { offset_ms_ = std::int64_t{minutes} * 60'000; }
  void set_weekend(std::set<int> weekdays) { weekend_ = std::move(weekdays); }  // 0=Sun..6=Sat
  void add_holiday(std::int64_t day) { holidays_.insert(day); }
  void add_makeup_day(std::int64_t day) { makeup_.insert(day); }

  bool is_working_day(std::int64_t day) const;
  int minutes_per_day() const;

  // The instant `minutes` working minutes after `start_ms`. Zero returns start_ms.
  std::int64_t add_working_minutes(std::int64_t start_ms, std::int64_t minutes) const;
  // Working milliseconds in [from_ms, to_ms) (0 when to <= from).
  std::int64_t working_ms_between(std::int64_t from_ms, std::int64_t to_ms) const;
  // The local day of an instant.
  std::int64_t local_day(std::int64_t utc_ms) const;
  // The UTC instant of local midnight + minute on `day`.
  std::int64_t at(std::int64_t day, int minute) const;

 private:
  std::vector<Period> periods_;
  std::int64_t offset_ms_ = 8 * 3'600'000;
  std::set<int> weekend_ = {0, 6};
  std::set<std::int64_t> holidays_;
  std::set<std::int64_t> makeup_;
};

}  // namespace gridsight::cases
