#include "aggregator/store/postgresql/pg_event_store.h"

#include <nlohmann/json.hpp>

#include "aggregator/store/postgresql/schema.h"
#include "protocol/utf8.h"

namespace gridsight::aggregator {

namespace {

std::optional<std::string> non_empty(const std::string& s) {
  return s.empty() ? std::nullopt : std::optional<std::string>(s);
}

}  // namespace

PgEventStore::PgEventStore(const std::string& dsn, pg::ConnectOptions options)
    : db_(dsn, std::move(options)) {
  pg::require_current_schema(db_);
}

PgEventStore::~PgEventStore() = default;

void PgEventStore::begin() {
  db_.exec("BEGIN");
}
void PgEventStore::commit() {
  db_.exec("COMMIT");
}
void PgEventStore::rollback() {
  db_.exec("ROLLBACK");
}

std::int64_t PgEventStore::insert_event(const protocol::Event& e, std::string_view payload,
                                        std::int64_t received_ms) {
  std::optional<double> lon, lat;
  std::optional<std::string> crs;
  if (e.location) {
    lon = e.location->lon;
    lat = e.location->lat;
    crs = std::string(protocol::to_string(e.location->crs));
  }
  auto r = db_.exec(
      "INSERT INTO events(event_id, device_id, camera_id, seq, type, start_ms, end_ms, "
      "clock_synced, confidence, zone, lon, lat, crs, received_ms, payload) "
      "VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15) "
      "ON CONFLICT (event_id) DO NOTHING RETURNING id",
      {e.event_id, e.device_id, e.camera_id, static_cast<std::int64_t>(e.seq), e.type, e.start_ms,
       e.end_ms, e.clock_synced, e.confidence, non_empty(e.zone), lon, lat, crs, received_ms,
       std::string_view(payload)});
  if (r.rows() == 0) return 0;
  const std::int64_t row = r.int64(0, 0);
  for (const auto& ev : e.evidence) {
    db_.exec(
        "INSERT INTO event_evidence(event_id, hash, role, media_type, size) "
        "VALUES($1,$2,$3,$4,$5) ON CONFLICT DO NOTHING",
        {e.event_id, ev.hash, ev.role, ev.media_type, static_cast<std::int64_t>(ev.size)});
  }
  return row;
}

void PgEventStore::add_dead_letter(const DeadLetter& d) {
  // Text columns hold valid UTF-8 (PostgreSQL refuses anything else); the raw bytes stay in
  // the payload.
  using protocol::valid_utf8;
  db_.exec(
      "INSERT INTO dead_letters(device_id, topic, code, field, reason, event_id, received_ms, "
      "payload) VALUES($1,$2,$3,$4,$5,$6,$7,$8)",
      {valid_utf8(d.device_id), valid_utf8(d.topic), valid_utf8(d.code), valid_utf8(d.field),
       valid_utf8(d.reason), non_empty(valid_utf8(d.event_id)), d.received_ms,
       pg::Param::bytes(d.payload)});
}

std::map<std::string, SequenceState> PgEventStore::load_sequences() {
  std::map<std::string, SequenceState> out;
  auto r = db_.exec("SELECT device_id, next_expected, replays, gaps FROM sequences");
  for (int i = 0; i < r.rows(); ++i) {
    SequenceState s;
    s.next_expected = static_cast<std::uint64_t>(r.int64(i, 1));
    s.replays = static_cast<std::uint64_t>(r.int64(i, 2));
    for (const auto& g : nlohmann::json::parse(r.text(i, 3))) {
      s.gaps.push_back(
          {g.at(0).get<std::uint64_t>(), g.at(1).get<std::uint64_t>(), g.at(2).get<bool>()});
    }
    out.emplace(r.text(i, 0), std::move(s));
  }
  return out;
}

void PgEventStore::save_sequence(const std::string& device_id, const SequenceState& s) {
  nlohmann::json gaps = nlohmann::json::array();
  for (const auto& g : s.gaps) gaps.push_back({g.first, g.last, g.evicted});
  db_.exec(
      "INSERT INTO sequences(device_id, next_expected, replays, gaps) VALUES($1,$2,$3,$4) "
      "ON CONFLICT(device_id) DO UPDATE SET next_expected=excluded.next_expected, "
      "replays=excluded.replays, gaps=excluded.gaps",
      {device_id, static_cast<std::int64_t>(s.next_expected), static_cast<std::int64_t>(s.replays),
       gaps.dump()});
}

void PgEventStore::record_state(const protocol::DeviceState& s, std::string_view raw,
                                std::int64_t received_ms) {
  std::optional<std::string> birth;
  if (s.online) birth = std::string(raw);
  db_.exec(
      "INSERT INTO devices(device_id, online, state_reason, state_ms, version, session, "
      "clock_synced, birth) VALUES($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT(device_id) DO UPDATE SET "
      "online=excluded.online, state_reason=excluded.state_reason, state_ms=excluded.state_ms, "
      "version=COALESCE(excluded.version, devices.version), "
      "session=COALESCE(excluded.session, devices.session), "
      "clock_synced=excluded.clock_synced, birth=COALESCE(excluded.birth, devices.birth)",
      {s.device_id, s.online, s.reason, static_cast<std::int64_t>(s.at_ms ? s.at_ms : received_ms),
       non_empty(s.version), non_empty(s.session), s.clock_synced, birth});
}

void PgEventStore::record_telemetry(const std::string& device_id, std::string_view raw,
                                    std::int64_t at_ms, std::int64_t received_ms) {
  db_.exec(
      "INSERT INTO devices(device_id, last_telemetry, telemetry_at_ms, telemetry_received_ms) "
      "VALUES($1,$2,$3,$4) ON CONFLICT(device_id) DO UPDATE SET "
      "last_telemetry=excluded.last_telemetry, telemetry_at_ms=excluded.telemetry_at_ms, "
      "telemetry_received_ms=excluded.telemetry_received_ms",
      {device_id, raw, at_ms, received_ms});
}

std::optional<EvidenceRow> PgEventStore::evidence(const std::string& hash) {
  auto r = db_.exec(
      "SELECT device_id, event_id, media_type, size, received, complete, hash_failures, "
      "updated_ms FROM evidence WHERE hash = $1",
      {hash});
  if (r.rows() == 0) return std::nullopt;
  EvidenceRow row;
  row.hash = hash;
  row.device_id = r.text(0, 0);
  row.event_id = r.text(0, 1);
  row.media_type = r.text(0, 2);
  row.size = static_cast<std::uint64_t>(r.int64(0, 3));
  row.received = static_cast<std::uint64_t>(r.int64(0, 4));
  row.complete = r.boolean(0, 5);
  row.hash_failures = static_cast<int>(r.int64(0, 6));
  row.updated_ms = r.int64(0, 7);
  return row;
}

std::vector<EventEvidence> PgEventStore::evidence_of_event(const std::string& event_id) {
  // Byte order of the roles, as SQLite sorts them, whatever the database's collation.
  auto r = db_.exec(
      "SELECT role, media_type, size, hash FROM event_evidence WHERE event_id = $1 "
      "ORDER BY role COLLATE \"C\"",
      {event_id});
  std::vector<EventEvidence> out;
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back(
        {r.text(i, 0), r.text(i, 1), static_cast<std::uint64_t>(r.int64(i, 2)), r.text(i, 3)});
  }
  return out;
}

void PgEventStore::put_evidence(const EvidenceRow& row) {
  db_.exec(
      "INSERT INTO evidence(hash, device_id, event_id, media_type, size, received, complete, "
      "hash_failures, updated_ms) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9) "
      "ON CONFLICT(hash) DO UPDATE SET received=excluded.received, complete=excluded.complete, "
      "hash_failures=excluded.hash_failures, updated_ms=excluded.updated_ms",
      {row.hash, row.device_id, row.event_id, row.media_type, static_cast<std::int64_t>(row.size),
       static_cast<std::int64_t>(row.received), row.complete, row.hash_failures, row.updated_ms});
}

std::uint64_t PgEventStore::evidence_bytes(const std::string& device_id) {
  auto r =
      db_.exec("SELECT COALESCE(SUM(size), 0) FROM evidence WHERE device_id = $1", {device_id});
  return static_cast<std::uint64_t>(r.int64(0, 0));
}

StoreCounts PgEventStore::counts() {
  auto r = db_.exec(
      "SELECT (SELECT COUNT(*) FROM events), (SELECT COUNT(*) FROM dead_letters), "
      "(SELECT COUNT(*) FROM devices), (SELECT COUNT(*) FROM evidence WHERE complete)");
  StoreCounts c;
  c.events = static_cast<std::uint64_t>(r.int64(0, 0));
  c.dead_letters = static_cast<std::uint64_t>(r.int64(0, 1));
  c.devices = static_cast<std::uint64_t>(r.int64(0, 2));
  c.evidence_complete = static_cast<std::uint64_t>(r.int64(0, 3));
  return c;
}

}  // namespace gridsight::aggregator
