#include "aggregator/daemon/case_feed.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "aggregator/cases/case_engine.h"
#include "common/clock.h"
#include "common/sqlite/database.h"

namespace gridsight::aggregator {

CaseFeed::CaseFeed(const std::string& event_db_path, cases::CaseEngine& engine, Clock& clock,
                   std::int64_t tick_interval_ms)
    : db_(std::make_unique<sqlite::Database>(event_db_path)),
      engine_(engine),
      clock_(clock),
      tick_interval_ms_(tick_interval_ms) {
  db_->exec(
      "CREATE TABLE IF NOT EXISTS feed_cursor(name TEXT PRIMARY KEY, last_id INTEGER NOT NULL)");
  auto st = db_->prepare("SELECT last_id FROM feed_cursor WHERE name = 'cases'");
  if (st.step()) cursor_ = st.int64(0);
}

CaseFeed::~CaseFeed() {
  stop();
}

void CaseFeed::start() {
  if (running_.exchange(true)) return;
  thread_ = std::thread([this] { run(); });
}

void CaseFeed::stop() {
  if (!running_.exchange(false)) return;
  if (thread_.joinable()) thread_.join();
}

std::size_t CaseFeed::step() {
  std::vector<protocol::Event> events;
  std::int64_t last = cursor_;
  std::int64_t received_ms = 0;
  {
    auto st = db_->prepare(
        "SELECT id, payload, received_ms FROM events WHERE id > ? ORDER BY id LIMIT 500");
    st.bind(1, cursor_);
    while (st.step()) {
      last = st.int64(0);
      received_ms = st.int64(2);
      auto e = protocol::decode_event(st.text_view(1));
      if (e) events.push_back(std::move(*e.value));  // stored events were validated at ingest
    }
  }
  if (last == cursor_) return 0;
  if (!events.empty()) {
    std::vector<cases::IngestResult> results;
    {
      std::lock_guard lock(engine_mu_);  // the API and the connector call the engine too
      results = engine_.on_events(events, received_ms);
    }
    for (std::size_t i = 0; i < results.size(); ++i) {
      if (results[i].kind == cases::IngestResult::Kind::kUnmapped ||
          results[i].kind == cases::IngestResult::Kind::kUnlocated) {
        spdlog::debug("cases: event {} ({} from camera {}) {}", events[i].event_id, events[i].type,
                      events[i].camera_id, cases::to_string(results[i].kind));
      }
    }
  }
  db_->prepare(
         "INSERT INTO feed_cursor(name, last_id) VALUES('cases', ?) "
         "ON CONFLICT(name) DO UPDATE SET last_id = excluded.last_id")
      .bind(1, last)
      .run();
  cursor_ = last;
  fed_ += events.size();
  return events.size();
}

void CaseFeed::run() {
  std::int64_t last_tick = 0;
  while (running_) {
    std::size_t n = 0;
    try {
      n = step();
      const std::int64_t now = clock_.now_ms();
      if (now - last_tick >= tick_interval_ms_) {
        std::lock_guard lock(engine_mu_);
        engine_.tick(now);
        last_tick = now;
      }
    } catch (const std::exception& e) {
      spdlog::error("cases: {}", e.what());  // retried on the next round
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    if (n == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace gridsight::aggregator
