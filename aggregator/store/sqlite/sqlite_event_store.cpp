#include "aggregator/store/sqlite/sqlite_event_store.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "common/sqlite/database.h"

namespace gridsight::aggregator {

namespace {

constexpr const char* kSchema = R"sql(
  CREATE TABLE IF NOT EXISTS events(
    id INTEGER PRIMARY KEY,               -- arrival order
    event_id TEXT NOT NULL UNIQUE,
    device_id TEXT NOT NULL,
    camera_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    start_ms INTEGER NOT NULL,
    end_ms INTEGER,
    clock_synced INTEGER NOT NULL,
    confidence REAL NOT NULL,
    zone TEXT,
    lon REAL, lat REAL, crs TEXT,
    received_ms INTEGER NOT NULL,         -- the aggregator's own receive time
    payload TEXT NOT NULL);
  CREATE INDEX IF NOT EXISTS events_device_seq ON events(device_id, seq);
  CREATE INDEX IF NOT EXISTS events_camera ON events(camera_id, start_ms);
  CREATE TABLE IF NOT EXISTS event_evidence(
    event_id TEXT NOT NULL, hash TEXT NOT NULL, role TEXT NOT NULL, media_type TEXT NOT NULL,
    size INTEGER NOT NULL, PRIMARY KEY(event_id, hash));
  CREATE INDEX IF NOT EXISTS event_evidence_hash ON event_evidence(hash);
  CREATE TABLE IF NOT EXISTS dead_letters(
    id INTEGER PRIMARY KEY,
    device_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    code TEXT NOT NULL,
    field TEXT NOT NULL,
    reason TEXT NOT NULL,
    event_id TEXT,
    received_ms INTEGER NOT NULL,
    payload BLOB NOT NULL);
  CREATE TABLE IF NOT EXISTS sequences(
    device_id TEXT PRIMARY KEY,
    next_expected INTEGER NOT NULL,
    replays INTEGER NOT NULL,
    gaps TEXT NOT NULL);                  -- JSON [[first, last, evicted], ...]
  CREATE TABLE IF NOT EXISTS devices(
    device_id TEXT PRIMARY KEY,
    online INTEGER NOT NULL DEFAULT 0,
    state_reason TEXT,
    state_ms INTEGER,
    version TEXT,
    session TEXT,
    clock_synced INTEGER,
    birth TEXT,
    last_telemetry TEXT,
    telemetry_at_ms INTEGER,
    telemetry_received_ms INTEGER);
  CREATE TABLE IF NOT EXISTS evidence(
    hash TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    received INTEGER NOT NULL,
    complete INTEGER NOT NULL,
    hash_failures INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL);
  CREATE INDEX IF NOT EXISTS evidence_device ON evidence(device_id);
)sql";

}  // namespace

struct SqliteEventStore::Statements {
  explicit Statements(sqlite::Database& db)
      : insert_event(db.prepare(
            "INSERT OR IGNORE INTO events(event_id, device_id, camera_id, seq, type, start_ms, "
            "end_ms, clock_synced, confidence, zone, lon, lat, crs, received_ms, payload) "
            "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")),
        insert_event_evidence(db.prepare(
            "INSERT OR IGNORE INTO event_evidence(event_id, hash, role, media_type, size) "
            "VALUES(?,?,?,?,?)")),
        insert_dead_letter(
            db.prepare("INSERT INTO dead_letters(device_id, topic, code, field, reason, event_id, "
                       "received_ms, payload) VALUES(?,?,?,?,?,?,?,?)")),
        save_sequence(db.prepare(
            "INSERT INTO sequences(device_id, next_expected, replays, gaps) VALUES(?,?,?,?) "
            "ON CONFLICT(device_id) DO UPDATE SET next_expected=excluded.next_expected, "
            "replays=excluded.replays, gaps=excluded.gaps")),
        record_state(db.prepare(
            "INSERT INTO devices(device_id, online, state_reason, state_ms, version, session, "
            "clock_synced, birth) VALUES(?,?,?,?,?,?,?,?) ON CONFLICT(device_id) DO UPDATE SET "
            "online=excluded.online, state_reason=excluded.state_reason, "
            "state_ms=excluded.state_ms, version=COALESCE(excluded.version, version), "
            "session=COALESCE(excluded.session, session), clock_synced=excluded.clock_synced, "
            "birth=COALESCE(excluded.birth, birth)")),
        record_telemetry(db.prepare(
            "INSERT INTO devices(device_id, last_telemetry, telemetry_at_ms, "
            "telemetry_received_ms) VALUES(?,?,?,?) ON CONFLICT(device_id) DO UPDATE SET "
            "last_telemetry=excluded.last_telemetry, telemetry_at_ms=excluded.telemetry_at_ms, "
            "telemetry_received_ms=excluded.telemetry_received_ms")),
        get_evidence(db.prepare(
            "SELECT device_id, event_id, media_type, size, received, complete, hash_failures, "
            "updated_ms FROM evidence WHERE hash = ?")),
        put_evidence(db.prepare(
            "INSERT INTO evidence(hash, device_id, event_id, media_type, size, received, "
            "complete, hash_failures, updated_ms) VALUES(?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT(hash) DO UPDATE SET received=excluded.received, "
            "complete=excluded.complete, hash_failures=excluded.hash_failures, "
            "updated_ms=excluded.updated_ms")),
        evidence_bytes(
            db.prepare("SELECT COALESCE(SUM(size), 0) FROM evidence WHERE device_id = ?")) {}
  sqlite::Statement insert_event, insert_event_evidence, insert_dead_letter, save_sequence,
      record_state, record_telemetry, get_evidence, put_evidence, evidence_bytes;
};

SqliteEventStore::SqliteEventStore(const std::string& path)
    : db_(std::make_unique<sqlite::Database>(path)) {
  db_->exec(kSchema);
  st_ = std::make_unique<Statements>(*db_);
}

SqliteEventStore::~SqliteEventStore() = default;

sqlite::Database& SqliteEventStore::database() {
  return *db_;
}

void SqliteEventStore::begin() {
  db_->exec("BEGIN IMMEDIATE");
}
void SqliteEventStore::commit() {
  db_->exec("COMMIT");
}
void SqliteEventStore::rollback() {
  db_->exec("ROLLBACK");
}

std::int64_t SqliteEventStore::insert_event(const protocol::Event& e, std::string_view payload,
                                            std::int64_t received_ms) {
  auto& s = st_->insert_event;
  s.bind(1, e.event_id)
      .bind(2, e.device_id)
      .bind(3, e.camera_id)
      .bind(4, e.seq)
      .bind(5, e.type)
      .bind(6, e.start_ms)
      .bind(7, e.end_ms)
      .bind(8, e.clock_synced ? 1 : 0)
      .bind(9, e.confidence);
  if (e.zone.empty())
    s.bind_null(10);
  else
    s.bind(10, e.zone);
  if (e.location) {
    s.bind(11, e.location->lon)
        .bind(12, e.location->lat)
        .bind(13, protocol::to_string(e.location->crs));
  } else {
    s.bind_null(11).bind_null(12).bind_null(13);
  }
  s.bind(14, received_ms).bind(15, payload);
  s.run();
  if (db_->changes() == 0) return 0;
  const std::int64_t row = db_->last_insert_rowid();
  for (const auto& r : e.evidence) {
    st_->insert_event_evidence.bind(1, e.event_id)
        .bind(2, r.hash)
        .bind(3, r.role)
        .bind(4, r.media_type)
        .bind(5, r.size)
        .run();
  }
  return row;
}

std::vector<cases::StoredEvent> SqliteEventStore::events_after(std::int64_t after,
                                                               std::size_t limit) {
  std::vector<cases::StoredEvent> out;
  bool more = true;
  while (out.empty() && more) {
    auto s = db_->prepare(
        "SELECT id, payload, received_ms FROM events WHERE id > ? ORDER BY id LIMIT ?");
    s.bind(1, after).bind(2, static_cast<std::int64_t>(limit));
    more = false;
    while (s.step()) {
      more = true;
      after = s.int64(0);
      auto e = protocol::decode_event(s.text_view(1));
      // Stored events were validated at ingest; one that no longer decodes (a newer format
      // read by an older build) is logged and passed over.
      if (!e) {
        spdlog::error("store: event row {} does not decode: {}", after, e.error.describe());
        continue;
      }
      out.push_back({after, std::move(*e.value), s.int64(2)});
    }
  }
  return out;
}

void SqliteEventStore::add_dead_letter(const DeadLetter& d) {
  st_->insert_dead_letter.bind(1, d.device_id)
      .bind(2, d.topic)
      .bind(3, d.code)
      .bind(4, d.field)
      .bind(5, d.reason);
  if (d.event_id.empty())
    st_->insert_dead_letter.bind_null(6);
  else
    st_->insert_dead_letter.bind(6, d.event_id);
  st_->insert_dead_letter.bind(7, d.received_ms).bind_blob(8, d.payload).run();
}

std::map<std::string, SequenceState> SqliteEventStore::load_sequences() {
  std::map<std::string, SequenceState> out;
  auto st = db_->prepare("SELECT device_id, next_expected, replays, gaps FROM sequences");
  while (st.step()) {
    SequenceState s;
    s.next_expected = static_cast<std::uint64_t>(st.int64(1));
    s.replays = static_cast<std::uint64_t>(st.int64(2));
    for (const auto& g : nlohmann::json::parse(st.text_view(3))) {
      s.gaps.push_back(
          {g.at(0).get<std::uint64_t>(), g.at(1).get<std::uint64_t>(), g.at(2).get<bool>()});
    }
    out.emplace(st.text(0), std::move(s));
  }
  return out;
}

void SqliteEventStore::save_sequence(const std::string& device_id, const SequenceState& s) {
  nlohmann::json gaps = nlohmann::json::array();
  for (const auto& g : s.gaps) gaps.push_back({g.first, g.last, g.evicted});
  st_->save_sequence.bind(1, device_id)
      .bind(2, s.next_expected)
      .bind(3, s.replays)
      .bind(4, gaps.dump())
      .run();
}

void SqliteEventStore::record_state(const protocol::DeviceState& s, std::string_view raw,
                                    std::int64_t received_ms) {
  auto& st = st_->record_state;
  st.bind(1, s.device_id)
      .bind(2, s.online ? 1 : 0)
      .bind(3, s.reason)
      .bind(4, s.at_ms ? s.at_ms : received_ms);
  if (s.version.empty())
    st.bind_null(5);
  else
    st.bind(5, s.version);
  if (s.session.empty())
    st.bind_null(6);
  else
    st.bind(6, s.session);
  st.bind(7, s.clock_synced ? 1 : 0);
  if (s.online)
    st.bind(8, raw);
  else
    st.bind_null(8);
  st.run();
}

void SqliteEventStore::record_telemetry(const std::string& device_id, std::string_view raw,
                                        std::int64_t at_ms, std::int64_t received_ms) {
  st_->record_telemetry.bind(1, device_id).bind(2, raw).bind(3, at_ms).bind(4, received_ms).run();
}

std::optional<EvidenceRow> SqliteEventStore::evidence(const std::string& hash) {
  auto& st = st_->get_evidence;
  st.bind(1, hash);
  if (!st.step()) {
    st.reset();
    return std::nullopt;
  }
  EvidenceRow r;
  r.hash = hash;
  r.device_id = st.text(0);
  r.event_id = st.text(1);
  r.media_type = st.text(2);
  r.size = static_cast<std::uint64_t>(st.int64(3));
  r.received = static_cast<std::uint64_t>(st.int64(4));
  r.complete = st.int64(5) != 0;
  r.hash_failures = static_cast<int>(st.int64(6));
  r.updated_ms = st.int64(7);
  st.reset();
  return r;
}

std::vector<EventEvidence> SqliteEventStore::evidence_of_event(const std::string& event_id) {
  auto st = db_->prepare(
      "SELECT role, media_type, size, hash FROM event_evidence WHERE event_id = ? ORDER BY role");
  st.bind(1, event_id);
  std::vector<EventEvidence> out;
  while (st.step()) {
    out.push_back({st.text(0), st.text(1), static_cast<std::uint64_t>(st.int64(2)), st.text(3)});
  }
  return out;
}

void SqliteEventStore::put_evidence(const EvidenceRow& r) {
  st_->put_evidence.bind(1, r.hash)
      .bind(2, r.device_id)
      .bind(3, r.event_id)
      .bind(4, r.media_type)
      .bind(5, r.size)
      .bind(6, r.received)
      .bind(7, r.complete ? 1 : 0)
      .bind(8, r.hash_failures)
      .bind(9, r.updated_ms)
      .run();
}

std::uint64_t SqliteEventStore::evidence_bytes(const std::string& device_id) {
  auto& st = st_->evidence_bytes;
  st.bind(1, device_id);
  st.step();
  auto v = static_cast<std::uint64_t>(st.int64(0));
  st.reset();
  return v;
}

StoreCounts SqliteEventStore::counts() {
  StoreCounts c;
  auto one = [&](const char* sql) {
    auto st = db_->prepare(sql);
    st.step();
    return static_cast<std::uint64_t>(st.int64(0));
  };
  c.events = one("SELECT COUNT(*) FROM events");
  c.dead_letters = one("SELECT COUNT(*) FROM dead_letters");
  c.devices = one("SELECT COUNT(*) FROM devices");
  c.evidence_complete = one("SELECT COUNT(*) FROM evidence WHERE complete = 1");
  return c;
}

}  // namespace gridsight::aggregator
