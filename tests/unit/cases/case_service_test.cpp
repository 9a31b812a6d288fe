// The case service: one thread owns the engine; commands run while a re-check is unanswered;
// poison events are dead-lettered and later events flow; a restart replays from the cursor.
#include "aggregator/cases/case_service.h"

#include <chrono>
#include <thread>

#include "common/sqlite/database.h"
#include "tests/unit/cases/engine_fixture.h"

namespace gridsight::cases::testing {
namespace {

// The event store's rows, in memory (the port the service reads back after a restart).
class VectorLog final : public EventLog {
 public:
  std::vector<StoredEvent> events_after(std::int64_t after, std::size_t limit) override {
    std::vector<StoredEvent> out;
    for (const auto& e : rows) {
      if (e.row > after && out.size() < limit) out.push_back(e);
    }
    return out;
  }
  std::vector<StoredEvent> rows;
};

// Remembers the re-checks asked; answers only when the test says so.
class HeldRecheck final : public RecheckChannel {
 public:
  void ask(const RecheckRequest& r, RecheckReply reply) override {
    std::lock_guard lock(mu);
    asked.push_back(r);
    replies.push_back(std::move(reply));
  }
  std::size_t count() {
    std::lock_guard lock(mu);
    return asked.size();
  }
  std::mutex mu;
  std::vector<RecheckRequest> asked;
  std::vector<RecheckReply> replies;
};

class CaseServiceTest : public EngineTest {
 protected:
  ~CaseServiceTest() override {
    if (service) service->stop();
    service.reset();
  }

  void make_service(CaseServiceConfig sc = {}) {
    engine.reset();  // the service owns its own engine on the same store
    service = std::make_unique<CaseService>(
        sc,
        [this](CaseSink& out) {
          return std::make_unique<CaseEngine>(grid, cameras, classes, calendar, *store, out, clock,
                                              config, &metrics);
        },
        *store, log, held, clock, metrics);
    service->subscribe(sink);
  }

  StoredEvent stored_event(std::int64_t row, const std::string& id, const std::string& type) {
    return {row, event(id, type), clock.now_ms()};
  }

  // Waits for a state of the service (bounded; never a speed), moving the manual clock on so
  // that retries fall due.
  bool until(const std::function<bool()>& done) {
    for (int i = 0; i < 3000; ++i) {
      if (done()) return true;
      clock.advance(1'000);
      service->call([](CaseEngine&) { return 0; }).get();  // one more round of the service
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return done();
  }

  VectorLog log;
  HeldRecheck held;
  std::unique_ptr<CaseService> service;
};

TEST_F(CaseServiceTest, AnActionCompletesWhileAReCheckIsUnanswered) {
  CaseServiceConfig sc;
  sc.tick_interval_ms = 1'000;
  make_service(sc);
  service->start();
  service->push(stored_event(1, "s1", "vendor.stall"));  // 09006: self-correction 5 min
  service->push(stored_event(2, "p1", "parking.illegal"));
  ASSERT_TRUE(until([&] { return service->stats().cursor == 2; }));
  clock.advance(6 * kMin);
  ASSERT_TRUE(until([&] { return held.count() == 1; }));
  EXPECT_EQ(held.asked[0].camera_id, "cam-1");
  const CaseId stall = held.asked[0].case_id;

  // The box has not answered: a person's action still completes.
  const CaseId parking = *store->case_of_event("p1");
  Command c;
  c.action = Action::kResolve;
  c.actor = "traffic-police";
  c.note = "towed";
  Case done = service->act(parking, c).get();
  EXPECT_EQ(done.state, State::kResolved);
  EXPECT_EQ(stored(stall).state, State::kSelfCorrection);
  EXPECT_EQ(service->stats().rechecks_in_flight, 1u);

  // The answer comes back as a command.
  held.replies[0](RecheckAnswer::kGone);
  ASSERT_TRUE(until([&] { return stored(stall).state == State::kSelfCorrected; }));
  // The figure follows the service's loop, after the answer's command was committed.
  EXPECT_TRUE(until([&] { return service->stats().rechecks_in_flight == 0; }));
  // Errors travel in the future.
  EXPECT_THROW(service->act(9999, c).get(), CaseError);
}

TEST_F(CaseServiceTest, APoisonEventIsDeadLetteredAndLaterEventsAreTaken) {
  CaseServiceConfig sc;
  sc.poison_attempts = 3;
  sc.poison_retry_ms = 100;
  make_service(sc);
  store->database().exec(
      "CREATE TRIGGER poison BEFORE INSERT ON case_reports WHEN NEW.event_id = 'bad' "
      "BEGIN SELECT RAISE(ABORT, 'refused'); END");
  service->start();
  service->push(stored_event(1, "bad", "parking.illegal"));
  for (int i = 0; i < 100; ++i) {
    service->push(stored_event(2 + i, "ok-" + std::to_string(i), "garbage.exposed"));
  }
  ASSERT_TRUE(until([&] { return service->stats().cursor == 101; }));
  EXPECT_EQ(store->dead_event_count(), 1u);
  auto dead = store->dead_events(std::nullopt, 10);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].event_id, "bad");
  EXPECT_EQ(dead[0].row, 1);
  EXPECT_EQ(dead[0].attempts, 3);
  EXPECT_NE(dead[0].error.find("refused"), std::string::npos);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(store->case_of_event("ok-" + std::to_string(i)));
  EXPECT_EQ(store->event_cursor(), 101);
  EXPECT_EQ(service->stats().dead_events, 1u);
}

TEST_F(CaseServiceTest, AStoreRefusingAllWritesDeadLettersNothing) {
  CaseServiceConfig sc;
  sc.poison_attempts = 2;
  sc.poison_retry_ms = 100;
  make_service(sc);
  store->database().exec(
      "CREATE TRIGGER full BEFORE INSERT ON case_reports BEGIN SELECT RAISE(ABORT, 'full'); END");
  store->database().exec(
      "CREATE TRIGGER cursor_full BEFORE INSERT ON case_cursor "
      "BEGIN SELECT RAISE(ABORT, 'full'); END");
  service->start();
  service->push(stored_event(1, "e1", "parking.illegal"));
  ASSERT_TRUE(until([&] { return metrics.value("gridsight_case_event_failures_total") >= 4; }));
  EXPECT_EQ(store->dead_event_count(), 0u);
  // The store's connection is the service's: change it on the service's thread, between two
  // of its transactions, both triggers at once.
  service
      ->call([&](CaseEngine&) {
        store->database().exec("DROP TRIGGER full; DROP TRIGGER cursor_full");
        return 0;
      })
      .get();
  ASSERT_TRUE(until([&] { return service->stats().cursor == 1; }));
  EXPECT_TRUE(store->case_of_event("e1"));
  EXPECT_EQ(store->dead_event_count(), 0u);
}

TEST_F(CaseServiceTest, ARestartReplaysFromTheCursorAndSkipsWhatWasTaken) {
  for (int i = 1; i <= 5; ++i) {
    log.rows.push_back(stored_event(i, "e" + std::to_string(i), "garbage.exposed"));
  }
  make_service();
  service->start();
  ASSERT_TRUE(until([&] { return service->stats().cursor == 5; }));
  service->stop();
  service.reset();
  EXPECT_EQ(store->event_cursor(), 5);
  const std::size_t outputs = sink.outputs.size();

  // Two more were stored while it was down; the first five are pushed again as well.
  log.rows.push_back(stored_event(6, "e6", "parking.illegal"));
  log.rows.push_back(stored_event(7, "e7", "parking.illegal"));
  make_service();
  service->start();
  for (const auto& e : log.rows) service->push(e);
  ASSERT_TRUE(until([&] { return service->stats().cursor == 7; }));
  EXPECT_EQ(metrics.value("gridsight_case_events_replayed_total"), 2.0 + 5.0);
  EXPECT_TRUE(store->case_of_event("e6"));
  // Only the new events made outputs (one parking case: new + filed + dispatched ...).
  EXPECT_GT(sink.outputs.size(), outputs);
  for (std::size_t i = outputs; i < sink.outputs.size(); ++i) {
    EXPECT_EQ(sink.outputs[i].class_code, "09009");
  }
}

}  // namespace
}  // namespace gridsight::cases::testing
