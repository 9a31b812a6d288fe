// Lifecycle commands through the engine: the whole loop, side paths, and refusals that
// change nothing.

#include "tests/unit/cases/engine_fixture.h"

namespace gridsight::cases {
namespace {
using testing::EngineTest;
using testing::kHour;
using testing::kMin;
using testing::local;

TEST_F(EngineTest, TheClosedLoopWithOperatorReview) {
  CaseId id = feed(event("g1", "garbage.exposed")).case_id;
  EXPECT_EQ(stored(id).state, State::kReported);
  clock.advance(10 * kMin);
  Case c = act(id, Action::kFile, "operator-li", "confirmed on video");
  EXPECT_EQ(c.state, State::kDispatched);  // auto-dispatch after filing
  EXPECT_EQ(c.departments[0].department, "sanitation");
  EXPECT_EQ(c.due_ms, local("2026-11-24", 15, 40));  // 10:10 + 4 working hours (lunch skipped)
  clock.advance(kHour);
  c = act(id, Action::kResolve, "sanitation-crew-3", "cleared, photo attached");
  EXPECT_EQ(c.state, State::kResolved);
  c = act(id, Action::kVerify, "grid-worker-zhang");
  c = act(id, Action::kClose, "operator-li");
  EXPECT_EQ(c.state, State::kClosed);
  EXPECT_TRUE(c.closed_on_time());
  EXPECT_EQ(engine->active_count(), 0u);
  c = act(id, Action::kEvaluate, "citizen");
  EXPECT_EQ(c.state, State::kEvaluated);
  EXPECT_EQ(c.satisfaction, Satisfaction::kSatisfied);
  Case s = stored(id);
  std::vector<Action> actions;
  for (const auto& t : s.history) actions.push_back(t.action);
  EXPECT_EQ(actions, (std::vector<Action>{Action::kReport, Action::kFile, Action::kDispatch,
                                          Action::kResolve, Action::kVerify, Action::kClose,
                                          Action::kEvaluate}));
  EXPECT_EQ(s.history[1].actor, "operator-li");
  EXPECT_EQ(s.history[1].note, "confirmed on video");
  EXPECT_EQ(s.history[3].actor, "sanitation-crew-3");
  EXPECT_EQ(s.history[1].at_ms, local("2026-11-24", 10, 10));
}

TEST_F(EngineTest, ReturnAndRedispatchToAnotherDepartment) {
  CaseId id = feed(event("e1", "parking.illegal")).case_id;
  Command ret{Action::kReturn, "traffic-police-desk", "", {}, "", "", {}, {}};
  EXPECT_THROW(engine->act(id, ret), CaseError);  // a reason is required
  ret.note = "private car park, not a public road";
  Case c = engine->act(id, ret);
  EXPECT_EQ(c.state, State::kReturned);
  EXPECT_EQ(c.return_count, 1);
  clock.advance(30 * kMin);
  Command redispatch{
      Action::kDispatch, "dispatcher-wang", "", {"property-management"}, "", "", {}, {}};
  c = engine->act(id, redispatch);
  EXPECT_EQ(c.state, State::kDispatched);
  EXPECT_EQ(c.departments[0].department, "property-management");
  EXPECT_EQ(c.due_ms, local("2026-11-24", 14));  // 10:30 + 2 working hours
}

TEST_F(EngineTest, JointCaseIsResolvedWhenEveryDepartmentHasReported) {
  CaseId id = feed(event("g1", "garbage.exposed")).case_id;
  act(id, Action::kReject, "x");  // reported -> rejected: not this one
  id = feed(event("g2", "shop.outside")).case_id;
  recheck.answers = {RecheckAnswer::kStillPresent};
  tick(clock.now_ms() + 5 * kMin);
  clock.advance(5 * kMin);
  // File without auto-dispatch by calling in: filing dispatches (auto_dispatch), so use a
  // returned case for the call-in.
  act(id, Action::kFile, "operator");
  act(id, Action::kReturn, "urban-management", "needs several departments");
  Command call{Action::kCallIn,
               "centre",
               "whistle",
               {"urban-management", "market-supervision", "street-office"},
               "",
               "",
               {},
               {}};
  Case c = engine->act(id, call);
  EXPECT_EQ(c.state, State::kDispatched);
  ASSERT_EQ(c.departments.size(), 3u);
  Command part{Action::kResolve,
               "market-supervision",
               "licence checked",
               {},
               "market-supervision",
               "",
               {},
               {}};
  c = engine->act(id, part);
  EXPECT_EQ(c.state, State::kDispatched);
  EXPECT_THROW(engine->act(id, part), CaseError);  // already resolved its part
  part.department = "fire-brigade";
  EXPECT_THROW(engine->act(id, part), CaseError);  // no part in this case
  part.department = "urban-management";
  engine->act(id, part);
  part.department = "street-office";
  c = engine->act(id, part);
  EXPECT_EQ(c.state, State::kResolved);
  EXPECT_EQ(c.history.back().from, State::kDispatched);
  Command bad_call{Action::kCallIn, "centre", "", {"a"}, "", "", {}, {}};
  EXPECT_THROW(engine->act(id, bad_call), CaseError);
}

TEST_F(EngineTest, ReworkWhenVerificationFails) {
  CaseId id = feed(event("e1", "parking.illegal")).case_id;
  act(id, Action::kResolve, "traffic-police");
  clock.advance(kHour);
  Case c = act(id, Action::kRework, "grid-worker-zhang", "car still there");
  EXPECT_EQ(c.state, State::kDispatched);
  EXPECT_EQ(c.rework_count, 1);
  EXPECT_FALSE(c.departments[0].resolved);
  EXPECT_EQ(c.due_ms, local("2026-11-24", 14, 30));  // a fresh limit from 11:00
}

TEST_F(EngineTest, ApprovedExtensionMovesTheDeadline) {
  CaseId id = feed(event("e1", "parking.illegal")).case_id;
  Case c = act(id, Action::kExtend, "director-chen", "towing truck booked");
  EXPECT_EQ(c.extension_count, 1);
  EXPECT_EQ(c.due_ms, local("2026-11-25", 12));  // + one working day (7 h)
  EXPECT_EQ(c.history.back().note, "1 working days: towing truck booked");
}

TEST_F(EngineTest, ParkingStopsTheClock) {
  CaseId id = feed(event("e1", "parking.illegal")).case_id;  // due 12:00
  clock.set(local("2026-11-24", 11));
  act(id, Action::kPark, "dispatcher", "waiting for the owner's return");
  tick(local("2026-11-25", 9));  // would be overdue if the clock ran
  EXPECT_EQ(stored(id).supervision_round, 0);
  clock.set(local("2026-11-25", 10));
  Case c = act(id, Action::kUnpark, "dispatcher");
  EXPECT_EQ(c.state, State::kDispatched);
  EXPECT_EQ(c.due_ms, local("2026-11-25", 11));  // the hour that was left
}

TEST_F(EngineTest, IllegalCommandsAreRefusedAndChangeNothing) {
  CaseId id = feed(event("e1", "parking.illegal")).case_id;
  Case before = stored(id);
  std::size_t outputs = sink.outputs.size();
  for (Action a :
       {Action::kClose, Action::kVerify, Action::kFile, Action::kEvaluate, Action::kUnpark}) {
    try {
      act(id, a);
      ADD_FAILURE() << to_string(a) << " accepted on a dispatched case";
    } catch (const CaseError& e) {
      EXPECT_EQ(e.code(), CaseError::Code::kIllegalTransition) << e.what();
    }
  }
  for (Action a : {Action::kRemind, Action::kSupervise, Action::kSelfCorrectionCleared}) {
    try {
      act(id, a);
      ADD_FAILURE() << to_string(a) << " accepted from a person";
    } catch (const CaseError& e) {
      EXPECT_EQ(e.code(), CaseError::Code::kInvalidArgument) << e.what();
    }
  }
  EXPECT_THROW(act(id, Action::kResolve, ""), CaseError);  // no actor
  EXPECT_EQ(stored(id), before);
  EXPECT_EQ(sink.outputs.size(), outputs);
  try {
    act(9999, Action::kFile);
    FAIL();
  } catch (const CaseError& e) {
    EXPECT_EQ(e.code(), CaseError::Code::kNotFound);
  }
}

TEST_F(EngineTest, VerificationCanAskTheSourceCameraForAFreshLook) {
  CaseId id = feed(event("e1", "parking.illegal")).case_id;
  act(id, Action::kResolve, "traffic-police");
  auto ask = engine->look_again(id);
  ASSERT_TRUE(ask);
  EXPECT_EQ(ask->case_id, id);
  EXPECT_EQ(ask->camera_id, "cam-1");
  EXPECT_EQ(ask->event_type, "parking.illegal");
  Case c = act(id, Action::kRework, "operator", "camera still sees the car");
  EXPECT_EQ(c.state, State::kDispatched);
}

TEST_F(EngineTest, ListAndDetailForTheApi) {
  for (int i = 0; i < 5; ++i) {
    protocol::Event e = event("e" + std::to_string(i), "parking.illegal", "cam-x");
    e.location = point(2 + i * 7, 5);
    feed(e);
  }
  store::CaseQuery q;
  q.limit = 2;
  store::CasePage p1 = engine->list(q);
  ASSERT_EQ(p1.cases.size(), 2u);
  ASSERT_TRUE(p1.next_before_id);
  q.before_id = p1.next_before_id;
  store::CasePage p2 = engine->list(q);
  EXPECT_EQ(p2.cases.size(), 2u);
  EXPECT_LT(p2.cases[0].id, p1.cases[1].id);
  q.before_id.reset();
  q.cell_prefix = "110105001002";
  q.limit = 50;
  EXPECT_EQ(engine->list(q).cases.size(), 2u);  // x = 23, 30
  std::optional<Case> detail = engine->get(p1.cases[0].id);
  ASSERT_TRUE(detail);
  EXPECT_EQ(detail->history.size(), 3u);
}

}  // namespace
}  // namespace gridsight::cases
