#include "aggregator/daemon/sqlite_api_stores.h"

#include <memory>

#include "aggregator/store/sqlite/sqlite_audit_log.h"
#include "aggregator/store/sqlite/sqlite_case_store.h"
#include "aggregator/store/sqlite/sqlite_event_store.h"

namespace gridsight::aggregator {

void use_sqlite_stores(api::ApiContext& ctx, const std::string& case_db,
                       const std::string& event_db) {
  ctx.open_cases = [case_db] { return std::make_unique<store::SqliteCaseStore>(case_db); };
  ctx.open_outputs = [case_db] { return std::make_unique<store::SqliteCaseStore>(case_db); };
  ctx.open_audit = [case_db] { return std::make_unique<store::SqliteAuditLog>(case_db); };
  ctx.open_evidence = [event_db] { return std::make_unique<SqliteEventStore>(event_db); };
}

}  // namespace gridsight::aggregator
