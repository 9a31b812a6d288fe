#pragma once
// The case service: the one owner of the case engine, on its own thread. Everything that
// changes cases is a command posted to it, and the caller gets a future:
//  - stored events, pushed by ingest after its commit (push());
//  - people's commands and reports (API, Open311), platform status updates (act(), report());
//  - re-check answers (posted by the re-check channel's reply);
//  - its own timer (deadlines, supervision, self-correction re-checks every tick interval).
// Each committed output goes to the subscribed sinks (MQTT, connector, live feed) in memory.
//
// The event cursor (the last event row taken) is saved in the same transaction as the cases
// the events made. On start the service replays the event log from the cursor, then takes
// pushed events only (rows at or below the cursor are skipped), so a restart after kill -9
// neither loses an event nor files one twice.
//
// An event the engine keeps failing on while the store itself works (a poison event) is
// dead-lettered after `poison_attempts` attempts and skipped; later events keep flowing.
// Commands go before events: a person's action waits for at most one batch.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

#include "aggregator/cases/case_engine.h"
#include "aggregator/cases/event_log.h"
#include "aggregator/cases/recheck.h"

namespace gridsight {
class Clock;
class Metrics;
}  // namespace gridsight

namespace gridsight::cases {

class FanoutSink;

struct CaseServiceConfig {
  std::int64_t tick_interval_ms = 5'000;
  std::size_t batch_max = 500;           // events per transaction
  std::size_t queue_max = 100'000;       // pushed events held; beyond, read back from the log
  int poison_attempts = 3;               // failed attempts before an event is dead-lettered
  std::int64_t poison_retry_ms = 1'000;  // wait before the next attempt (doubles each time)
};

struct CaseServiceStats {
  std::uint64_t events_taken = 0;  // events the engine took (cases made, merged, ignored)
  std::uint64_t dead_events = 0;   // poison events dead-lettered by this run
  std::size_t queue_depth = 0;     // commands and events waiting
  std::size_t rechecks_in_flight = 0;
  std::int64_t cursor = 0;
};

class CaseService {
 public:
  // Makes the engine on `store` with the service's output sink.
  using EngineFactory = std::function<std::unique_ptr<CaseEngine>(CaseSink& outputs)>;
  // The service saves its cursor and dead letters in `store` (the engine's). `log` is read
  // back to replay after a restart (or after the pushed queue overflowed). Everything must
  // outlive the service.
  CaseService(CaseServiceConfig config, const EngineFactory& make_engine, store::CaseStore& store,
              EventLog& log, RecheckChannel& recheck, const Clock& clock, Metrics& metrics);
  ~CaseService();
  CaseService(const CaseService&) = delete;
  CaseService& operator=(const CaseService&) = delete;

  // Where committed outputs go, in order. At assembly only (before start()).
  void subscribe(CaseSink& sink);

  // Replays the event log from the cursor on the service's thread, then takes pushed events.
  void start();
  // Runs the commands already posted, then stops. Events not taken yet are stored: the next
  // start replays them. Commands posted after stop() fail (std::future_error).
  void stop();

  // A stored event (ingest, after its commit; any thread, rows increasing).
  void push(StoredEvent event);

  // Commands; the futures carry the result or the engine's CaseError.
  std::future<Case> act(CaseId id, Command command);
  std::future<IngestResult> report(ManualReport report);
  // Any other engine call on the service's thread.
  template <class F>
  auto call(F f) -> std::future<std::invoke_result_t<F, CaseEngine&>> {
    using R = std::invoke_result_t<F, CaseEngine&>;
    auto task = std::make_shared<std::packaged_task<R(CaseEngine&)>>(std::move(f));
    auto fut = task->get_future();
    post([task](CaseEngine& e) { (*task)(e); });
    return fut;
  }

  CaseServiceStats stats() const;

 private:
  struct Metrics_;
  using Command_ = std::function<void(CaseEngine&)>;
  void post(Command_ command);
  void run();
  void take(std::vector<StoredEvent>& batch);
  bool take_one(StoredEvent& e);
  void tick(std::int64_t now_ms);
  bool store_writable();

  CaseServiceConfig config_;
  std::unique_ptr<FanoutSink> outputs_;  // the engine's sink: to every subscriber in order
  std::unique_ptr<CaseEngine> engine_;
  store::CaseStore& store_;
  EventLog& log_;
  RecheckChannel& recheck_;
  const Clock& clock_;
  std::unique_ptr<Metrics_> m_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Command_> commands_;
  std::deque<StoredEvent> events_;
  bool overflowed_ = false;  // pushed events were dropped: read back from the log
  bool running_ = false;
  bool accepting_ = false;  // commands are taken (from start() until the thread ends)
  bool stopping_ = false;
  std::thread thread_;

  // The service thread's own state.
  bool replaying_ = true;          // reading the log (from the cursor) rather than the queue
  std::vector<StoredEvent> head_;  // taken from a source, not yet done (a failure waits here)
  std::int64_t cursor_ = 0;
  std::int64_t next_tick_ms_ = 0;
  std::int64_t retry_at_ms_ = 0;          // steady time of the head's next attempt
  std::map<std::int64_t, int> attempts_;  // failed attempts by row
  std::uint64_t replayed_ = 0;
};

}  // namespace gridsight::cases
