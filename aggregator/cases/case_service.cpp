#include "aggregator/cases/case_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>
#include <chrono>
#include <exception>

#include "aggregator/cases/fanout_sink.h"
#include "common/clock.h"
#include "common/metrics.h"

namespace gridsight::cases {

struct CaseService::Metrics_ {
  explicit Metrics_(Metrics& m)
      : metrics(m),
        taken(m.counter("gridsight_case_events_taken_total",
                        "Stored events the case engine took (pushed or replayed)")),
        replayed(m.counter("gridsight_case_events_replayed_total",
                           "Stored events read back from the event log after a restart")),
        dead(m.counter("gridsight_case_events_dead_lettered_total",
                       "Poison events dead-lettered by the case service")),
        failures(m.counter("gridsight_case_event_failures_total",
                           "Failed attempts to take a stored event")),
        commands(m.counter("gridsight_case_service_commands_total",
                           "Commands the case service ran (actions, reports, answers)")),
        command_us(m.counter("gridsight_case_service_command_latency_microseconds_total",
                             "Time from posting a command to its end, summed")),
        batches(m.counter("gridsight_case_service_batches_total", "Event batches committed")),
        batch_events(m.counter("gridsight_case_service_batch_events_total",
                               "Events in committed batches, summed")),
        depth(m.gauge("gridsight_case_service_queue_depth", "Commands and events waiting")),
        last_latency(m.gauge("gridsight_case_service_command_latency_last_seconds",
                             "Time from posting the last command to its end")),
        in_flight(m.gauge("gridsight_case_rechecks_in_flight",
                          "Self-correction re-checks asked and not answered yet")),
        cursor(m.gauge("gridsight_case_event_cursor", "Event store row the engine took last")) {}
  Counter& result(IngestResult::Kind k) {
    return metrics.counter("gridsight_case_events_total", "Stored events taken, by what they did",
                           {{"result", to_string(k)}});
  }
  Metrics& metrics;
  Counter& taken;
  Counter& replayed;
  Counter& dead;
  Counter& failures;
  Counter& commands;
  Counter& command_us;
  Counter& batches;
  Counter& batch_events;
  Gauge& depth;
  Gauge& last_latency;
  Gauge& in_flight;
  Gauge& cursor;
};

CaseService::CaseService(CaseServiceConfig config, const EngineFactory& make_engine,
                         store::CaseStore& store, EventLog& log, RecheckChannel& recheck,
                         const Clock& clock, Metrics& metrics)
    : config_(config),
      outputs_(std::make_unique<FanoutSink>()),
      engine_(make_engine(*outputs_)),
      store_(store),
      log_(log),
      recheck_(recheck),
      clock_(clock),
      m_(std::make_unique<Metrics_>(metrics)) {
  assert(engine_);
  cursor_ = store_.event_cursor();
  m_->cursor.set(static_cast<double>(cursor_));
}

CaseService::~CaseService() {
  stop();
}

void CaseService::subscribe(CaseSink& sink) {
  std::lock_guard lock(mu_);
  assert(!running_ && "outputs are subscribed at assembly, before start()");
  outputs_->add(sink);
}

void CaseService::start() {
  std::lock_guard lock(mu_);
  if (running_) return;
  running_ = true;
  accepting_ = true;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void CaseService::stop() {
  {
    std::lock_guard lock(mu_);
    if (!running_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  running_ = false;
}

void CaseService::push(StoredEvent event) {
  {
    std::lock_guard lock(mu_);
    if (events_.size() >= config_.queue_max) {
      overflowed_ = true;  // it is stored: the service reads it back from the log
      return;
    }
    events_.push_back(std::move(event));
    m_->depth.set(static_cast<double>(events_.size() + commands_.size()));
  }
  cv_.notify_all();
}

void CaseService::post(Command_ command) {
  // Not running: the command is dropped here, and its future reports a broken promise.
  const auto posted = std::chrono::steady_clock::now();
  Command_ timed = [this, posted, c = std::move(command)](CaseEngine& e) {
    c(e);
    const auto took = std::chrono::steady_clock::now() - posted;
    m_->commands.inc();
    m_->command_us.inc(static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(took).count()));
    m_->last_latency.set(std::chrono::duration<double>(took).count());
  };
  {
    std::lock_guard lock(mu_);
    if (!accepting_) return;
    commands_.push_back(std::move(timed));
    m_->depth.set(static_cast<double>(events_.size() + commands_.size()));
  }
  cv_.notify_all();
}

std::future<Case> CaseService::act(CaseId id, Command command) {
  return call([id, c = std::move(command)](CaseEngine& e) { return e.act(id, c); });
}

std::future<IngestResult> CaseService::report(ManualReport report) {
  return call([r = std::move(report)](CaseEngine& e) { return e.report(r); });
}

CaseServiceStats CaseService::stats() const {
  CaseServiceStats s;
  s.events_taken = m_->taken.value();
  s.dead_events = m_->dead.value();
  s.rechecks_in_flight = static_cast<std::size_t>(m_->in_flight.value());
  s.cursor = static_cast<std::int64_t>(m_->cursor.value());
  std::lock_guard lock(mu_);
  s.queue_depth = events_.size() + commands_.size();
  return s;
}

void CaseService::tick(std::int64_t now_ms) {
  for (const RecheckRequest& r : engine_->tick(now_ms)) {
    spdlog::info("cases: re-check of case {} asked of {}/{}", r.case_id, r.device_id, r.camera_id);
    const CaseId id = r.case_id;
    recheck_.ask(r, [this, id](RecheckAnswer a) {
      post([this, id, a](CaseEngine& e) {
        spdlog::info("cases: re-check of case {} answered: {}", id, to_string(a));
        e.on_recheck(id, a, clock_.now_ms());
      });
    });
  }
}

// Whether a write to the store works at all (then a failing event is the event's fault).
bool CaseService::store_writable() {
  try {
    store_.begin_batch();
    store_.set_event_cursor(cursor_);
    store_.commit_batch();
    return true;
  } catch (const std::exception& e) {
    try {
      store_.rollback_batch();
    } catch (const std::exception&) {
    }
    spdlog::error("cases: the case store refuses writes: {}", e.what());
    return false;
  }
}

// Takes one event alone; false when it failed (it stays at the head, retried later).
bool CaseService::take_one(StoredEvent& e) {
  try {
    std::vector<StoredEvent> one{e};
    auto results = engine_->on_events(one);
    m_->result(results.front().kind).inc();
    m_->taken.inc();
    m_->batches.inc();
    m_->batch_events.inc();
    cursor_ = e.row;
    attempts_.erase(e.row);
    return true;
  } catch (const std::exception& ex) {
    m_->failures.inc();
    const int n = ++attempts_[e.row];
    spdlog::warn("cases: event {} (row {}, {} from {}) failed, attempt {} of {}: {}",
                 e.event.event_id, e.row, e.event.type, e.event.device_id, n,
                 config_.poison_attempts, ex.what());
    if (n < config_.poison_attempts || !store_writable()) return false;
    store::DeadEvent d;
    d.row = e.row;
    d.event_id = e.event.event_id;
    d.device_id = e.event.device_id;
    d.type = e.event.type;
    d.error = std::string(ex.what()).substr(0, 1024);
    d.attempts = n;
    d.at_ms = clock_.now_ms();
    try {
      store_.begin_batch();
      store_.add_dead_event(d);
      store_.set_event_cursor(e.row);
      store_.commit_batch();
    } catch (const std::exception& w) {
      store_.rollback_batch();
      spdlog::error("cases: event {} not dead-lettered: {}", e.event.event_id, w.what());
      return false;
    }
    cursor_ = e.row;
    attempts_.erase(e.row);
    m_->dead.inc();
    spdlog::error("cases: event {} (row {}) dead-lettered after {} attempts: {}", e.event.event_id,
                  e.row, n, d.error);
    return true;
  }
}

// Takes a batch in one transaction; when it fails, event by event, so one poison event
// neither holds back nor takes down the others. What is left after a failure stays in
// `batch` (the head), retried after a backoff.
void CaseService::take(std::vector<StoredEvent>& batch) {
  if (batch.size() > 1 && !attempts_.count(batch.front().row)) {  // a failed head: one by one
    try {
      auto results = engine_->on_events(batch);
      for (const auto& r : results) m_->result(r.kind).inc();
      m_->taken.inc(batch.size());
      m_->batches.inc();
      m_->batch_events.inc(batch.size());
      cursor_ = batch.back().row;
      batch.clear();
      return;
    } catch (const std::exception& e) {
      spdlog::warn("cases: a batch of {} events failed ({}); taking them one by one", batch.size(),
                   e.what());
    }
  }
  std::size_t done = 0;
  while (done < batch.size() && take_one(batch[done])) ++done;
  batch.erase(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(done));
  if (!batch.empty()) {
    const int n = std::max(1, attempts_[batch.front().row]);
    retry_at_ms_ = clock_.steady_ms() + (config_.poison_retry_ms << std::min(n - 1, 6));
  }
}

void CaseService::run() {
  next_tick_ms_ = clock_.steady_ms();
  const std::int64_t from = cursor_;
  while (true) {
    std::deque<Command_> commands;
    bool stop_now = false;
    {
      std::unique_lock lock(mu_);
      // The head (a failed event) and the log (after a read error) wait for retry_at_ms_.
      const auto retrying = [&] { return !head_.empty() || (replaying_ && !overflowed_); };
      auto work = [&] {
        if (retrying()) return clock_.steady_ms() >= retry_at_ms_;
        return overflowed_ || !events_.empty();
      };
      auto ready = [&] {
        return stopping_ || !commands_.empty() || clock_.steady_ms() >= next_tick_ms_ || work();
      };
      while (!ready()) {
        std::int64_t until = next_tick_ms_;
        if (retrying()) until = std::min(until, retry_at_ms_);
        const std::int64_t wait = std::max<std::int64_t>(1, until - clock_.steady_ms());
        cv_.wait_for(lock, std::chrono::milliseconds(wait));
      }
      commands.swap(commands_);
      stop_now = stopping_;
      if (overflowed_) {
        // Pushed events were dropped: the log has them all, read it from the cursor.
        overflowed_ = false;
        events_.clear();
        replaying_ = true;
      }
      if (!stop_now && head_.empty() && !replaying_) {
        while (!events_.empty() && head_.size() < config_.batch_max) {
          if (events_.front().row > cursor_) head_.push_back(std::move(events_.front()));
          events_.pop_front();  // rows at or below the cursor were replayed already
        }
      }
      m_->depth.set(static_cast<double>(events_.size() + commands_.size()));
    }
    for (auto& c : commands) c(*engine_);  // a command's errors travel in its future
    if (stop_now) break;
    if (head_.empty() && replaying_ && clock_.steady_ms() >= retry_at_ms_) {
      try {
        head_ = log_.events_after(cursor_, config_.batch_max);
        replayed_ += head_.size();
        m_->replayed.inc(head_.size());
        if (head_.empty()) {
          replaying_ = false;
          if (replayed_) {
            spdlog::info("cases: replayed {} stored events after row {}", replayed_, from);
          }
          replayed_ = 0;
        }
      } catch (const std::exception& e) {
        spdlog::error("cases: the event log cannot be read back: {}", e.what());
        retry_at_ms_ = clock_.steady_ms() + config_.poison_retry_ms;
      }
    }
    if (!head_.empty() && clock_.steady_ms() >= retry_at_ms_) take(head_);
    if (clock_.steady_ms() >= next_tick_ms_) {
      try {
        tick(clock_.now_ms());
      } catch (const std::exception& e) {
        spdlog::error("cases: timers: {}", e.what());
      }
      next_tick_ms_ = clock_.steady_ms() + config_.tick_interval_ms;
    }
    m_->in_flight.set(static_cast<double>(engine_->rechecks_in_flight()));
    m_->cursor.set(static_cast<double>(cursor_));
  }
  // Commands posted from now on fail: their tasks are dropped (broken promise).
  std::lock_guard lock(mu_);
  accepting_ = false;
  commands_.clear();
}

}  // namespace gridsight::cases
