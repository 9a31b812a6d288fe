#include "aggregator/cases/working_calendar.h"

#include <gtest/gtest.h>

#include "common/config/section.h"

namespace gridsight::cases {
namespace {

// Local (UTC+8) wall time -> UTC ms.
std::int64_t local(const std::string& date, int h, int m = 0) {
  return parse_date(date) * 86'400'000 + (h * 60 + m) * 60'000 - 8 * 3'600'000;
}

WorkingCalendar calendar_2026() {
  auto s = config::load_file(std::string(GRIDSIGHT_SOURCE_DIR) + "/config/grid/calendar-2026.yaml");
  return WorkingCalendar::read(s);
}

TEST(Dates, CivilRoundTrip) {
  EXPECT_EQ(parse_date("1970-01-01"), 0);
  EXPECT_EQ(format_date(parse_date("2026-02-28")), "2026-02-28");
  EXPECT_EQ(parse_date("2026-03-01") - parse_date("2026-02-28"), 1);
  EXPECT_EQ(parse_date("2024-03-01") - parse_date("2024-02-28"), 2);  // leap year
  EXPECT_THROW(parse_date("2026-02-30"), std::invalid_argument);
  EXPECT_THROW(parse_date("2026-2-3"), std::invalid_argument);
  // Century years, and days before 1970.
  EXPECT_EQ(parse_date("2000-03-01") - parse_date("2000-02-28"), 2);  // leap (divisible by 400)
  EXPECT_EQ(parse_date("2100-03-01") - parse_date("2100-02-28"), 1);  // not leap (by 100)
  EXPECT_THROW(parse_date("2100-02-29"), std::invalid_argument);
  EXPECT_EQ(parse_date("1969-12-31"), -1);
  EXPECT_EQ(format_date(-719468), "0000-03-01");
  WorkingCalendar c;                                         // Saturday and Sunday off
  EXPECT_FALSE(c.is_working_day(parse_date("1969-12-28")));  // Sunday
  EXPECT_TRUE(c.is_working_day(parse_date("1969-12-29")));   // Monday
}

TEST(WorkingCalendar, WeekendsHolidaysAndMakeupDays2026) {
  WorkingCalendar c = calendar_2026();
  EXPECT_TRUE(c.is_working_day(parse_date("2026-09-30")));   // Wednesday
  EXPECT_FALSE(c.is_working_day(parse_date("2026-10-01")));  // National Day (Thursday)
  EXPECT_FALSE(c.is_working_day(parse_date("2026-10-03")));  // Saturday and holiday
  EXPECT_TRUE(c.is_working_day(parse_date("2026-10-10")));   // make-up Saturday
  EXPECT_TRUE(c.is_working_day(parse_date("2026-09-20")));   // make-up Sunday
  EXPECT_FALSE(c.is_working_day(parse_date("2026-11-28")));  // ordinary Saturday
  EXPECT_FALSE(c.is_working_day(parse_date("2026-11-29")));  // ordinary Sunday
  EXPECT_TRUE(c.is_working_day(parse_date("2026-02-14")));   // Saturday before Spring Festival
  EXPECT_FALSE(c.is_working_day(parse_date("2026-02-23")));  // Monday, last festival day
  EXPECT_EQ(c.minutes_per_day(), 450);                       // 08:30-12:00 + 13:30-17:30
}

TEST(WorkingCalendar, HoursWithinADaySkipLunch) {
  WorkingCalendar c = calendar_2026();
  // Tuesday 2026-11-24, 11:00 + 2 h: one hour before lunch, one after.
  EXPECT_EQ(c.add_working_minutes(local("2026-11-24", 11), 120), local("2026-11-24", 14, 30));
  EXPECT_EQ(c.add_working_minutes(local("2026-11-24", 12, 30), 30), local("2026-11-24", 14));
}

TEST(WorkingCalendar, AcrossTheNight) {
  WorkingCalendar c = calendar_2026();
  // 17:00 + 2 h: 30 min today, 90 min from 08:30 tomorrow.
  EXPECT_EQ(c.add_working_minutes(local("2026-11-24", 17), 120), local("2026-11-25", 10));
  // Reported at 22:00: the clock starts next morning.
  EXPECT_EQ(c.add_working_minutes(local("2026-11-24", 22), 60), local("2026-11-25", 9, 30));
}

TEST(WorkingCalendar, AcrossTheWeekend) {
  WorkingCalendar c = calendar_2026();
  // Friday 2026-11-27 16:30 + 4 h: 1 h on Friday, 3 h on Monday (08:30-11:30).
  EXPECT_EQ(c.add_working_minutes(local("2026-11-27", 16, 30), 240), local("2026-11-30", 11, 30));
  // One working day (450 min) from Friday 10:00 -> Monday 10:00.
  EXPECT_EQ(c.add_working_minutes(local("2026-11-27", 10), 450), local("2026-11-30", 10));
}

TEST(WorkingCalendar, AcrossNationalDayAndItsMakeupSaturday) {
  WorkingCalendar c = calendar_2026();
  // Wednesday 30 September 17:00 + 1 h: 30 min, then nothing until Thursday 8 October.
  EXPECT_EQ(c.add_working_minutes(local("2026-09-30", 17), 60), local("2026-10-08", 9));
  // Friday 9 October 17:00 + 1 h: the make-up Saturday 10 October counts.
  EXPECT_EQ(c.add_working_minutes(local("2026-10-09", 17), 60), local("2026-10-10", 9));
  // Two working days from Thursday 24 September 10:00: 25-27 are Mid-Autumn, 28 Monday...
  EXPECT_EQ(c.add_working_minutes(local("2026-09-24", 10), 900), local("2026-09-29", 10));
}

TEST(WorkingCalendar, SpringFestival) {
  WorkingCalendar c = calendar_2026();
  // Friday 13 February 17:00 + 1 h -> make-up Saturday 14 February 09:00.
  EXPECT_EQ(c.add_working_minutes(local("2026-02-13", 17), 60), local("2026-02-14", 9));
  // Saturday 14 February 17:00 + 1 h -> Tuesday 24 February 09:00.
  EXPECT_EQ(c.add_working_minutes(local("2026-02-14", 17), 60), local("2026-02-24", 9));
}

TEST(WorkingCalendar, WorkingTimeBetween) {
  WorkingCalendar c = calendar_2026();
  EXPECT_EQ(c.working_ms_between(local("2026-11-27", 16, 30), local("2026-11-30", 11, 30)),
            240 * 60'000);
  EXPECT_EQ(c.working_ms_between(local("2026-11-28", 9), local("2026-11-28", 12)), 0);
  EXPECT_EQ(c.add_working_minutes(local("2026-11-28", 9), 0), local("2026-11-28", 9));
}

TEST(WorkingCalendar, ConfigErrorsNameTheKey) {
  auto bad = config::load_string("holidays: [2026-02-30]\n", "cal.yaml");
  try {
    WorkingCalendar::read(bad);
    FAIL();
  } catch (const config::Error& e) {
    EXPECT_NE(std::string(e.what()).find("holidays"), std::string::npos) << e.what();
  }
  auto overlap = config::load_string("workday: [\"08:00-12:00\", \"11:00-13:00\"]\n", "cal.yaml");
  EXPECT_THROW(WorkingCalendar::read(overlap), config::Error);
  auto both = config::load_string("holidays: [2026-10-10]\nmakeup_days: [2026-10-10]\n", "c");
  EXPECT_THROW(WorkingCalendar::read(both), config::Error);
}

}  // namespace
}  // namespace gridsight::cases
