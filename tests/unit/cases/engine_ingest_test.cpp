// Edge events and manual reports becoming cases: placement, classification, routing,
// merging, recurrence, review and self-correction.

#include "common/sqlite/database.h"
#include "tests/unit/cases/engine_fixture.h"

namespace gridsight::cases {
namespace {
using testing::at;
using testing::EngineTest;
using testing::kHour;
using testing::kMin;
using testing::local;

TEST_F(EngineTest, AnEventBecomesACaseWithGridCodeClassDepartmentAndDeadline) {
  IngestResult r = feed(event("e1", "parking.illegal"));
  ASSERT_EQ(r.kind, IngestResult::Kind::kNewCase);
  Case c = stored(r.case_id);
  EXPECT_EQ(c.cell_code, "110105001001001");
  EXPECT_EQ(c.class_code, "09009");
  ASSERT_EQ(c.departments.size(), 1u);
  EXPECT_EQ(c.departments[0].department, "traffic-police");
  EXPECT_EQ(c.state, State::kDispatched);        // parking is filed and dispatched automatically
  EXPECT_EQ(c.due_ms, local("2026-11-24", 12));  // 2 working hours from 10:00
  EXPECT_EQ(c.source, Source::kAiCamera);
  EXPECT_EQ(c.detector, "parking.illegal");
  ASSERT_EQ(c.history.size(), 3u);
  EXPECT_EQ(c.history[0].action, Action::kReport);
  EXPECT_EQ(c.history[0].actor, "cam-1");
  EXPECT_EQ(c.history[1].action, Action::kFile);
  EXPECT_EQ(c.history[2].action, Action::kDispatch);
  ASSERT_EQ(sink.outputs.size(), 3u);
  EXPECT_EQ(sink.outputs[0].kind, OutputKind::kNewCase);
  EXPECT_EQ(sink.outputs[0].case_id, r.case_id);
  EXPECT_EQ(sink.outputs[2].departments, std::vector<std::string>{"traffic-police"});
  EXPECT_EQ(sink.outputs[2].due_ms, c.due_ms);
  EXPECT_EQ(store->outputs_of(r.case_id), sink.outputs);  // stored as published
}

TEST_F(EngineTest, RoutingFollowsTheAreaRule) {
  protocol::Event e = event("e1", "parking.illegal", "cam-x");
  e.location = point(35, 5);  // B grid 1, community 110105001002
  Case c = stored(feed(e).case_id);
  EXPECT_EQ(c.cell_code, "110105001002001");
  EXPECT_EQ(c.departments[0].department, "street-traffic");
}

TEST_F(EngineTest, DuplicatesUnmappedAndUnlocatedEvents) {
  CaseId id = feed(event("e1", "parking.illegal")).case_id;
  std::size_t outputs = sink.outputs.size();
  EXPECT_EQ(feed(event("e1", "parking.illegal")).kind, IngestResult::Kind::kDuplicate);
  EXPECT_EQ(stored(id).reports.size(), 1u);
  EXPECT_EQ(sink.outputs.size(), outputs);
  EXPECT_EQ(feed(event("e2", "weather.sunny")).kind, IngestResult::Kind::kUnmapped);
  EXPECT_EQ(feed(event("e3", "parking.illegal", "unknown-cam")).kind,
            IngestResult::Kind::kUnlocated);
  protocol::Event far = event("e4", "parking.illegal", "unknown-cam");
  far.location = protocol::GeoPoint{121.47, 31.23, protocol::Crs::kWgs84};  // Shanghai
  EXPECT_EQ(feed(far).kind, IngestResult::Kind::kUnlocated);
  EXPECT_EQ(metrics.value("gridsight_case_events_unmapped_total", {{"type", "weather.sunny"}}), 1);
}

TEST_F(EngineTest, RepeatsWithinTheClassWindowMerge) {
  CaseId id = feed(event("e1", "parking.illegal")).case_id;
  clock.advance(20 * kMin);
  IngestResult r = feed(event("e2", "parking.illegal"));
  EXPECT_EQ(r.kind, IngestResult::Kind::kMerged);
  EXPECT_EQ(r.case_id, id);
  clock.advance(29 * kMin);  // parking window 30 min from the last report
  EXPECT_EQ(feed(event("e3", "parking.illegal")).case_id, id);
  EXPECT_EQ(stored(id).reports.size(), 3u);
  clock.advance(31 * kMin);
  IngestResult late = feed(event("e4", "parking.illegal"));
  EXPECT_EQ(late.kind, IngestResult::Kind::kNewCase);
  EXPECT_NE(late.case_id, id);
}

TEST_F(EngineTest, WindowsArePerClass) {
  CaseId id = feed(event("g1", "garbage.exposed")).case_id;  // window 10 min
  clock.advance(9 * kMin);
  EXPECT_EQ(feed(event("g2", "garbage.exposed")).case_id, id);
  clock.advance(11 * kMin);
  EXPECT_NE(feed(event("g3", "garbage.exposed")).case_id, id);
  // Another class at the same spot is another case.
  EXPECT_NE(feed(event("p1", "parking.illegal")).case_id, id);
}

TEST_F(EngineTest, CamerasWatchingTheSameSpotMerge) {
  CaseId id = feed(event("a", "parking.illegal", "cam-2", "gate")).case_id;
  IngestResult r = feed(event("b", "parking.illegal", "cam-3", "gate"));
  EXPECT_EQ(r.kind, IngestResult::Kind::kMerged);
  EXPECT_EQ(r.case_id, id);
  // A camera without a registry entry reporting a location within the merge radius (15 m).
  protocol::Event near = event("c", "parking.illegal", "cam-9");
  grid::LonLat p = at(35, 35);
  near.location = protocol::GeoPoint{p.lon + 0.0001, p.lat, protocol::Crs::kWgs84};  // ~8.5 m
  EXPECT_EQ(feed(near).case_id, id);
  protocol::Event far = event("d", "parking.illegal", "cam-9");
  far.location = protocol::GeoPoint{p.lon + 0.0003, p.lat, protocol::Crs::kWgs84};  // ~26 m
  EXPECT_NE(feed(far).case_id, id);
  Case c = stored(id);
  ASSERT_EQ(c.reports.size(), 3u);
  EXPECT_EQ(c.reports[1].camera_id, "cam-3");
}

TEST_F(EngineTest, RecurrenceAfterClosingOpensALinkedCase) {
  CaseId id = feed(event("e1", "parking.illegal")).case_id;
  act(id, Action::kResolve, "traffic-police");
  act(id, Action::kVerify);
  act(id, Action::kClose);
  clock.advance(5 * kMin);
  IngestResult r = feed(event("e2", "parking.illegal"));
  EXPECT_EQ(r.kind, IngestResult::Kind::kRecurrence);
  EXPECT_NE(r.case_id, id);
  EXPECT_EQ(stored(r.case_id).linked_case_id, id);
  EXPECT_EQ(stored(id).reports.size(), 1u);
}

TEST_F(EngineTest, HotlineReportConfirmsAnAiCaseWaitingForReview) {
  CaseId id = feed(event("g1", "garbage.exposed")).case_id;
  EXPECT_EQ(stored(id).state, State::kReported);  // garbage needs review
  ManualReport m;
  m.source = Source::kHotline;
  m.external_id = "12345-0001";
  m.class_code = "06010";
  grid::LonLat p = at(15, 5);
  m.location = {p.lon + 0.00005, p.lat, protocol::Crs::kWgs84};
  m.reporter = "hotline-12345";
  m.description = "rubbish by the bus stop";
  m.at_ms = clock.now_ms();
  IngestResult r = engine->report(m);
  EXPECT_EQ(r.kind, IngestResult::Kind::kMerged);
  EXPECT_EQ(r.case_id, id);
  Case c = stored(id);
  EXPECT_EQ(c.state, State::kDispatched);
  EXPECT_EQ(c.history[1].actor, "hotline-12345");
  EXPECT_EQ(c.reports[1].source, Source::kHotline);
  EXPECT_EQ(engine->report(m).kind, IngestResult::Kind::kDuplicate);
}

TEST_F(EngineTest, GridWorkerReportAloneIsFiledAtOnceAndLaterAiReportsMergeIntoIt) {
  ManualReport m;
  m.source = Source::kGridWorker;
  m.external_id = "w-77";
  m.class_code = "06010";
  grid::LonLat p = at(15, 5);
  m.location = {p.lon, p.lat, protocol::Crs::kWgs84};
  m.reporter = "grid-worker-zhang";
  m.at_ms = clock.now_ms();
  IngestResult r = engine->report(m);
  ASSERT_EQ(r.kind, IngestResult::Kind::kNewCase);
  Case c = stored(r.case_id);
  EXPECT_EQ(c.state, State::kDispatched);
  EXPECT_EQ(c.source, Source::kGridWorker);
  clock.advance(2 * kMin);
  EXPECT_EQ(feed(event("g1", "garbage.exposed")).case_id, r.case_id);

  m.external_id = "w-78";
  m.class_code = "99999";
  EXPECT_THROW(engine->report(m), CaseError);
  m.class_code = "06010";
  m.location = {121.47, 31.23, protocol::Crs::kWgs84};
  EXPECT_THROW(engine->report(m), CaseError);
}

TEST_F(EngineTest, RejectionsAreLabelledCountedAndSuppressRepeats) {
  CaseId id = feed(event("g1", "garbage.exposed")).case_id;
  Command reject;
  reject.action = Action::kReject;
  reject.actor = "operator-li";
  EXPECT_THROW(engine->act(id, reject), CaseError);  // a label is required
  reject.label = "false_alarm";
  Case c = engine->act(id, reject);
  EXPECT_EQ(c.state, State::kRejected);
  EXPECT_EQ(c.rejection_label, "false_alarm");
  EXPECT_EQ(metrics.value("gridsight_cases_rejected_total", {{"class", "06010"},
                                                             {"camera", "cam-1"},
                                                             {"detector", "garbage.exposed"},
                                                             {"label", "false_alarm"}}),
            1);
  clock.advance(5 * kMin);
  EXPECT_EQ(feed(event("g2", "garbage.exposed")).case_id, id);  // still the false alarm
}

TEST_F(EngineTest, SelfCorrectionClearedByAFreshLook) {
  CaseId id = feed(event("s1", "vendor.stall")).case_id;
  EXPECT_EQ(stored(id).state, State::kSelfCorrection);
  recheck.answers = {RecheckAnswer::kGone};
  tick(clock.now_ms() + 4 * kMin);
  EXPECT_TRUE(recheck.requests.empty());
  tick(clock.now_ms() + 5 * kMin);
  ASSERT_EQ(recheck.requests.size(), 1u);
  EXPECT_EQ(recheck.requests[0].camera_id, "cam-1");
  EXPECT_EQ(recheck.requests[0].device_id, "edge-1");
  EXPECT_EQ(recheck.requests[0].case_id, id);
  Case c = stored(id);
  EXPECT_EQ(c.state, State::kSelfCorrected);
  EXPECT_EQ(engine->active_count(), 0u);
}

TEST_F(EngineTest, SelfCorrectionPersistsThenFilesAutomatically) {
  CaseId id = feed(event("s1", "vendor.stall")).case_id;
  recheck.answers = {RecheckAnswer::kStillPresent};
  tick(clock.now_ms() + 5 * kMin);
  Case c = stored(id);
  EXPECT_EQ(c.state, State::kDispatched);
  EXPECT_EQ(c.history[1].action, Action::kSelfCorrectionPersisted);
}

TEST_F(EngineTest, SelfCorrectionWithoutAChannelTrustsTheEvents) {
  protocol::Event ended = event("s1", "vendor.stall");
  ended.end_ms = clock.now_ms() + 2 * kMin;  // the stall left after two minutes
  CaseId gone = feed(ended).case_id;
  protocol::Event lasting = event("s2", "shop.outside");
  CaseId stays = feed(lasting).case_id;
  tick(clock.now_ms() + 5 * kMin);
  EXPECT_EQ(stored(gone).state, State::kSelfCorrected);
  EXPECT_EQ(stored(stays).state, State::kReported);  // shop.outside still needs review
}

TEST_F(EngineTest, RestartReloadsActiveCasesAndKeepsMerging) {
  CaseId id = feed(event("e1", "parking.illegal")).case_id;
  engine.reset();
  make_engine();
  EXPECT_EQ(engine->active_count(), 1u);
  clock.advance(10 * kMin);
  EXPECT_EQ(feed(event("e2", "parking.illegal")).case_id, id);
  EXPECT_EQ(feed(event("e1", "parking.illegal")).kind, IngestResult::Kind::kDuplicate);
}

TEST_F(EngineTest, BatchOfEventsInOneTransaction) {
  std::vector<protocol::Event> batch = {event("b1", "parking.illegal"),
                                        event("b2", "parking.illegal"),
                                        event("b3", "garbage.exposed")};
  auto results = engine->on_events(stored_events(batch, clock.now_ms()));
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[1].kind, IngestResult::Kind::kMerged);
  EXPECT_EQ(stored(results[0].case_id).reports.size(), 2u);
  EXPECT_EQ(stored(results[2].case_id).class_code, "06010");
}

TEST_F(EngineTest, AFailedBatchPublishesNothingAndKeepsMemoryInStepWithTheStore) {
  CaseId kept = feed(event("k1", "parking.illegal")).case_id;
  std::size_t published = sink.outputs.size();
  std::vector<protocol::Event> batch = {event("b1", "garbage.exposed"),
                                        event("b2", "parking.illegal"),
                                        event("k1", "parking.illegal")};
  auto results = engine->on_events(stored_events(batch, clock.now_ms()));
  EXPECT_EQ(results[2].kind, IngestResult::Kind::kDuplicate);
  EXPECT_GT(sink.outputs.size(), published);  // published after the commit

  published = sink.outputs.size();
  store->database().exec(
      "CREATE TRIGGER fail_reports BEFORE INSERT ON case_reports "
      "WHEN NEW.event_id = 'boom' BEGIN SELECT RAISE(ABORT, 'disk full'); END");
  std::vector<protocol::Event> failing = {event("n1", "shop.outside"),
                                          event("boom", "parking.illegal")};
  EXPECT_THROW(engine->on_events(stored_events(failing, clock.now_ms())), std::exception);
  EXPECT_EQ(sink.outputs.size(), published);  // nothing published
  EXPECT_FALSE(store->case_of_event("n1"));   // nothing kept
  store::CaseQuery all;
  std::size_t cases_before = store->list(all).cases.size();
  // Memory matches the store: the shop case was forgotten, the kept case still merges.
  EXPECT_EQ(feed(event("n2", "shop.outside")).kind, IngestResult::Kind::kNewCase);
  EXPECT_EQ(feed(event("k2", "parking.illegal")).case_id, kept);
  EXPECT_EQ(store->list(all).cases.size(), cases_before + 1);
}

}  // namespace
}  // namespace gridsight::cases
