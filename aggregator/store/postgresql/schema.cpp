#include "aggregator/store/postgresql/schema.h"

#include <string>

#include "aggregator/store/postgresql/connection.h"

namespace gridsight::pg {

namespace {

// Any fixed number: the advisory lock that serialises migrations across instances.
constexpr std::int64_t kMigrationLock = 0x6772696473696768;  // "gridsigh"

constexpr Migration kMigrations[] = {
    {1, "events",
     R"sql(
  CREATE TABLE events(
    id BIGSERIAL PRIMARY KEY,              -- arrival order
    event_id TEXT NOT NULL UNIQUE,         -- idempotency: one row per event, whatever instance
    device_id TEXT NOT NULL,
    camera_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    type TEXT NOT NULL,
    start_ms BIGINT NOT NULL,
    end_ms BIGINT,
    clock_synced BOOLEAN NOT NULL,
    confidence DOUBLE PRECISION NOT NULL,
    zone TEXT,
    lon DOUBLE PRECISION, lat DOUBLE PRECISION, crs TEXT,
    received_ms BIGINT NOT NULL,           -- the receiving instance's clock
    payload TEXT NOT NULL);
  CREATE INDEX events_device_seq ON events(device_id, seq);
  CREATE INDEX events_camera ON events(camera_id, start_ms);
  CREATE TABLE event_evidence(
    event_id TEXT NOT NULL, hash TEXT NOT NULL, role TEXT NOT NULL, media_type TEXT NOT NULL,
    size BIGINT NOT NULL, PRIMARY KEY(event_id, hash));
  CREATE INDEX event_evidence_hash ON event_evidence(hash);
  CREATE TABLE dead_letters(
    id BIGSERIAL PRIMARY KEY,
    device_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    code TEXT NOT NULL,
    field TEXT NOT NULL,
    reason TEXT NOT NULL,
    event_id TEXT,
    received_ms BIGINT NOT NULL,
    payload BYTEA NOT NULL);
  CREATE TABLE sequences(
    device_id TEXT PRIMARY KEY,
    next_expected BIGINT NOT NULL,
    replays BIGINT NOT NULL,
    gaps JSONB NOT NULL);                  -- [[first, last, evicted], ...]
  CREATE TABLE devices(
    device_id TEXT PRIMARY KEY,
    online BOOLEAN NOT NULL DEFAULT false,
    state_reason TEXT,
    state_ms BIGINT,
    version TEXT,
    session TEXT,
    clock_synced BOOLEAN,
    birth TEXT,
    last_telemetry TEXT,
    telemetry_at_ms BIGINT,
    telemetry_received_ms BIGINT);
  CREATE TABLE evidence(
    hash TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    received BIGINT NOT NULL,
    complete BOOLEAN NOT NULL,
    hash_failures INTEGER NOT NULL,
    updated_ms BIGINT NOT NULL);
  CREATE INDEX evidence_device ON evidence(device_id);
)sql"},
};

void ensure_version_table(Connection& c) {
  c.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations(version INTEGER PRIMARY KEY, "
      "name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
}

std::string newer_message(int found) {
  return "the database schema is at version " + std::to_string(found) +
         ", newer than this gridsight-aggregator knows (" + std::to_string(known_schema_version()) +
         "): upgrade this binary to the version that migrated it";
}

}  // namespace

std::span<const Migration> migrations() {
  return kMigrations;
}

int known_schema_version() {
  return kMigrations[std::size(kMigrations) - 1].version;
}

int schema_version(Connection& c) {
  auto exists = c.exec("SELECT to_regclass('schema_migrations') IS NOT NULL");
  if (!exists.boolean(0, 0)) return 0;
  return static_cast<int>(
      c.exec("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").int64(0, 0));
}

int migrate(Connection& c) {
  if (c.read_only()) {
    throw Error("PostgreSQL " + c.describe() +
                    ": cannot migrate: the database is read-only (a standby, or "
                    "default_transaction_read_only); point store.dsn at the primary",
                "25006");
  }
  int applied = 0;
  {
    Transaction t(c);
    c.exec("SELECT pg_advisory_xact_lock($1)", {Param(kMigrationLock)});
    ensure_version_table(c);
    t.commit();
  }
  for (const auto& m : kMigrations) {
    Transaction t(c);
    c.exec("SELECT pg_advisory_xact_lock($1)", {Param(kMigrationLock)});
    const int at = schema_version(c);
    if (at > known_schema_version())
      throw Error("PostgreSQL " + c.describe() + ": " + newer_message(at), {});
    if (at >= m.version) continue;  // applied, by us earlier or by another instance
    c.exec(m.sql);
    c.exec("INSERT INTO schema_migrations(version, name) VALUES($1, $2)",
           {Param(m.version), Param(m.name)});
    t.commit();
    ++applied;
  }
  return applied;
}

void require_current_schema(Connection& c) {
  const int at = schema_version(c);
  if (at > known_schema_version())
    throw Error("PostgreSQL " + c.describe() + ": " + newer_message(at), {});
  if (at < known_schema_version()) {
    throw Error("PostgreSQL " + c.describe() + ": the database schema is at version " +
                    std::to_string(at) + ", this gridsight-aggregator needs " +
                    std::to_string(known_schema_version()) + ": run `gridsight-aggregator migrate`",
                {});
  }
}

}  // namespace gridsight::pg
