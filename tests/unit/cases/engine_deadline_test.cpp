// Deadlines: reminders at a share of the limit, supervision rounds escalating level by level,
// on the working calendar; and indicators through the engine.

#include "tests/unit/cases/engine_fixture.h"

namespace gridsight::cases {
namespace {
using testing::EngineTest;
using testing::kHour;
using testing::kMin;
using testing::local;

std::vector<CaseOutput> of_kind(const std::vector<CaseOutput>& all, OutputKind k) {
  std::vector<CaseOutput> out;
  for (const auto& o : all) {
    if (o.kind == k) out.push_back(o);
  }
  return out;
}

TEST_F(EngineTest, ReminderAtTheConfiguredShareOfTheLimit) {
  CaseId id = feed(event("e1", "parking.illegal")).case_id;  // 10:00, due 12:00
  tick(local("2026-11-24", 11, 29));
  EXPECT_TRUE(of_kind(sink.outputs, OutputKind::kReminder).empty());
  tick(local("2026-11-24", 11, 30));  // 75% of 2 h
  auto reminders = of_kind(sink.outputs, OutputKind::kReminder);
  ASSERT_EQ(reminders.size(), 1u);
  EXPECT_EQ(reminders[0].case_id, id);
  EXPECT_EQ(reminders[0].due_ms, local("2026-11-24", 12));
  tick(local("2026-11-24", 11, 45));
  EXPECT_EQ(of_kind(sink.outputs, OutputKind::kReminder).size(), 1u);  // once
  EXPECT_EQ(stored(id).history.back().action, Action::kRemind);
}

TEST_F(EngineTest, SupervisionRoundsEscalateGridStreetDistrict) {
  CaseId id = feed(event("e1", "parking.illegal")).case_id;  // due 12:00
  tick(local("2026-11-24", 11, 59));
  EXPECT_TRUE(of_kind(sink.outputs, OutputKind::kSupervision).empty());
  tick(local("2026-11-24", 12));
  // Next rounds every 240 working minutes: 12:00 -> 17:30 (lunch), -> Wed 14:30.
  tick(local("2026-11-24", 17, 29));
  tick(local("2026-11-24", 17, 30));
  tick(local("2026-11-25", 14, 29));
  tick(local("2026-11-25", 14, 30));
  tick(local("2026-11-30", 9));  // no fourth round
  auto rounds = of_kind(sink.outputs, OutputKind::kSupervision);
  ASSERT_EQ(rounds.size(), 3u);
  EXPECT_EQ(rounds[0].round, 1);
  EXPECT_EQ(rounds[0].escalation_level, "grid");
  EXPECT_EQ(rounds[0].escalation_code, "110105001001001");
  EXPECT_EQ(rounds[0].at_ms, local("2026-11-24", 12));
  EXPECT_EQ(rounds[1].escalation_level, "street");
  EXPECT_EQ(rounds[1].escalation_code, "110105001");
  EXPECT_EQ(rounds[1].at_ms, local("2026-11-24", 17, 30));
  EXPECT_EQ(rounds[2].escalation_level, "district");
  EXPECT_EQ(rounds[2].escalation_code, "110105");
  EXPECT_EQ(rounds[2].at_ms, local("2026-11-25", 14, 30));
  EXPECT_EQ(stored(id).supervision_round, 3);
}

TEST_F(EngineTest, ResolvedCasesAreNotSupervised) {
  CaseId id = feed(event("e1", "parking.illegal")).case_id;
  act(id, Action::kResolve, "traffic-police");
  tick(local("2026-11-26", 12));
  EXPECT_TRUE(of_kind(sink.outputs, OutputKind::kSupervision).empty());
  EXPECT_TRUE(of_kind(sink.outputs, OutputKind::kReminder).empty());
}

TEST_F(EngineTest, DeadlineOverTheWeekend) {
  clock.set(local("2026-11-27", 17));  // Friday
  CaseId id = feed(event("e1", "parking.illegal")).case_id;
  EXPECT_EQ(stored(id).due_ms, local("2026-11-30", 10, 30));  // Monday
  tick(local("2026-11-29", 23));
  EXPECT_TRUE(of_kind(sink.outputs, OutputKind::kSupervision).empty());
}

TEST_F(EngineTest, IndicatorsFromTheStore) {
  CaseId a = feed(event("e1", "parking.illegal")).case_id;
  act(a, Action::kResolve, "traffic-police");
  act(a, Action::kVerify);
  act(a, Action::kClose);
  protocol::Event late = event("e2", "parking.illegal", "cam-x");
  late.location = point(35, 5);
  CaseId b = feed(late).case_id;
  clock.set(local("2026-11-24", 15));  // after b's due (12:00)
  act(b, Action::kResolve, "street-traffic");
  act(b, Action::kVerify);
  act(b, Action::kClose);
  feed(event("g1", "garbage.exposed"));  // received, not filed
  IndicatorQuery q{local("2026-11-24", 0), local("2026-11-25", 0), "110105", GroupBy::kTotal, 15};
  auto rows = engine->indicators(q, IndicatorConfig{});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].counts.received, 3);
  EXPECT_EQ(rows[0].counts.filed, 2);
  EXPECT_EQ(rows[0].counts.closed, 2);
  EXPECT_EQ(rows[0].counts.closed_on_time, 1);
  EXPECT_EQ(rows[0].rate("on_time_rate")->text, "50.00");
  q.cell_prefix = "110105001002";
  rows = engine->indicators(q, IndicatorConfig{});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].counts.filed, 1);
  EXPECT_THROW(engine->indicators({5, 5, "", GroupBy::kTotal, 15}, IndicatorConfig{}), CaseError);
}

}  // namespace
}  // namespace gridsight::cases
