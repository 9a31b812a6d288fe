#include "aggregator/dispatch/connector/connector_config.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "aggregator/cases/lifecycle.h"
#include "aggregator/dispatch/connector/field_map.h"
#include "common/config/section.h"

namespace gridsight::connector {
namespace {

bool url_ok(const std::string& u) {
  return u.rfind("http://", 0) == 0 || u.rfind("https://", 0) == 0;
}

bool field_name_ok(const std::string& n) {
  if (n.empty() || n.front() == '.' || n.back() == '.' || n.find("..") != std::string::npos) {
    return false;
  }
  for (char c : n) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) {
      return false;
    }
  }
  return true;
}

FieldMap read_fields(config::Section& s, const char* key, FieldMap fallback) {
  if (!s.has(key)) return fallback;
  FieldMap out;
  for (auto& item : s.list(key)) {
    std::string name = item.required_string("name");
    if (!field_name_ok(name)) item.fail("name", "must be letters, digits, '_', '-' and '.'");
    std::string value = item.required_string("value");
    if (auto why = check_expression(value); !why.empty()) item.fail("value", why);
    for (const auto& [n, v] : out) {
      if (n == name) item.fail("name", "\"" + name + "\" is mapped twice");
    }
    item.finish();
    out.emplace_back(std::move(name), std::move(value));
  }
  if (out.empty()) s.fail(key, "must map at least one field");
  return out;
}

std::string path_from(config::Section& s, const std::string& v) {
  if (v.empty()) return v;
  std::filesystem::path p(v);
  if (p.is_relative() && !s.file().empty() && s.file().front() != '<') {
    p = std::filesystem::path(s.file()).parent_path() / p;
  }
  return p.string();
}

}  // namespace

FieldMap default_fields() {
  return {{"external_id", "external_id"},
          {"title", "{class_name} @ {cell_name}"},
          {"class", "class_code"},
          {"cell", "cell_code"},
          {"state", "state"},
          {"department", "department"},
          {"reported_at", "reported_at"},
          {"due_at", "due_at"},
          {"location.lon", "location.lon"},
          {"location.lat", "location.lat"},
          {"camera", "camera_id"},
          {"events", "event_ids"}};
}

FieldMap default_update_fields() {
  return {{"external_id", "external_id"},
          {"kind", "kind"},
          {"state", "state"},
          {"action", "action"},
          {"actor", "actor"},
          {"note", "note"},
          {"at", "at"},
          {"due_at", "due_at"}};
}

ConnectorConfig ConnectorConfig::read(config::Section& s) {
  ConnectorConfig c;
  c.enabled = s.boolean("enabled", false);
  c.name = s.string("name", c.name);
  if (!field_name_ok(c.name)) s.fail("name", "must be letters, digits, '_', '-' and '.'");
  c.endpoint = s.string("endpoint", "");
  if (c.enabled && c.endpoint.empty())
    s.fail("endpoint", "is required when the connector is enabled");
  if (!c.endpoint.empty() && !url_ok(c.endpoint))
    s.fail("endpoint", "must be an http:// or https:// URL");
  c.update_endpoint = s.string("update_endpoint", "");
  if (!c.update_endpoint.empty() && !url_ok(c.update_endpoint)) {
    s.fail("update_endpoint", "must be an http:// or https:// URL");
  }
  c.ca_file = path_from(s, s.string("ca_file", ""));
  if (c.enabled && !c.ca_file.empty() && !std::filesystem::exists(c.ca_file)) {
    s.fail("ca_file", "no such file: " + c.ca_file);
  }
  c.auth_header = s.string("auth_header", c.auth_header);
  c.token_file = path_from(s, s.string("token_file", ""));
  if (c.enabled && !c.token_file.empty()) {
    std::ifstream in(c.token_file);
    if (!in) s.fail("token_file", "cannot read " + c.token_file);
    std::stringstream ss;
    ss << in.rdbuf();
    c.token = ss.str();
    while (!c.token.empty() &&
           (c.token.back() == '\n' || c.token.back() == '\r' || c.token.back() == ' ')) {
      c.token.pop_back();
    }
    if (c.token.empty()) s.fail("token_file", "is empty");
    if (c.token.find_first_of("\r\n") != std::string::npos)
      s.fail("token_file", "must hold one line");
  }
  c.queue_file = s.string("queue_file", c.queue_file);
  c.keep_sent_ms = s.duration_ms("keep_sent", c.keep_sent_ms, 0, 3'650LL * 86'400'000);
  c.connect_timeout_ms = s.duration_ms("connect_timeout", c.connect_timeout_ms, 100, 120'000);
  c.timeout_ms = s.duration_ms("timeout", c.timeout_ms, 100, 600'000);
  c.backoff_initial_ms = s.duration_ms("backoff_initial", c.backoff_initial_ms, 10, 600'000);
  c.backoff_max_ms = s.duration_ms("backoff_max", c.backoff_max_ms, 10, 86'400'000);
  if (c.backoff_max_ms < c.backoff_initial_ms)
    s.fail("backoff_max", "must be at least backoff_initial");
  c.classes = s.strings("classes");
  c.cell_prefixes = s.strings("cell_prefixes");
  c.push_updates = s.boolean("push_updates", c.push_updates);
  c.echo_platform_actions = s.boolean("echo_platform_actions", c.echo_platform_actions);
  c.fields = read_fields(s, "fields", default_fields());
  c.update_fields = read_fields(s, "update_fields", default_update_fields());

  auto st = s.section("status");
  c.status_url = st.string("url", "");
  if (!c.status_url.empty() && !url_ok(c.status_url))
    st.fail("url", "must be an http:// or https:// URL");
  c.poll_interval_ms = st.duration_ms("poll_interval", c.poll_interval_ms, 100, 86'400'000);
  c.status_field = st.string("field", c.status_field);
  c.case_field = st.string("case_field", c.case_field);
  c.department_field = st.string("department_field", c.department_field);
  c.note_field = st.string("note_field", c.note_field);
  for (auto& m : st.list("map")) {
    std::string platform = m.required_string("platform");
    std::string action = m.required_string("action");
    auto a = cases::action_from_string(action);
    if (!a) m.fail("action", "unknown action \"" + action + "\"");
    if (*a == cases::Action::kReport || *a == cases::Action::kRemind ||
        *a == cases::Action::kSupervise || *a == cases::Action::kSelfCorrectionCleared ||
        *a == cases::Action::kSelfCorrectionPersisted) {
      m.fail("action", "\"" + action + "\" is the engine's own, not a platform's");
    }
    if (c.status_map.count(platform)) m.fail("platform", "\"" + platform + "\" is mapped twice");
    m.finish();
    c.status_map[platform] = action;
  }
  st.finish();
  s.finish();
  return c;
}

}  // namespace gridsight::connector
