#pragma once
// The edge outbox: every event is committed here (SQLite, WAL, synchronous=FULL) before it is
// published, and leaves only when the aggregator confirms it stored it. Evidence files live
// beside it and go with their event. When full, the oldest events are evicted, counted,
// logged and announced to the aggregator by a notice (docs/protocol.md, "Outbox").

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "protocol/event.h"
#include "protocol/messages.h"

namespace gridsight {
class Clock;
class Metrics;
class Counter;
class Gauge;
namespace config {
class Section;
}
namespace sqlite {
class Database;
}
}  // namespace gridsight

namespace gridsight::edge {

struct OutboxConfig {
  std::uint64_t max_events = 1'000'000;
  std::uint64_t max_bytes = 1ULL << 30;           // event payloads
  std::uint64_t max_evidence_bytes = 4ULL << 30;  // evidence files on disk
  static OutboxConfig read(config::Section& s);
};

// An evidence file made for an event (snapshot, clip). The outbox takes it over: it is moved
// into the outbox folder, hashed, and referenced from the event.
struct EvidenceFile {
  std::filesystem::path path;
  std::string media_type;  // "image/jpeg" | "video/mp4"
  std::string role;        // "snapshot" | "clip"
};

// An event before the outbox gave it its id and sequence number.
struct Draft {
  // device_id and seq are filled in by append(), and event_id unless the producer minted it
  // (protocol::new_event_id) to refer to the event before it is committed (incident updates).
  protocol::Event event;
  std::vector<EvidenceFile> evidence;
};

struct OutboxRecord {
  std::uint64_t seq = 0;
  std::string event_id;
  std::string payload;  // the encoded event message
  std::int64_t created_ms = 0;
};

struct EvidenceItem {
  std::string hash;
  std::string event_id;
  std::string media_type;
  std::uint64_t size = 0;
  std::uint64_t acked = 0;  // bytes the aggregator confirmed holding
  std::filesystem::path path;
};

struct RejectedRecord {
  std::uint64_t seq = 0;
  std::string event_id;
  std::string reason;
  std::int64_t rejected_ms = 0;
};

// An event the aggregator confirmed it stored, and when (this box's clock).
struct ConfirmedEvent {
  std::uint64_t seq = 0;
  std::string event_id;
  std::string camera_id;
  std::int64_t created_ms = 0;    // committed to the outbox
  std::int64_t confirmed_ms = 0;  // the aggregator's ack applied
};

struct OutboxStats {
  std::uint64_t pending = 0;        // events not yet confirmed
  std::uint64_t pending_bytes = 0;
  std::optional<std::int64_t> oldest_pending_ms;
  std::uint64_t last_seq = 0;       // last sequence number assigned
  std::uint64_t appended_total = 0;   // since start
  std::uint64_t confirmed_total = 0;  // persisted across restarts
  std::uint64_t evicted_total = 0;    // persisted across restarts
  std::uint64_t dead_lettered_total = 0;
  std::uint64_t evidence_pending = 0;
  std::uint64_t evidence_bytes = 0;
  std::uint64_t evidence_evicted_total = 0;
  std::uint64_t notices_pending = 0;
  // The first event this outbox ever had confirmed, and the latest (persisted).
  std::optional<ConfirmedEvent> first_confirmed;
  std::optional<ConfirmedEvent> latest_confirmed;
};

// What applying an acknowledgement changed.
struct AckOutcome {
  std::vector<std::uint64_t> settled_seqs;  // confirmed or dead-lettered: stop tracking them
  std::vector<std::string> settled_evidence;  // complete or refused
  std::vector<ConfirmedEvent> confirmed;      // stored by the aggregator
  std::vector<RejectedRecord> dead_lettered;  // refused by it for good
};

class Outbox {
 public:
  // Opens (or creates) <dir>/outbox.db and <dir>/evidence/. Removes evidence files a crash
  // left without a row.
  Outbox(const std::filesystem::path& dir, std::string device_id, OutboxConfig config,
         Clock& clock, Metrics& metrics);
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Commits the drafts in one transaction and returns their sequence numbers. Once it
  // returns, the events survive kill -9 and power loss. Thread-safe.
  // Throws std::invalid_argument for an event that fails protocol validation (a bug in the
  // producer) and sqlite::Error when the disk fails.
  std::vector<std::uint64_t> append(std::vector<Draft> drafts);

  // Pending events with seq > after_seq, oldest first.
  std::vector<OutboxRecord> pending_after(std::uint64_t after_seq, std::size_t limit);

  // Applies the aggregator's acknowledgement in one transaction.
  AckOutcome apply(const protocol::Ack& ack);

  // Eviction notices not yet confirmed, oldest first (encoded notice messages).
  std::vector<std::pair<std::uint64_t, std::string>> pending_notices();

  // Evidence whose event was confirmed and which the aggregator does not hold in full yet,
  // oldest first.
  std::vector<EvidenceItem> pending_evidence(std::size_t limit);

  std::vector<RejectedRecord> rejected(std::size_t limit);
  OutboxStats stats();

  // Called after every append (outside the lock), e.g. to wake the uplink.
  void on_append(std::function<void()> callback);
  // Called after an acknowledgement settled events (outside the lock, on the uplink's
  // thread), e.g. to tell a waiting test-event command.
  void on_settled(std::function<void(const AckOutcome&)> callback);

  const std::filesystem::path& dir() const { return dir_; }
  sqlite::Database& database_for_tests();

 private:
  struct Metrics_;
  void create_schema();
  void load_state();
  void remove_orphan_files();
  std::string adopt_evidence(const EvidenceFile& f, std::uint64_t& size);
  void evict_if_needed(std::int64_t now_ms);
  void evict_evidence_if_needed();
  void set_meta(const char* key, std::uint64_t value);
  void record_confirmations(const std::vector<ConfirmedEvent>& confirmed);
  void log_confirmations(const std::vector<ConfirmedEvent>& confirmed, bool first_ever);
  void update_gauges();

  std::filesystem::path dir_;
  std::filesystem::path evidence_dir_;
  std::string device_id_;
  OutboxConfig config_;
  Clock& clock_;
  std::unique_ptr<Metrics_> m_;
  std::mutex mu_;
  std::unique_ptr<sqlite::Database> db_;
  OutboxStats stats_;
  std::uint64_t next_notice_id_ = 1;
  std::function<void()> on_append_;
  std::function<void(const AckOutcome&)> on_settled_;
  static constexpr std::int64_t kConfirmationLogMs = 60'000;
  std::int64_t confirmations_logged_ms_ = 0;  // steady clock; 0: none logged since start
  std::uint64_t confirmed_since_log_ = 0;
};

}  // namespace gridsight::edge
