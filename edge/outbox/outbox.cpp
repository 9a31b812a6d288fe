#include "edge/outbox/outbox.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <unordered_set>

#include "common/clock.h"
#include "common/config/section.h"
#include "common/metrics.h"
#include "common/sqlite/database.h"
#include "protocol/ids.h"
#include "protocol/sha256.h"

namespace gridsight::edge {
namespace fs = std::filesystem;

OutboxConfig OutboxConfig::read(config::Section& s) {
  OutboxConfig c;
  c.max_events = static_cast<std::uint64_t>(s.integer("max_events", static_cast<std::int64_t>(c.max_events), 1, 100'000'000));
  c.max_bytes = s.bytes("max_bytes", c.max_bytes, 64 * 1024, 1ULL << 40);
  c.max_evidence_bytes = s.bytes("max_evidence_bytes", c.max_evidence_bytes, 0, 1ULL << 42);
  s.finish();
  return c;
}

struct Outbox::Metrics_ {
  explicit Metrics_(Metrics& m)
      : appended(m.counter("gridsight_edge_outbox_appended_total", "Events committed to the outbox")),
        confirmed(m.counter("gridsight_edge_outbox_confirmed_total", "Events the aggregator confirmed")),
        evicted(m.counter("gridsight_edge_outbox_evicted_total", "Events evicted from a full outbox")),
        dead_lettered(m.counter("gridsight_edge_outbox_dead_lettered_total",
                                "Events the aggregator refused for good")),
        evidence_evicted(m.counter("gridsight_edge_evidence_evicted_total",
                                   "Evidence objects dropped to keep within max_evidence_bytes")),
        pending(m.gauge("gridsight_edge_outbox_pending", "Events waiting for confirmation")),
        pending_bytes(m.gauge("gridsight_edge_outbox_pending_bytes", "Bytes of pending events")),
        oldest_age(m.gauge("gridsight_edge_outbox_oldest_pending_timestamp_ms",
                           "Creation time of the oldest unconfirmed event (0 when none)")),
        evidence_bytes(m.gauge("gridsight_edge_evidence_bytes", "Evidence bytes held on disk")) {}
  Counter& appended;
  Counter& confirmed;
  Counter& evicted;
  Counter& dead_lettered;
  Counter& evidence_evicted;
  Gauge& pending;
  Gauge& pending_bytes;
  Gauge& oldest_age;
  Gauge& evidence_bytes;
};

namespace {

void fsync_path(const fs::path& p, bool directory) {
  int fd = ::open(p.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
  if (fd < 0) throw std::runtime_error("open " + p.string() + ": " + std::strerror(errno));
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) throw std::runtime_error("fsync " + p.string() + ": " + std::strerror(errno));
}

std::string hash_file(const fs::path& p, std::uint64_t& size) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read evidence file " + p.string());
  protocol::Sha256 h;
  std::string buf(1 << 16, '\0');
  size = 0;
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    auto n = static_cast<std::size_t>(in.gcount());
    h.update(std::string_view(buf.data(), n));
    size += n;
  }
  return h.finish_content_hash();
}

std::string file_name(const std::string& hash) { return hash.substr(7); }  // hex part

}  // namespace

Outbox::Outbox(const fs::path& dir, std::string device_id, OutboxConfig config, Clock& clock,
               Metrics& metrics)
    : dir_(dir),
      evidence_dir_(dir / "evidence"),
      device_id_(std::move(device_id)),
      config_(config),
      clock_(clock),
      m_(std::make_unique<Metrics_>(metrics)) {
  fs::create_directories(evidence_dir_);
  db_ = std::make_unique<sqlite::Database>((dir_ / "outbox.db").string());
  create_schema();
  load_state();
  remove_orphan_files();
  update_gauges();
}

Outbox::~Outbox() = default;

sqlite::Database& Outbox::database_for_tests() { return *db_; }

void Outbox::create_schema() {
  db_->exec(R"sql(
    CREATE TABLE IF NOT EXISTS events(
      seq INTEGER PRIMARY KEY,
      event_id TEXT NOT NULL UNIQUE,
      camera_id TEXT NOT NULL,
      created_ms INTEGER NOT NULL,
      payload TEXT NOT NULL,
      bytes INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS evidence(
      hash TEXT PRIMARY KEY,
      event_id TEXT NOT NULL,
      seq INTEGER NOT NULL,
      media_type TEXT NOT NULL,
      role TEXT NOT NULL,
      size INTEGER NOT NULL,
      acked INTEGER NOT NULL DEFAULT 0,
      created_ms INTEGER NOT NULL);
    CREATE INDEX IF NOT EXISTS evidence_seq ON evidence(seq);
    CREATE TABLE IF NOT EXISTS notices(
      id INTEGER PRIMARY KEY,
      payload TEXT NOT NULL,
      created_ms INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS rejected(
      seq INTEGER PRIMARY KEY,
      event_id TEXT NOT NULL,
      payload TEXT NOT NULL,
      reason TEXT NOT NULL,
      rejected_ms INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS confirmations(
      which TEXT PRIMARY KEY,  -- 'first' | 'latest'
      seq INTEGER NOT NULL,
      event_id TEXT NOT NULL,
      camera_id TEXT NOT NULL,
      created_ms INTEGER NOT NULL,
      confirmed_ms INTEGER NOT NULL);
  )sql");
}

void Outbox::set_meta(const char* key, std::uint64_t value) {
  auto st = db_->prepare("INSERT INTO meta(key, value) VALUES(?, ?) "
                         "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  st.bind(1, key).bind(2, value).run();
}

void Outbox::load_state() {
  auto meta = [&](const char* key) -> std::uint64_t {
    auto st = db_->prepare("SELECT value FROM meta WHERE key = ?");
    st.bind(1, key);
    return st.step() ? static_cast<std::uint64_t>(st.int64(0)) : 0;
  };
  stats_.last_seq = meta("last_seq");
  stats_.confirmed_total = meta("confirmed_total");
  stats_.evicted_total = meta("evicted_total");
  stats_.dead_lettered_total = meta("dead_lettered_total");
  stats_.evidence_evicted_total = meta("evidence_evicted_total");
  next_notice_id_ = meta("last_notice_id") + 1;
  {
    auto st = db_->prepare(
        "SELECT which, seq, event_id, camera_id, created_ms, confirmed_ms FROM confirmations");
    while (st.step()) {
      ConfirmedEvent c{static_cast<std::uint64_t>(st.int64(1)), st.text(2), st.text(3),
                       st.int64(4), st.int64(5)};
      (st.text(0) == "first" ? stats_.first_confirmed : stats_.latest_confirmed) = std::move(c);
    }
  }
  {
    auto st = db_->prepare("SELECT COUNT(*), COALESCE(SUM(bytes), 0), MAX(seq) FROM events");
    st.step();
    stats_.pending = static_cast<std::uint64_t>(st.int64(0));
    stats_.pending_bytes = static_cast<std::uint64_t>(st.int64(1));
    // Invariant: sequence numbers never go back, even if the meta row was lost.
    if (!st.is_null(2)) stats_.last_seq = std::max(stats_.last_seq, static_cast<std::uint64_t>(st.int64(2)));
  }
  {
    auto st = db_->prepare("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM evidence");
    st.step();
    stats_.evidence_pending = static_cast<std::uint64_t>(st.int64(0));
    stats_.evidence_bytes = static_cast<std::uint64_t>(st.int64(1));
  }
  {
    auto st = db_->prepare("SELECT COUNT(*) FROM notices");
    st.step();
    stats_.notices_pending = static_cast<std::uint64_t>(st.int64(0));
  }
}

void Outbox::remove_orphan_files() {
  std::unordered_set<std::string> known;
  auto st = db_->prepare("SELECT hash FROM evidence");
  while (st.step()) known.insert(file_name(st.text(0)));
  for (const auto& entry : fs::directory_iterator(evidence_dir_)) {
    const std::string name = entry.path().filename().string();
    if (!known.count(name)) {
      spdlog::info("outbox: removing evidence file left by an interrupted write: {}", name);
      fs::remove(entry.path());
    }
  }
}

std::string Outbox::adopt_evidence(const EvidenceFile& f, std::uint64_t& size) {
  std::string hash = hash_file(f.path, size);
  if (size == 0) throw std::invalid_argument("evidence file " + f.path.string() + " is empty");
  fs::path target = evidence_dir_ / file_name(hash);
  std::error_code ec;
  fs::rename(f.path, target, ec);
  if (ec) {  // another file system: copy, then remove the original
    fs::copy_file(f.path, target, fs::copy_options::overwrite_existing);
    fs::remove(f.path);
  }
  fsync_path(target, false);
  return hash;
}

std::vector<std::uint64_t> Outbox::append(std::vector<Draft> drafts) {
  std::vector<std::uint64_t> seqs;
  {
    std::lock_guard lock(mu_);
    const std::int64_t now = clock_.now_ms();
    // Evidence files first (outside the transaction), so the transaction commits only events
    // whose files are durable. A crash in between leaves orphan files, removed at start.
    std::vector<std::vector<std::pair<std::string, std::uint64_t>>> hashes(drafts.size());
    bool any_files = false;
    for (std::size_t i = 0; i < drafts.size(); ++i) {
      for (const auto& f : drafts[i].evidence) {
        std::uint64_t size = 0;
        std::string h = adopt_evidence(f, size);
        hashes[i].emplace_back(h, size);
        any_files = true;
      }
    }
    if (any_files) fsync_path(evidence_dir_, true);

    sqlite::Transaction tx(*db_);
    auto ins = db_->prepare(
        "INSERT INTO events(seq, event_id, camera_id, created_ms, payload, bytes) "
        "VALUES(?, ?, ?, ?, ?, ?)");
    auto ins_ev = db_->prepare(
        "INSERT OR IGNORE INTO evidence(hash, event_id, seq, media_type, role, size, created_ms) "
        "VALUES(?, ?, ?, ?, ?, ?, ?)");
    std::uint64_t seq = stats_.last_seq;
    std::uint64_t added_bytes = 0, added_evidence = 0, added_evidence_bytes = 0;
    for (std::size_t i = 0; i < drafts.size(); ++i) {
      protocol::Event& e = drafts[i].event;
      e.seq = ++seq;
      e.device_id = device_id_;
      if (e.event_id.empty()) e.event_id = protocol::new_event_id(now);  // or the producer's
      e.evidence.clear();
      for (std::size_t k = 0; k < hashes[i].size(); ++k) {
        const auto& f = drafts[i].evidence[k];
        e.evidence.push_back({hashes[i][k].first, hashes[i][k].second, f.media_type, f.role});
      }
      if (auto err = protocol::validate(e)) {
        throw std::invalid_argument("outbox: invalid event from camera " + e.camera_id + ": " +
                                    err->describe());
      }
      std::string payload = protocol::encode(e);
      ins.bind(1, e.seq).bind(2, e.event_id).bind(3, e.camera_id).bind(4, now)
          .bind(5, payload).bind(6, static_cast<std::uint64_t>(payload.size()));
      ins.run();
      added_bytes += payload.size();
      for (const auto& ref : e.evidence) {
        ins_ev.bind(1, ref.hash).bind(2, e.event_id).bind(3, e.seq).bind(4, ref.media_type)
            .bind(5, ref.role).bind(6, ref.size).bind(7, now);
        ins_ev.run();
        if (db_->changes() > 0) {
          ++added_evidence;
          added_evidence_bytes += ref.size;
        }
      }
      seqs.push_back(e.seq);
    }
    set_meta("last_seq", seq);
    tx.commit();
    stats_.last_seq = seq;
    stats_.pending += drafts.size();
    stats_.pending_bytes += added_bytes;
    stats_.appended_total += drafts.size();
    stats_.evidence_pending += added_evidence;
    stats_.evidence_bytes += added_evidence_bytes;
    m_->appended.inc(drafts.size());
    evict_if_needed(now);
    evict_evidence_if_needed();
    update_gauges();
  }
  if (on_append_) on_append_();
  return seqs;
}

// Called with mu_ held.
void Outbox::evict_if_needed(std::int64_t now_ms) {
  if (stats_.pending <= config_.max_events && stats_.pending_bytes <= config_.max_bytes) return;
  const bool by_count = stats_.pending > config_.max_events;
  std::uint64_t over_events = by_count ? stats_.pending - config_.max_events : 0;
  std::uint64_t over_bytes =
      stats_.pending_bytes > config_.max_bytes ? stats_.pending_bytes - config_.max_bytes : 0;

  // Oldest first, until both limits hold.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> victims;  // seq, bytes
  {
    auto st = db_->prepare("SELECT seq, bytes FROM events ORDER BY seq");
    std::uint64_t n = 0, b = 0;
    while ((n < over_events || b < over_bytes) && st.step()) {
      victims.emplace_back(static_cast<std::uint64_t>(st.int64(0)),
                           static_cast<std::uint64_t>(st.int64(1)));
      ++n;
      b += victims.back().second;
    }
  }
  if (victims.empty()) return;
  const std::uint64_t first = victims.front().first, last = victims.back().first;
  std::uint64_t freed = 0;
  for (const auto& v : victims) freed += v.second;

  protocol::EvictionNotice notice;
  notice.notice_id = next_notice_id_;
  notice.device_id = device_id_;
  notice.first_seq = first;
  notice.last_seq = last;
  notice.count = victims.size();
  notice.reason = by_count ? "outbox_full_events" : "outbox_full_bytes";
  notice.at_ms = now_ms;

  // Evidence of evicted events goes too.
  std::vector<std::string> files;
  std::uint64_t evidence_freed = 0, evidence_count = 0;
  {
    auto st = db_->prepare("SELECT hash, size FROM evidence WHERE seq BETWEEN ? AND ?");
    st.bind(1, first).bind(2, last);
    while (st.step()) {
      files.push_back(file_name(st.text(0)));
      evidence_freed += static_cast<std::uint64_t>(st.int64(1));
      ++evidence_count;
    }
  }
  sqlite::Transaction tx(*db_);
  db_->prepare("DELETE FROM events WHERE seq BETWEEN ? AND ?").bind(1, first).bind(2, last).run();
  db_->prepare("DELETE FROM evidence WHERE seq BETWEEN ? AND ?").bind(1, first).bind(2, last).run();
  db_->prepare("INSERT INTO notices(id, payload, created_ms) VALUES(?, ?, ?)")
      .bind(1, notice.notice_id).bind(2, protocol::encode(notice)).bind(3, now_ms).run();
  set_meta("last_notice_id", notice.notice_id);
  set_meta("evicted_total", stats_.evicted_total + victims.size());
  tx.commit();
  ++next_notice_id_;
  for (const auto& f : files) fs::remove(evidence_dir_ / f);
  stats_.pending -= victims.size();
  stats_.pending_bytes -= freed;
  stats_.evicted_total += victims.size();
  stats_.evidence_pending -= evidence_count;
  stats_.evidence_bytes -= evidence_freed;
  stats_.notices_pending += 1;
  m_->evicted.inc(victims.size());
  spdlog::warn("outbox: full ({} events, {} bytes; limits {} / {}): evicted {} oldest events, "
               "seq {}..{}; the aggregator is told by notice {}",
               stats_.pending + victims.size(), stats_.pending_bytes + freed, config_.max_events,
               config_.max_bytes, victims.size(), first, last, notice.notice_id);
}

// Called with mu_ held. Evidence is worth less than the events it belongs to: when the disk
// budget is exceeded the oldest evidence goes first; the events stay.
void Outbox::evict_evidence_if_needed() {
  if (stats_.evidence_bytes <= config_.max_evidence_bytes) return;
  std::vector<std::pair<std::string, std::uint64_t>> victims;
  {
    std::uint64_t over = stats_.evidence_bytes - config_.max_evidence_bytes, b = 0;
    auto st = db_->prepare("SELECT hash, size FROM evidence ORDER BY created_ms, seq");
    while (b < over && st.step()) {
      victims.emplace_back(st.text(0), static_cast<std::uint64_t>(st.int64(1)));
      b += victims.back().second;
    }
  }
  sqlite::Transaction tx(*db_);
  auto del = db_->prepare("DELETE FROM evidence WHERE hash = ?");
  for (const auto& v : victims) del.bind(1, v.first).run();
  set_meta("evidence_evicted_total", stats_.evidence_evicted_total + victims.size());
  tx.commit();
  for (const auto& v : victims) {
    fs::remove(evidence_dir_ / file_name(v.first));
    stats_.evidence_bytes -= v.second;
  }
  stats_.evidence_pending -= victims.size();
  stats_.evidence_evicted_total += victims.size();
  m_->evidence_evicted.inc(victims.size());
  spdlog::warn("outbox: evidence over its budget of {} bytes: dropped the {} oldest objects",
               config_.max_evidence_bytes, victims.size());
}

std::vector<OutboxRecord> Outbox::pending_after(std::uint64_t after_seq, std::size_t limit) {
  std::lock_guard lock(mu_);
  std::vector<OutboxRecord> out;
  auto st = db_->prepare(
      "SELECT seq, event_id, payload, created_ms FROM events WHERE seq > ? ORDER BY seq LIMIT ?");
  st.bind(1, after_seq).bind(2, static_cast<std::int64_t>(limit));
  while (st.step()) {
    out.push_back({static_cast<std::uint64_t>(st.int64(0)), st.text(1), st.text(2), st.int64(3)});
  }
  return out;
}

AckOutcome Outbox::apply(const protocol::Ack& ack) {
  AckOutcome out;
  std::unique_lock lock(mu_);
  const std::int64_t now = clock_.now_ms();
  std::vector<std::string> files_to_remove;
  std::uint64_t confirmed = 0, dead = 0, freed = 0, evidence_done = 0, evidence_freed = 0;
  std::uint64_t notices_done = 0;
  {
    sqlite::Transaction tx(*db_);
    auto sel = db_->prepare(
        "SELECT bytes, payload, camera_id, created_ms FROM events WHERE seq = ? AND event_id = ?");
    auto del = db_->prepare("DELETE FROM events WHERE seq = ?");
    auto rej = db_->prepare(
        "INSERT OR REPLACE INTO rejected(seq, event_id, payload, reason, rejected_ms) "
        "VALUES(?, ?, ?, ?, ?)");
    for (const auto& e : ack.events) {
      sel.bind(1, e.seq).bind(2, e.event_id);
      if (!sel.step()) {  // already settled (a repeated ack), or evicted
        sel.reset();
        continue;
      }
      auto bytes = static_cast<std::uint64_t>(sel.int64(0));
      std::string payload = sel.text(1);
      ConfirmedEvent settled{e.seq, e.event_id, sel.text(2), sel.int64(3), now};
      sel.reset();
      del.bind(1, e.seq).run();
      freed += bytes;
      out.settled_seqs.push_back(e.seq);
      if (e.status == protocol::AckStatus::kStored) {
        ++confirmed;
        out.confirmed.push_back(std::move(settled));
      } else {
        ++dead;
        out.dead_lettered.push_back({e.seq, e.event_id, e.reason, now});
        rej.bind(1, e.seq).bind(2, e.event_id).bind(3, payload).bind(4, e.reason).bind(5, now).run();
        spdlog::error("outbox: the aggregator refused event {} (seq {}): {}; kept in the "
                      "rejected table", e.event_id, e.seq, e.reason);
      }
    }
    auto del_notice = db_->prepare("DELETE FROM notices WHERE id = ?");
    for (const auto& n : ack.notices) {
      del_notice.bind(1, n.notice_id).run();
      notices_done += static_cast<std::uint64_t>(db_->changes());
    }
    // The aggregator's word is what counts, also when it went back (it lost bytes, or the
    // object failed its hash check and starts again from 0).
    auto upd_ev = db_->prepare("UPDATE evidence SET acked = ? WHERE hash = ?");
    auto sel_ev = db_->prepare("SELECT size FROM evidence WHERE hash = ?");
    auto del_ev = db_->prepare("DELETE FROM evidence WHERE hash = ?");
    for (const auto& ev : ack.evidence) {
      if (ev.complete || ev.refused) {
        sel_ev.bind(1, ev.hash);
        if (sel_ev.step()) {
          evidence_freed += static_cast<std::uint64_t>(sel_ev.int64(0));
          sel_ev.reset();
          del_ev.bind(1, ev.hash).run();
          ++evidence_done;
          files_to_remove.push_back(file_name(ev.hash));
          out.settled_evidence.push_back(ev.hash);
          if (ev.refused) {
            spdlog::warn("outbox: the aggregator refused evidence {}: {}", ev.hash, ev.reason);
          }
        } else {
          sel_ev.reset();
        }
      } else {
        upd_ev.bind(1, ev.received).bind(2, ev.hash).run();
      }
    }
    if (confirmed) set_meta("confirmed_total", stats_.confirmed_total + confirmed);
    if (dead) set_meta("dead_lettered_total", stats_.dead_lettered_total + dead);
    record_confirmations(out.confirmed);
    tx.commit();
  }
  const bool first_ever = !out.confirmed.empty() && !stats_.first_confirmed;
  if (first_ever) stats_.first_confirmed = out.confirmed.front();
  if (!out.confirmed.empty()) stats_.latest_confirmed = out.confirmed.back();
  for (const auto& f : files_to_remove) fs::remove(evidence_dir_ / f);
  stats_.pending -= confirmed + dead;
  stats_.pending_bytes -= freed;
  stats_.confirmed_total += confirmed;
  stats_.dead_lettered_total += dead;
  stats_.evidence_pending -= evidence_done;
  stats_.evidence_bytes -= evidence_freed;
  stats_.notices_pending -= notices_done;
  m_->confirmed.inc(confirmed);
  m_->dead_lettered.inc(dead);
  update_gauges();
  log_confirmations(out.confirmed, first_ever);
  auto settled = on_settled_;
  lock.unlock();
  if (settled && (!out.confirmed.empty() || !out.dead_lettered.empty())) settled(out);
  return out;
}

// Called with mu_ held, inside apply's transaction.
void Outbox::record_confirmations(const std::vector<ConfirmedEvent>& confirmed) {
  if (confirmed.empty()) return;
  auto put = db_->prepare(
      "INSERT INTO confirmations(which, seq, event_id, camera_id, created_ms, confirmed_ms) "
      "VALUES(?, ?, ?, ?, ?, ?) ON CONFLICT(which) DO UPDATE SET seq = excluded.seq, "
      "event_id = excluded.event_id, camera_id = excluded.camera_id, "
      "created_ms = excluded.created_ms, confirmed_ms = excluded.confirmed_ms");
  auto row = [&](const char* which, const ConfirmedEvent& c) {
    put.bind(1, which).bind(2, c.seq).bind(3, c.event_id).bind(4, c.camera_id)
        .bind(5, c.created_ms).bind(6, c.confirmed_ms).run();
  };
  if (!stats_.first_confirmed) row("first", confirmed.front());
  row("latest", confirmed.back());
}

// Called with mu_ held. The first confirmation ever, the first since start, then at most one
// line a minute (the status page has every latest one).
void Outbox::log_confirmations(const std::vector<ConfirmedEvent>& confirmed, bool first_ever) {
  if (confirmed.empty()) return;
  const ConfirmedEvent& c = confirmed.back();
  if (first_ever) {
    const ConfirmedEvent& f = confirmed.front();
    spdlog::info("outbox: the aggregator confirmed this box's first event: seq {} ({}), camera "
                 "{}, {} ms after it was made",
                 f.seq, f.event_id, f.camera_id, f.confirmed_ms - f.created_ms);
  }
  confirmed_since_log_ += confirmed.size();
  const std::int64_t now = clock_.steady_ms();
  if (confirmations_logged_ms_ != 0 && now - confirmations_logged_ms_ < kConfirmationLogMs) return;
  spdlog::info("outbox: the aggregator confirmed {} event(s){}; the latest: seq {} ({}), camera "
               "{}, {} ms after it was made",
               confirmed_since_log_, confirmations_logged_ms_ == 0 ? " (the first since start)" : "",
               c.seq, c.event_id, c.camera_id, c.confirmed_ms - c.created_ms);
  confirmations_logged_ms_ = now;
  confirmed_since_log_ = 0;
}

std::vector<std::pair<std::uint64_t, std::string>> Outbox::pending_notices() {
  std::lock_guard lock(mu_);
  std::vector<std::pair<std::uint64_t, std::string>> out;
  auto st = db_->prepare("SELECT id, payload FROM notices ORDER BY id");
  while (st.step()) out.emplace_back(static_cast<std::uint64_t>(st.int64(0)), st.text(1));
  return out;
}

std::vector<EvidenceItem> Outbox::pending_evidence(std::size_t limit) {
  std::lock_guard lock(mu_);
  std::vector<EvidenceItem> out;
  // Only evidence whose event the aggregator already confirmed: events never wait for clips.
  auto st = db_->prepare(
      "SELECT hash, event_id, media_type, size, acked FROM evidence "
      "WHERE seq NOT IN (SELECT seq FROM events) ORDER BY created_ms, seq LIMIT ?");
  st.bind(1, static_cast<std::int64_t>(limit));
  while (st.step()) {
    EvidenceItem it;
    it.hash = st.text(0);
    it.event_id = st.text(1);
    it.media_type = st.text(2);
    it.size = static_cast<std::uint64_t>(st.int64(3));
    it.acked = static_cast<std::uint64_t>(st.int64(4));
    it.path = evidence_dir_ / file_name(it.hash);
    out.push_back(std::move(it));
  }
  return out;
}

std::vector<RejectedRecord> Outbox::rejected(std::size_t limit) {
  std::lock_guard lock(mu_);
  std::vector<RejectedRecord> out;
  auto st = db_->prepare(
      "SELECT seq, event_id, reason, rejected_ms FROM rejected ORDER BY seq DESC LIMIT ?");
  st.bind(1, static_cast<std::int64_t>(limit));
  while (st.step()) {
    out.push_back({static_cast<std::uint64_t>(st.int64(0)), st.text(1), st.text(2), st.int64(3)});
  }
  return out;
}

OutboxStats Outbox::stats() {
  std::lock_guard lock(mu_);
  OutboxStats s = stats_;
  auto st = db_->prepare("SELECT MIN(created_ms) FROM events");
  if (st.step() && !st.is_null(0)) s.oldest_pending_ms = st.int64(0);
  m_->oldest_age.set(static_cast<double>(s.oldest_pending_ms.value_or(0)));
  return s;
}

void Outbox::update_gauges() {
  m_->pending.set(static_cast<double>(stats_.pending));
  m_->pending_bytes.set(static_cast<double>(stats_.pending_bytes));
  m_->evidence_bytes.set(static_cast<double>(stats_.evidence_bytes));
}

void Outbox::on_append(std::function<void()> callback) {
  std::lock_guard lock(mu_);
  on_append_ = std::move(callback);
}

void Outbox::on_settled(std::function<void(const AckOutcome&)> callback) {
  std::lock_guard lock(mu_);
  on_settled_ = std::move(callback);
}

}  // namespace gridsight::edge
