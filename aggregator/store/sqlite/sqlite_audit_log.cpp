#include "aggregator/store/sqlite/sqlite_audit_log.h"

#include "common/sqlite/database.h"

namespace gridsight::store {

SqliteAuditLog::SqliteAuditLog(const std::string& path)
    : db_(std::make_unique<sqlite::Database>(path)) {
  db_->exec(
      "CREATE TABLE IF NOT EXISTS api_audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at_ms "
      "INTEGER NOT NULL, actor TEXT NOT NULL, what TEXT NOT NULL, outcome TEXT NOT NULL, "
      "remote TEXT NOT NULL, detail TEXT NOT NULL)");
}

SqliteAuditLog::~SqliteAuditLog() = default;

void SqliteAuditLog::append(const api::AuditEntry& e) {
  db_->prepare(
         "INSERT INTO api_audit (at_ms, actor, what, outcome, remote, detail) VALUES "
         "(?,?,?,?,?,?)")
      .bind(1, e.at_ms)
      .bind(2, e.actor)
      .bind(3, e.what)
      .bind(4, e.outcome)
      .bind(5, e.remote)
      .bind(6, e.detail)
      .run();
}

}  // namespace gridsight::store
