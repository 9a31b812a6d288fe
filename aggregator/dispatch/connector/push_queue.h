#pragma once
// The connector's durable queue (SQLite): one row per message to the platform, committed
// before the engine's output is acknowledged, so a crash or kill loses nothing. Messages of a
// case are numbered 1, 2, ... (1 = the new case) and delivered in order. Also remembers which
// cases were pushed, their engine state and the platform's last status. Thread-safe.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace gridsight::sqlite {
class Database;
}

namespace gridsight::connector {

struct QueueItem {
  std::int64_t id = 0;
  std::int64_t case_id = 0;
  int seq = 0;
  std::string url;
  std::string body;
  std::int64_t created_ms = 0;
  int attempts = 0;
};

struct DeadLetter {
  std::int64_t id = 0;
  std::int64_t case_id = 0;
  int seq = 0;
  int status = 0;  // the platform's HTTP status (0: never sent, follows a dead new case)
  std::string response;
  std::string body;
};

struct QueueStats {
  std::int64_t depth = 0;              // pending messages
  std::int64_t oldest_created_ms = 0;  // of the oldest pending message; 0 when none
  std::int64_t dead = 0;
  std::int64_t sent = 0;
};

class PushQueue {
 public:
  explicit PushQueue(const std::string& path);
  ~PushQueue();

  bool known(std::int64_t case_id);
  // Appends the case's next message (seq 1 for a case not known yet), built by `make(seq)`
  // as {url, body}, and commits. A message following a dead-lettered new case is stored
  // dead at once. Returns the seq.
  int enqueue(std::int64_t case_id, const std::string& engine_state, bool open,
              const std::function<std::pair<std::string, std::string>(int seq)>& make,
              std::int64_t now_ms);
  // Records the engine's state of a known case (no message).
  void set_engine_state(std::int64_t case_id, const std::string& state, bool open);

  // The oldest pending message.
  std::optional<QueueItem> head();
  void mark_sent(std::int64_t id, int status, std::int64_t now_ms);
  void mark_retry(std::int64_t id, const std::string& error);
  // Dead-letters the message; a dead new case takes its case's pending messages with it.
  void mark_dead(std::int64_t id, int status, const std::string& response, std::int64_t now_ms);

  // Pushed (new case delivered) cases still open in the engine.
  std::vector<std::int64_t> pollable();
  std::optional<std::string> platform_status(std::int64_t case_id);
  void set_platform_status(std::int64_t case_id, const std::string& status);

  // Deletes delivered messages done before `before_ms` (numbering is kept per case).
  int prune_sent(std::int64_t before_ms);

  QueueStats stats();
  std::vector<DeadLetter> dead_letters(int limit = 100);

 private:
  std::mutex mu_;
  std::unique_ptr<sqlite::Database> db_;
};

}  // namespace gridsight::connector
