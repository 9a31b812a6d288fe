#pragma once
// The API's store ports on SQLite: the case database holds the cases, their outputs and the
// API's audit; the event database the evidence index. Like the assembly, a place that picks
// implementations (docs/architecture.md, "Ports and layers").

#include <string>

#include "aggregator/api/api_service.h"

namespace gridsight::aggregator {

// Sets ctx's open_cases, open_outputs, open_audit (case_db) and open_evidence (event_db).
void use_sqlite_stores(api::ApiContext& ctx, const std::string& case_db,
                       const std::string& event_db);

}  // namespace gridsight::aggregator
