#pragma once
// The API's audit: who asked for what, from where, and how it ended (logins, lifecycle
// actions, reports, evidence refusals, Open311 posts, platform callbacks). The API's port;
// aggregator/store/sqlite/ implements it (the api_audit table of the case database).

#include <cstdint>
#include <string>

namespace gridsight::api {

struct AuditEntry {
  std::int64_t at_ms = 0;
  std::string actor;    // "user:<name>", "token:<name>" or "-"
  std::string what;     // "login", "action", "report", ...
  std::string outcome;  // "ok", "refused", "forbidden", ...
  std::string remote;   // the client's address
  std::string detail;
};

class AuditLog {
 public:
  virtual ~AuditLog() = default;
  // Appends one entry; throws when it cannot be written. Called by one thread at a time.
  virtual void append(const AuditEntry& entry) = 0;
};

}  // namespace gridsight::api
