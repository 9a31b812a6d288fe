#include "aggregator/cases/indicators.h"

#include <gtest/gtest.h>

#include "common/config/section.h"

namespace gridsight::cases {
namespace {

constexpr std::int64_t kFrom = 1'480'550'400'000;  // 2016-12-01 00:00 UTC
constexpr std::int64_t kTo = kFrom + 31LL * 86'400'000;
constexpr std::int64_t kHour = 3'600'000;

TEST(Rates, PublishedFigureTruncated) {
  // A seed district publishes 1192 closed of 1882 found as 63.33% (truncated, not rounded).
  RateSpec truncated{"closure", "closed", "received", RateSpec::Rounding::kTruncate, 2, true};
  RateValue v = compute_rate(truncated, 1192, 1882);
  EXPECT_EQ(v.text, "63.33");
  EXPECT_EQ(v.scaled, 6333);
  EXPECT_DOUBLE_EQ(v.value(), 63.33);
  RateSpec rounded = truncated;
  rounded.rounding = RateSpec::Rounding::kHalfUp;
  EXPECT_EQ(compute_rate(rounded, 1192, 1882).text, "63.34");
}

TEST(Rates, EdgesOfFormatting) {
  RateSpec pct{"r", "closed", "filed", RateSpec::Rounding::kHalfUp, 2, true};
  EXPECT_EQ(compute_rate(pct, 1, 1).text, "100.00");
  EXPECT_EQ(compute_rate(pct, 1, 3000).text, "0.03");
  EXPECT_EQ(compute_rate(pct, 0, 5).text, "0.00");
  EXPECT_FALSE(compute_rate(pct, 0, 0).defined);
  RateSpec ratio{"r", "closed", "filed", RateSpec::Rounding::kHalfUp, 3, false};
  EXPECT_EQ(compute_rate(ratio, 2, 3).text, "0.667");
  RateSpec whole{"r", "closed", "filed", RateSpec::Rounding::kTruncate, 0, true};
  EXPECT_EQ(compute_rate(whole, 2, 3).text, "66");
}

Case filed_case(std::int64_t id, std::int64_t t) {
  Case c;
  c.id = id;
  c.cell_code = "429006001001001";
  c.class_code = "09009";
  c.departments = {{"traffic-police", false, 0}};
  c.reported_ms = t;
  c.filed_ms = t;
  c.due_ms = t + 4 * kHour;
  c.state = State::kDispatched;
  return c;
}

// Tianmen, December 2016: received 1054, filed 996, due 972, closed 911 (93.72%), on time 737
// (75.82%).
std::vector<Case> tianmen() {
  std::vector<Case> cases;
  std::int64_t id = 0;
  for (int i = 0; i < 1054; ++i) {
    std::int64_t t = kFrom + i * 40LL * 60'000;  // spread over the month
    Case c = filed_case(++id, t);
    if (i < 58) {  // not filed
      c.state = State::kRejected;
      c.filed_ms = 0;
      c.due_ms = 0;
      c.rejection_label = i < 40 ? "false_alarm" : "not_our_matter";
    } else if (i < 58 + 737) {  // closed on time
      c.state = State::kClosed;
      c.closed_ms = t + 2 * kHour;
    } else if (i < 58 + 911) {  // closed late
      c.state = State::kClosed;
      c.closed_ms = t + 6 * kHour;
    } else if (i < 58 + 972) {  // due, still open
    } else {                    // not yet due at the end of the month
      c.reported_ms = c.filed_ms = kTo - 2 * kHour;
      c.due_ms = kTo + 10 * kHour;
    }
    cases.push_back(c);
  }
  return cases;
}

TEST(Indicators, ReproducesTianmenDecember2016) {
  IndicatorQuery q{kFrom, kTo, "", GroupBy::kTotal, 15};
  auto rows = compute_indicators(tianmen(), q, IndicatorConfig{});
  ASSERT_EQ(rows.size(), 1u);
  const Counts& n = rows[0].counts;
  EXPECT_EQ(n.received, 1054);
  EXPECT_EQ(n.filed, 996);
  EXPECT_EQ(n.due_to_close, 972);
  EXPECT_EQ(n.closed, 911);
  EXPECT_EQ(n.closed_on_time, 737);
  EXPECT_EQ(n.rejected, 58);
  EXPECT_EQ(n.false_alarms, 40);
  EXPECT_EQ(rows[0].rate("closure_rate")->text, "93.72");
  EXPECT_EQ(rows[0].rate("on_time_rate")->text, "75.82");
}

TEST(Indicators, PeriodAndSubtreeFilter) {
  IndicatorQuery q{kFrom, kTo, "429006001002", GroupBy::kTotal, 15};
  EXPECT_TRUE(compute_indicators(tianmen(), q, IndicatorConfig{}).empty());
  IndicatorQuery later{kTo, kTo + 86'400'000, "", GroupBy::kTotal, 15};
  EXPECT_TRUE(compute_indicators(tianmen(), later, IndicatorConfig{}).empty());
}

TEST(Indicators, TimesToCloseMeanAndP90) {
  std::vector<Case> cases;
  for (int i = 1; i <= 10; ++i) {
    Case c = filed_case(i, kFrom + i * kHour);
    c.state = State::kClosed;
    c.closed_ms = c.filed_ms + i * kHour;  // 1..10 hours
    cases.push_back(c);
  }
  auto rows = compute_indicators(cases, {kFrom, kTo, "", GroupBy::kTotal, 15}, IndicatorConfig{});
  EXPECT_DOUBLE_EQ(rows[0].mean_close_ms, 5.5 * kHour);
  EXPECT_EQ(rows[0].p90_close_ms, 9 * kHour);
}

TEST(Indicators, GroupsByCellDepartmentSourceAndCountsJointCasesInEachDepartment) {
  std::vector<Case> cases;
  Case a = filed_case(1, kFrom + kHour);
  a.cell_code = "429006001001001";
  Case b = filed_case(2, kFrom + kHour);
  b.cell_code = "429006001002001";
  b.source = Source::kHotline;
  b.departments = {{"traffic-police", false, 0}, {"urban-management", false, 0}};
  b.rework_count = 1;
  b.extension_count = 2;
  b.state = State::kEvaluated;
  b.closed_ms = b.filed_ms + kHour;
  b.satisfaction = Satisfaction::kBasicallySatisfied;
  b.evaluated_ms = b.closed_ms + kHour;
  cases = {a, b};
  IndicatorConfig cfg;
  auto by_community = compute_indicators(cases, {kFrom, kTo, "", GroupBy::kCell, 12}, cfg);
  ASSERT_EQ(by_community.size(), 2u);
  EXPECT_EQ(by_community[0].group, "429006001001");
  EXPECT_EQ(by_community[1].group, "429006001002");
  auto by_dep = compute_indicators(cases, {kFrom, kTo, "", GroupBy::kDepartment, 15}, cfg);
  ASSERT_EQ(by_dep.size(), 2u);
  EXPECT_EQ(by_dep[0].group, "traffic-police");
  EXPECT_EQ(by_dep[0].counts.filed, 2);
  EXPECT_EQ(by_dep[1].counts.filed, 1);
  auto by_source = compute_indicators(cases, {kFrom, kTo, "", GroupBy::kSource, 15}, cfg);
  ASSERT_EQ(by_source.size(), 2u);
  EXPECT_EQ(by_source[1].group, "hotline");
  EXPECT_EQ(by_source[1].rate("rework_rate")->text, "100.00");
  EXPECT_EQ(by_source[1].rate("extension_rate")->text, "100.00");
  EXPECT_EQ(by_source[1].rate("satisfaction_rate")->text, "100.00");
  EXPECT_FALSE(by_source[0].rate("satisfaction_rate")->defined);
}

TEST(Indicators, RankingIgnoresSmallGroups) {
  std::vector<IndicatorRow> rows(3);
  RateSpec spec{"closure_rate", "closed", "due_to_close", RateSpec::Rounding::kHalfUp, 2, true};
  rows[0].group = "big-good";
  rows[0].rates = {compute_rate(spec, 95, 100)};
  rows[1].group = "tiny-perfect";
  rows[1].rates = {compute_rate(spec, 3, 3)};
  rows[2].group = "big-poor";
  rows[2].rates = {compute_rate(spec, 50, 100)};
  auto ranked = rank(rows, "closure_rate", 10);
  ASSERT_EQ(ranked.size(), 2u);
  EXPECT_EQ(ranked[0].group, "big-good");
  EXPECT_EQ(ranked[1].group, "big-poor");
  EXPECT_EQ(rank(rows, "closure_rate", 1)[0].group, "tiny-perfect");
}

TEST(Indicators, ConfiguredRates) {
  auto s = config::load_string(R"(
min_count: 20
rates:
  - {name: closure_rate, numerator: closed, denominator: received, rounding: truncate}
)",
                               "indicators.yaml");
  IndicatorConfig cfg = IndicatorConfig::read(s);
  EXPECT_EQ(cfg.min_count, 20);
  ASSERT_EQ(cfg.rates.size(), 1u);
  EXPECT_EQ(cfg.rates[0].rounding, RateSpec::Rounding::kTruncate);
  auto bad = config::load_string("rates:\n  - {name: x, numerator: nope, denominator: filed}\n",
                                 "indicators.yaml");
  EXPECT_THROW(IndicatorConfig::read(bad), config::Error);
}

}  // namespace
}  // namespace gridsight::cases
