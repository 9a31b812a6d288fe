#pragma once
// The aggregator's PostgreSQL schema as numbered migrations (docs/scaling.md).
//
// migrate() applies the missing ones in order, each in its own transaction, under an advisory
// lock, so instances started together apply each migration once. A binary refuses a database
// whose schema is newer than it knows (an older binary after an upgrade elsewhere) with a
// message naming both versions.

#include <span>

namespace gridsight::pg {

class Connection;

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

std::span<const Migration> migrations();
// The newest version this binary knows.
int known_schema_version();
// The version the database is at (0: empty).
int schema_version(Connection& c);
// Applies every missing migration; returns how many were applied. Throws pg::Error when the
// database is newer than this binary, read-only, or a migration fails (nothing half-applied).
int migrate(Connection& c);
// Throws pg::Error unless the database is exactly at known_schema_version(): newer ("upgrade
// the binary") or older ("run gridsight-aggregator migrate").
void require_current_schema(Connection& c);

}  // namespace gridsight::pg
