#pragma once
// Configuration of the connector to an external case platform (section `connector:` of the
// aggregator configuration; docs/connector.md).

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace gridsight::config {
class Section;
}

namespace gridsight::connector {

struct ConnectorConfig {
  bool enabled = false;
  std::string name = "platform";  // status changes are applied as actor "platform:<name>"
  std::string endpoint;           // POST for a newly filed case; "{case_id}" is substituted
  std::string update_endpoint;    // POST for later outputs of a pushed case; empty: not sent
  std::string ca_file;            // PEM trust anchors for https; empty: the system store
  std::string auth_header = "Authorization";
  std::string token_file;  // the header's value (e.g. "Bearer ...") is read from this file
  std::string token;       // read from token_file at load; never logged
  std::string queue_file = "connector.db";       // relative to data_dir
  std::int64_t keep_sent_ms = 7 * 86'400'000LL;  // delivered messages are kept this long
  std::int64_t connect_timeout_ms = 5'000;
  std::int64_t timeout_ms = 10'000;
  std::int64_t backoff_initial_ms = 1'000;
  std::int64_t backoff_max_ms = 300'000;
  std::vector<std::string> classes;        // class codes pushed; empty: every class
  std::vector<std::string> cell_prefixes;  // cell code prefixes pushed; empty: every cell
  bool push_updates = true;                // transitions, reminders, supervision rounds
  bool echo_platform_actions = false;      // push transitions the platform itself caused
  // Platform field (dots make nested objects) -> case field or "{template}".
  std::vector<std::pair<std::string, std::string>> fields;
  std::vector<std::pair<std::string, std::string>> update_fields;
  // Status back from the platform.
  std::string status_url;  // GET per pushed open case; "{case_id}" substituted; empty: no poll
  std::int64_t poll_interval_ms = 30'000;
  std::string status_field = "status";  // in the poll answer and the callback body
  std::string case_field = "case_id";   // in the callback body: our case id
  std::string department_field = "department";
  std::string note_field = "note";
  std::map<std::string, std::string> status_map;  // platform status -> engine action

  static ConnectorConfig read(config::Section& s);
};

// The default field maps (used when `fields` / `update_fields` are not configured).
std::vector<std::pair<std::string, std::string>> default_fields();
std::vector<std::pair<std::string, std::string>> default_update_fields();

}  // namespace gridsight::connector
