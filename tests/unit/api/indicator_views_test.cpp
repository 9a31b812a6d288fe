// Trend periods in the district's time and the CSV export of an indicators answer.
#include "aggregator/api/indicator_views.h"

#include <gtest/gtest.h>

namespace gridsight::api {
namespace {

constexpr std::int64_t kHour = 3'600'000;
constexpr std::int64_t kDay = 24 * kHour;
// 2026-01-01T00:00:00Z.
constexpr std::int64_t kJan1 = 1767225600000;

TEST(TrendPeriods, MonthsStartAtLocalMidnightOfTheFirst) {
  // 2026-01-15 .. 2026-03-10 UTC, district at UTC+8.
  auto p = split_periods(kJan1 + 14 * kDay, kJan1 + 68 * kDay, TrendInterval::kMonth, 480);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].label, "2026-01");
  EXPECT_EQ(p[0].from_ms, kJan1 + 14 * kDay);            // the period's own start
  EXPECT_EQ(p[0].to_ms, kJan1 + 31 * kDay - 8 * kHour);  // 2026-02-01 00:00 +08:00
  EXPECT_EQ(p[1].label, "2026-02");
  EXPECT_EQ(p[1].to_ms, kJan1 + 59 * kDay - 8 * kHour);
  EXPECT_EQ(p[2].label, "2026-03");
  EXPECT_EQ(p[2].to_ms, kJan1 + 68 * kDay);
}

TEST(TrendPeriods, MonthsRunIntoTheNextYear) {
  // 2025-12-10 .. 2026-01-20 UTC, district at UTC+8.
  auto p = split_periods(kJan1 - 22 * kDay, kJan1 + 19 * kDay, TrendInterval::kMonth, 480);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].label, "2025-12");
  EXPECT_EQ(p[0].to_ms, kJan1 - 8 * kHour);  // 2026-01-01 00:00 +08:00
  EXPECT_EQ(p[1].label, "2026-01");
  EXPECT_EQ(p[1].from_ms, kJan1 - 8 * kHour);
}

TEST(TrendPeriods, WeeksStartOnLocalMonday) {
  // 2026-01-01 was a Thursday; its week began on Monday 2025-12-29.
  auto p = split_periods(kJan1, kJan1 + 14 * kDay, TrendInterval::kWeek, 480);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].label, "2025-12-29");
  EXPECT_EQ(p[1].label, "2026-01-05");
  EXPECT_EQ(p[1].from_ms, kJan1 + 4 * kDay - 8 * kHour);
  EXPECT_EQ(p[2].label, "2026-01-12");
  // An instant just before local midnight between Sunday and Monday stays in the old week.
  auto q =
      split_periods(kJan1 + 4 * kDay - 8 * kHour - 1, kJan1 + 4 * kDay, TrendInterval::kWeek, 480);
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q[0].label, "2025-12-29");
  EXPECT_EQ(q[1].label, "2026-01-05");
  EXPECT_FALSE(trend_interval_from_string("day"));
}

TEST(IndicatorsCsv, QuotesGroupsAndKeepsRateTexts) {
  cases::IndicatorConfig config;
  cases::IndicatorRow row;
  row.group = "a, \"b\"";
  row.counts.received = 3;
  row.rates.push_back(cases::compute_rate(config.rates[0], 1, 3));
  nlohmann::json answer = {{"group_by", "department"},
                           {"definitions", rate_definitions_json(config)},
                           {"rows", {indicator_row_json(row)}}};
  const std::string csv = indicators_csv(answer);
  EXPECT_EQ(csv.rfind("department,received,filed,", 0), 0u) << csv;
  EXPECT_NE(csv.find("\r\n\"a, \"\"b\"\"\",3,0,"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",33.33\r\n"), std::string::npos) << csv;
}

}  // namespace
}  // namespace gridsight::api
