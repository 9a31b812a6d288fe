// Incident updates from the reporting camera (protocol 1.1): the end ("the camera no longer
// sees it") and later evidence attach to the incident's case; per class, the end only
// suggests verification or verifies a resolved case.

#include "tests/unit/cases/engine_fixture.h"

namespace gridsight::cases {
namespace {
using testing::EngineTest;
using testing::kMin;

protocol::Event update_of(const protocol::Event& first, const std::string& id,
                          const std::string& kind, std::int64_t end_ms) {
  protocol::Event u = first;
  u.event_id = id;
  u.update_of = first.event_id;
  u.update = kind;
  if (kind == protocol::kUpdateEnded) {
    u.end_ms = end_ms;
    u.evidence = {{"sha256:" + std::string(64, 'a'), 1000, "image/jpeg", "snapshot"}};
  }
  return u;
}

TEST_F(EngineTest, AnEndedUpdateIsRecordedAndSuggestsVerification) {
  protocol::Event first = event("e1", "parking.illegal");
  CaseId id = feed(first).case_id;
  State before = stored(id).state;
  clock.advance(10 * kMin);
  // Evidence (the clip) first: one more report, no transition, no new case.
  const std::size_t history = stored(id).history.size();
  IngestResult clip = feed(update_of(first, "e1-clip", protocol::kUpdateEvidence, 0));
  EXPECT_EQ(clip.kind, IngestResult::Kind::kUpdated);
  EXPECT_EQ(clip.case_id, id);
  EXPECT_EQ(stored(id).history.size(), history);
  EXPECT_EQ(stored(id).reports.size(), 2u);
  IngestResult r = feed(update_of(first, "e1-end", protocol::kUpdateEnded, clock.now_ms()));
  EXPECT_EQ(r.kind, IngestResult::Kind::kUpdated);
  EXPECT_EQ(r.case_id, id);
  Case c = stored(id);
  EXPECT_EQ(c.state, before);
  EXPECT_EQ(c.incident_ended_ms, clock.now_ms());
  ASSERT_EQ(c.reports.size(), 3u);
  EXPECT_EQ(c.reports[2].event_id, "e1-end");
  EXPECT_EQ(c.reports[2].note, kIncidentEndedNote);
  const Transition& t = c.history.back();
  EXPECT_EQ(t.action, Action::kIncidentEnded);
  EXPECT_EQ(t.actor, "camera cam-1");
  EXPECT_NE(t.note.find("the camera no longer sees it"), std::string::npos) << t.note;
  EXPECT_NE(t.note.find("closing snapshot sha256:aaaa"), std::string::npos) << t.note;
  EXPECT_NE(t.note.find("verification suggested"), std::string::npos) << t.note;
  // Repeated (re-sent by the edge): a duplicate; never a case of its own.
  EXPECT_EQ(feed(update_of(first, "e1-end", protocol::kUpdateEnded, clock.now_ms())).kind,
            IngestResult::Kind::kDuplicate);
  EXPECT_EQ(stored(id).history.size(), c.history.size());
  // Resolved: still for a supervisor to verify.
  act(id, Action::kResolve, "traffic-police");
  EXPECT_EQ(stored(id).state, State::kResolved);
  // An engine action is refused from a command.
  EXPECT_THROW(act(id, Action::kIncidentEnded), CaseError);
}

TEST_F(EngineTest, ACameraVerifyClassIsVerifiedByTheCamerasEnd) {
  EventClass parking = *classes.find("09009");
  parking.camera_end = EventClass::CameraEnd::kVerify;
  classes.add(parking);
  make_engine();
  // The end arrives while the department works: verified as soon as it reports back.
  protocol::Event first = event("p1", "parking.illegal");
  CaseId id = feed(first).case_id;
  ASSERT_EQ(stored(id).state, State::kDispatched);
  clock.advance(5 * kMin);
  feed(update_of(first, "p1-end", protocol::kUpdateEnded, clock.now_ms()));
  EXPECT_EQ(stored(id).state, State::kDispatched);
  Case c = act(id, Action::kResolve, "traffic-police");
  EXPECT_EQ(c.state, State::kVerified);
  EXPECT_EQ(c.history.back().action, Action::kVerify);
  EXPECT_EQ(c.history.back().actor, "camera cam-1");
  // A supervisor still closes it.
  EXPECT_EQ(act(id, Action::kClose, "supervisor").state, State::kClosed);

  // The end arrives when the case is already resolved: verified at once.
  clock.advance(60 * kMin);
  protocol::Event second = event("p2", "parking.illegal", "cam-x");
  second.location = point(35, 5);
  CaseId id2 = feed(second).case_id;
  act(id2, Action::kResolve, "street-traffic");
  ASSERT_EQ(stored(id2).state, State::kResolved);
  feed(update_of(second, "p2-end", protocol::kUpdateEnded, clock.now_ms()));
  EXPECT_EQ(stored(id2).state, State::kVerified);
}

TEST_F(EngineTest, AnUpdateOfAnIncidentWithoutACaseIsCountedNotACase) {
  protocol::Event first = event("w1", "weather.sunny");  // unmapped: no case
  EXPECT_EQ(feed(first).kind, IngestResult::Kind::kUnmapped);
  EXPECT_EQ(feed(update_of(first, "w1-end", protocol::kUpdateEnded, clock.now_ms())).kind,
            IngestResult::Kind::kUnmapped);
  EXPECT_EQ(metrics.value("gridsight_case_updates_orphan_total", {{"update", "ended"}}), 1);
}

}  // namespace
}  // namespace gridsight::cases
