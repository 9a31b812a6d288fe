#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "aggregator/cases/case_json.h"
#include "aggregator/store/sqlite/sqlite_case_store.h"
#include "common/sqlite/database.h"

namespace gridsight::store {
namespace {
using cases::Case;
using cases::State;

class CaseStoreTest : public ::testing::Test {
 protected:
  CaseStoreTest() {
    path = (std::filesystem::path(::testing::TempDir()) /
            ("case-store-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db"))
               .string();
    std::filesystem::remove(path);
    store = std::make_unique<SqliteCaseStore>(path);
  }
  ~CaseStoreTest() override {
    store.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }

  static Case sample(const std::string& event_id, const std::string& cell) {
    Case c;
    c.state = State::kDispatched;
    c.class_code = "09009";
    c.cell_code = cell;
    c.spot = "cam-1/";
    c.lon = 116.41;
    c.lat = 39.91;
    c.source = cases::Source::kAiCamera;
    c.detector = "parking.illegal";
    c.camera_id = "cam-1";
    c.departments = {{"traffic-police", false, 0}, {"street-office", true, 77}};
    c.reported_ms = 1000;
    c.filed_ms = 1000;
    c.due_ms = 5000;
    c.linked_case_id = 3;
    c.satisfaction = cases::Satisfaction::kBasicallySatisfied;
    c.reports = {{event_id, cases::Source::kAiCamera, "cam-1", "parking.illegal", 1000, ""}};
    c.history = {{1, cases::Action::kReport, State::kReported, State::kReported, "cam-1", 1000, ""},
                 {2, cases::Action::kFile, State::kReported, State::kFiled, "op", 1000, "ok"}};
    return c;
  }

  std::string path;
  std::unique_ptr<SqliteCaseStore> store;
};

TEST_F(CaseStoreTest, RoundTripWithHistoryReportsAndOutputs) {
  Case c = sample("e1", "110105001001001");
  cases::CaseOutput out;
  out.kind = cases::OutputKind::kNewCase;
  out.transition = c.history[0];
  out.departments = {"traffic-police"};
  store->create(c, {out});
  ASSERT_GT(c.id, 0);
  std::optional<Case> back = store->get(c.id);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, c);
  EXPECT_EQ(store->case_of_event("e1"), c.id);
  EXPECT_FALSE(store->case_of_event("nope"));
  auto outs = store->outputs_of(c.id);
  ASSERT_EQ(outs.size(), 1u);
  EXPECT_EQ(outs[0].case_id, c.id);
  EXPECT_EQ(outs[0].transition, c.history[0]);
  EXPECT_EQ(cases::case_from_json(cases::to_json(c)), c);
}

TEST_F(CaseStoreTest, SaveAppendsOnlyTheDelta) {
  Case c = sample("e1", "110105001001001");
  store->create(c, {});
  CaseDelta d{c.history.size(), c.reports.size()};
  c.reports.push_back({"e2", cases::Source::kAiCamera, "cam-2", "parking.illegal", 2000, ""});
  c.history.push_back(
      {3, cases::Action::kDispatch, State::kFiled, State::kDispatched, "sys", 2000, ""});
  c.state = State::kDispatched;
  store->save(c, d, {});
  EXPECT_EQ(*store->get(c.id), c);
  EXPECT_EQ(store->case_of_event("e2"), c.id);
}

TEST_F(CaseStoreTest, AnEventBelongsToOneCaseOnly) {
  Case a = sample("e1", "110105001001001");
  store->create(a, {});
  Case b = sample("e1", "110105001001002");
  EXPECT_THROW(store->create(b, {}), sqlite::Error);
  EXPECT_EQ(store->list({}).cases.size(), 1u);  // the failed create left nothing
}

TEST_F(CaseStoreTest, FiltersAndKeysetPagination) {
  for (int i = 0; i < 7; ++i) {
    Case c = sample("e" + std::to_string(i), i < 4 ? "110105001001001" : "110105002001001");
    if (i == 6) c.departments = {{"fire-brigade", false, 0}};
    c.reported_ms = 1000 + i;
    store->create(c, {});
  }
  CaseQuery q;
  q.limit = 3;
  std::vector<cases::CaseId> seen;
  for (;;) {
    CasePage p = store->list(q);
    for (const auto& c : p.cases) seen.push_back(c.id);
    if (!p.next_before_id) break;
    q.before_id = p.next_before_id;
  }
  EXPECT_EQ(seen, (std::vector<cases::CaseId>{7, 6, 5, 4, 3, 2, 1}));
  CaseQuery sub;
  sub.cell_prefix = "110105002";
  EXPECT_EQ(store->list(sub).cases.size(), 3u);
  CaseQuery dep;
  dep.department = "fire-brigade";
  ASSERT_EQ(store->list(dep).cases.size(), 1u);
  EXPECT_EQ(store->list(dep).cases[0].id, 7);
  CaseQuery period;
  period.reported_from_ms = 1002;
  period.reported_to_ms = 1004;
  period.state = State::kDispatched;
  EXPECT_EQ(store->list(period).cases.size(), 2u);
  period.state = State::kClosed;
  EXPECT_TRUE(store->list(period).cases.empty());
}

TEST_F(CaseStoreTest, BatchRollbackLeavesNothing) {
  store->begin_batch();
  Case c = sample("e1", "110105001001001");
  store->create(c, {});
  store->rollback_batch();
  EXPECT_FALSE(store->get(c.id));
  store->begin_batch();
  Case d = sample("e2", "110105001001001");
  store->create(d, {});
  store->commit_batch();
  EXPECT_TRUE(store->get(d.id));
}

TEST_F(CaseStoreTest, DurableSettings) {
  EXPECT_EQ(store->database().journal_mode(), "wal");
  EXPECT_EQ(store->database().synchronous(), 2);
}

TEST_F(CaseStoreTest, ActiveCasesSkipTerminalOnes) {
  Case open = sample("e1", "110105001001001");
  store->create(open, {});
  Case done = sample("e2", "110105001001001");
  done.state = State::kEvaluated;
  store->create(done, {});
  Case closed = sample("e3", "110105001001001");
  closed.state = State::kClosed;
  store->create(closed, {});
  auto active = store->active_cases();
  ASSERT_EQ(active.size(), 2u);
  EXPECT_EQ(active[0].history.size(), 2u);
}

// The live feed's CaseOutputLog: every output in the order saved, paged by (after, up_to].
TEST_F(CaseStoreTest, OutputsReadBackInOrderForTheFeed) {
  cases::CaseOutputLog& log = *store;
  EXPECT_EQ(log.last_output_id(), 0);
  EXPECT_TRUE(log.outputs_between(0, 100, 10).empty());
  Case a = sample("e1", "110105001001001");
  cases::CaseOutput out;
  out.kind = cases::OutputKind::kNewCase;
  out.transition = a.history[0];
  out.departments = {"traffic-police"};
  store->create(a, {out, out});
  Case b = sample("e2", "110105001001002");
  store->create(b, {out});
  const std::int64_t head = log.last_output_id();
  ASSERT_EQ(head, 3);
  const auto all = log.outputs_between(0, head, 500);
  ASSERT_EQ(all.size(), 3u);
  for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].id, static_cast<int>(i) + 1);
  EXPECT_EQ(cases::output_from_json(all[0].body).case_id, a.id);
  EXPECT_EQ(cases::output_from_json(all[2].body).case_id, b.id);
  // A page: after 1, at most one; nothing past up_to.
  const auto page = log.outputs_between(1, head, 1);
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].id, 2);
  EXPECT_EQ(log.outputs_between(1, 2, 500).size(), 1u);
  EXPECT_TRUE(log.outputs_between(head, head, 500).empty());
}

}  // namespace
}  // namespace gridsight::store
