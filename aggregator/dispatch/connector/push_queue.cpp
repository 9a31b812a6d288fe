#include "aggregator/dispatch/connector/push_queue.h"

#include "common/sqlite/database.h"

namespace gridsight::connector {

PushQueue::PushQueue(const std::string& path) : db_(std::make_unique<sqlite::Database>(path)) {
  db_->exec(R"sql(
    CREATE TABLE IF NOT EXISTS connector_cases(
      case_id INTEGER PRIMARY KEY,
      next_seq INTEGER NOT NULL,
      engine_state TEXT NOT NULL,
      open INTEGER NOT NULL,
      delivered INTEGER NOT NULL DEFAULT 0,
      blocked INTEGER NOT NULL DEFAULT 0,
      platform_status TEXT);
    CREATE TABLE IF NOT EXISTS connector_queue(
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      case_id INTEGER NOT NULL,
      seq INTEGER NOT NULL,
      url TEXT NOT NULL,
      body TEXT NOT NULL,
      created_ms INTEGER NOT NULL,
      state TEXT NOT NULL DEFAULT 'pending',
      attempts INTEGER NOT NULL DEFAULT 0,
      last_error TEXT,
      status INTEGER,
      response TEXT,
      done_ms INTEGER,
      UNIQUE(case_id, seq));
    CREATE INDEX IF NOT EXISTS connector_queue_state ON connector_queue(state, id);
  )sql");
}

PushQueue::~PushQueue() = default;

bool PushQueue::known(std::int64_t case_id) {
  std::lock_guard lock(mu_);
  auto st = db_->prepare("SELECT 1 FROM connector_cases WHERE case_id = ?");
  st.bind(1, case_id);
  return st.step();
}

int PushQueue::enqueue(std::int64_t case_id, const std::string& engine_state, bool open,
                       const std::function<std::pair<std::string, std::string>(int)>& make,
                       std::int64_t now_ms) {
  std::lock_guard lock(mu_);
  sqlite::Transaction tx(*db_);
  int seq = 1;
  bool blocked = false;
  {
    auto st = db_->prepare("SELECT next_seq, blocked FROM connector_cases WHERE case_id = ?");
    st.bind(1, case_id);
    if (st.step()) {
      seq = static_cast<int>(st.int64(0));
      blocked = st.int64(1) != 0;
    }
  }
  db_->prepare(
         "INSERT INTO connector_cases(case_id, next_seq, engine_state, open) VALUES(?, ?, ?, ?) "
         "ON CONFLICT(case_id) DO UPDATE SET next_seq = excluded.next_seq, "
         "engine_state = excluded.engine_state, open = excluded.open")
      .bind(1, case_id)
      .bind(2, seq + 1)
      .bind(3, engine_state)
      .bind(4, open ? 1 : 0)
      .run();
  auto [url, body] = make(seq);
  auto st = db_->prepare(
      "INSERT INTO connector_queue(case_id, seq, url, body, created_ms, state, last_error, "
      "done_ms) "
      "VALUES(?, ?, ?, ?, ?, ?, ?, ?)");
  st.bind(1, case_id).bind(2, seq).bind(3, url).bind(4, body).bind(5, now_ms);
  if (blocked) {
    st.bind(6, "dead").bind(7, "follows a dead-lettered new case").bind(8, now_ms);
  } else {
    st.bind(6, "pending").bind_null(7).bind_null(8);
  }
  st.run();
  tx.commit();
  return seq;
}

void PushQueue::set_engine_state(std::int64_t case_id, const std::string& state, bool open) {
  std::lock_guard lock(mu_);
  db_->prepare("UPDATE connector_cases SET engine_state = ?, open = ? WHERE case_id = ?")
      .bind(1, state)
      .bind(2, open ? 1 : 0)
      .bind(3, case_id)
      .run();
}

std::optional<QueueItem> PushQueue::head() {
  std::lock_guard lock(mu_);
  auto st = db_->prepare(
      "SELECT id, case_id, seq, url, body, created_ms, attempts FROM connector_queue "
      "WHERE state = 'pending' ORDER BY id LIMIT 1");
  if (!st.step()) return std::nullopt;
  QueueItem q;
  q.id = st.int64(0);
  q.case_id = st.int64(1);
  q.seq = static_cast<int>(st.int64(2));
  q.url = st.text(3);
  q.body = st.text(4);
  q.created_ms = st.int64(5);
  q.attempts = static_cast<int>(st.int64(6));
  return q;
}

void PushQueue::mark_sent(std::int64_t id, int status, std::int64_t now_ms) {
  std::lock_guard lock(mu_);
  sqlite::Transaction tx(*db_);
  db_->prepare(
         "UPDATE connector_queue SET state = 'sent', attempts = attempts + 1, status = ?, "
         "done_ms = ? WHERE id = ?")
      .bind(1, status)
      .bind(2, now_ms)
      .bind(3, id)
      .run();
  db_->prepare(
         "UPDATE connector_cases SET delivered = 1 WHERE case_id = "
         "(SELECT case_id FROM connector_queue WHERE id = ? AND seq = 1)")
      .bind(1, id)
      .run();
  tx.commit();
}

void PushQueue::mark_retry(std::int64_t id, const std::string& error) {
  std::lock_guard lock(mu_);
  db_->prepare("UPDATE connector_queue SET attempts = attempts + 1, last_error = ? WHERE id = ?")
      .bind(1, error)
      .bind(2, id)
      .run();
}

void PushQueue::mark_dead(std::int64_t id, int status, const std::string& response,
                          std::int64_t now_ms) {
  std::lock_guard lock(mu_);
  sqlite::Transaction tx(*db_);
  db_->prepare(
         "UPDATE connector_queue SET state = 'dead', attempts = attempts + 1, status = ?, "
         "response = ?, done_ms = ? WHERE id = ?")
      .bind(1, status)
      .bind(2, response)
      .bind(3, now_ms)
      .bind(4, id)
      .run();
  std::optional<std::int64_t> new_case;
  {
    auto st = db_->prepare("SELECT case_id FROM connector_queue WHERE id = ? AND seq = 1");
    st.bind(1, id);
    if (st.step()) new_case = st.int64(0);
  }
  if (new_case) {
    db_->prepare("UPDATE connector_cases SET blocked = 1 WHERE case_id = ?")
        .bind(1, *new_case)
        .run();
    db_->prepare(
           "UPDATE connector_queue SET state = 'dead', last_error = "
           "'follows a dead-lettered new case', done_ms = ? "
           "WHERE case_id = ? AND state = 'pending'")
        .bind(1, now_ms)
        .bind(2, *new_case)
        .run();
  }
  tx.commit();
}

std::vector<std::int64_t> PushQueue::pollable() {
  std::lock_guard lock(mu_);
  std::vector<std::int64_t> out;
  auto st = db_->prepare(
      "SELECT case_id FROM connector_cases WHERE delivered = 1 AND open = 1 ORDER BY case_id");
  while (st.step()) out.push_back(st.int64(0));
  return out;
}

std::optional<std::string> PushQueue::platform_status(std::int64_t case_id) {
  std::lock_guard lock(mu_);
  auto st = db_->prepare("SELECT platform_status FROM connector_cases WHERE case_id = ?");
  st.bind(1, case_id);
  if (!st.step() || st.is_null(0)) return std::nullopt;
  return st.text(0);
}

void PushQueue::set_platform_status(std::int64_t case_id, const std::string& status) {
  std::lock_guard lock(mu_);
  db_->prepare("UPDATE connector_cases SET platform_status = ? WHERE case_id = ?")
      .bind(1, status)
      .bind(2, case_id)
      .run();
}

int PushQueue::prune_sent(std::int64_t before_ms) {
  std::lock_guard lock(mu_);
  db_->prepare("DELETE FROM connector_queue WHERE state = 'sent' AND done_ms < ?")
      .bind(1, before_ms)
      .run();
  return db_->changes();
}

QueueStats PushQueue::stats() {
  std::lock_guard lock(mu_);
  QueueStats s;
  auto st = db_->prepare(
      "SELECT COALESCE(SUM(state = 'pending'), 0), "
      "COALESCE(MIN(CASE WHEN state = 'pending' THEN created_ms END), 0), "
      "COALESCE(SUM(state = 'dead'), 0), COALESCE(SUM(state = 'sent'), 0) FROM connector_queue");
  if (st.step()) {
    s.depth = st.int64(0);
    s.oldest_created_ms = st.int64(1);
    s.dead = st.int64(2);
    s.sent = st.int64(3);
  }
  return s;
}

std::vector<DeadLetter> PushQueue::dead_letters(int limit) {
  std::lock_guard lock(mu_);
  std::vector<DeadLetter> out;
  auto st = db_->prepare(
      "SELECT id, case_id, seq, COALESCE(status, 0), COALESCE(response, last_error, ''), body "
      "FROM connector_queue WHERE state = 'dead' ORDER BY id LIMIT ?");
  st.bind(1, limit);
  while (st.step()) {
    out.push_back({st.int64(0), st.int64(1), static_cast<int>(st.int64(2)),
                   static_cast<int>(st.int64(3)), st.text(4), st.text(5)});
  }
  return out;
}

}  // namespace gridsight::connector
