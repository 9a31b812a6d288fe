#pragma once
// The API's audit log on SQLite: the api_audit table, in the case database.

#include <memory>
#include <string>

#include "aggregator/api/audit_log.h"

namespace gridsight::sqlite {
class Database;
}

namespace gridsight::store {

class SqliteAuditLog final : public api::AuditLog {
 public:
  // Opens the database and creates the table when it is missing.
  explicit SqliteAuditLog(const std::string& path);
  ~SqliteAuditLog() override;

  void append(const api::AuditEntry& entry) override;

 private:
  std::unique_ptr<sqlite::Database> db_;
};

}  // namespace gridsight::store
