#include "aggregator/api/api_config.h"

#include <filesystem>
#include <set>

#include "common/config/section.h"

namespace gridsight::api {

const char* to_string(Role r) {
  switch (r) {
    case Role::kDispatcher:
      return "dispatcher";
    case Role::kDepartment:
      return "department";
    case Role::kSupervisor:
      return "supervisor";
    case Role::kReadonly:
      return "readonly";
  }
  return "readonly";
}

std::optional<Role> role_from_string(std::string_view s) {
  for (Role r : {Role::kDispatcher, Role::kDepartment, Role::kSupervisor, Role::kReadonly}) {
    if (s == to_string(r)) return r;
  }
  return std::nullopt;
}

namespace {

Role read_role(config::Section& s) {
  return *role_from_string(
      s.choice("role", "readonly", {"dispatcher", "department", "supervisor", "readonly"}));
}

std::string read_department(config::Section& s, Role role) {
  std::string d = s.string("department", "");
  if (role == Role::kDepartment && d.empty()) {
    s.fail("department", "is required for role department");
  }
  if (role != Role::kDepartment && !d.empty()) {
    s.fail("department", "only a user or token with role department has a department");
  }
  return d;
}

bool is_hex64(const std::string& v) {
  if (v.size() != 64) return false;
  for (char c : v) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

ApiConfig ApiConfig::read(config::Section& s) {
  ApiConfig c;
  c.enabled = s.boolean("enabled", false);
  c.bind = s.string("bind", c.bind);
  c.port = static_cast<int>(s.integer("port", c.port, 0, 65535));
  c.threads = static_cast<int>(s.integer("threads", c.threads, 1, 64));
  const std::filesystem::path base = std::filesystem::path(s.file()).parent_path();
  auto path = [&](const char* key) {
    std::string v = s.string(key, "");
    if (v.empty()) return v;
    std::filesystem::path p(v);
    if (p.is_relative() && !s.file().empty() && s.file().front() != '<') p = base / p;
    return p.string();
  };
  c.tls_cert_file = path("tls_cert_file");
  c.tls_key_file = path("tls_key_file");
  if (c.tls_cert_file.empty() != c.tls_key_file.empty()) {
    s.fail(c.tls_cert_file.empty() ? "tls_cert_file" : "tls_key_file",
           "TLS needs both tls_cert_file and tls_key_file");
  }
  c.max_body_bytes = s.bytes("max_body_bytes", c.max_body_bytes, 1024, 64ULL << 20);
  std::set<std::string> names;
  for (auto& u : s.list("users")) {
    ApiUser user;
    user.name = u.required_string("name");
    if (!names.insert("user:" + user.name).second) u.fail("name", "user listed twice");
    user.role = read_role(u);
    user.department = read_department(u, user.role);
    user.password_hash = u.required_string("password_hash");
    if (user.password_hash.size() < 20 || user.password_hash.front() != '$') {
      u.fail("password_hash", "is not a crypt(3) hash (make one with gridsight-passwd)");
    }
    u.finish();
    c.users.push_back(std::move(user));
  }
  for (auto& t : s.list("tokens")) {
    ApiToken token;
    token.name = t.required_string("name");
    if (!names.insert("token:" + token.name).second) t.fail("name", "token listed twice");
    token.role = read_role(t);
    token.department = read_department(t, token.role);
    token.token_sha256 = t.required_string("token_sha256");
    if (!is_hex64(token.token_sha256)) {
      t.fail("token_sha256", "must be 64 lower-case hex digits (SHA-256 of the token)");
    }
    t.finish();
    c.tokens.push_back(std::move(token));
  }
  auto r = s.section("evidence_retention");
  c.retention_max_age_days = r.integer("max_age_days", c.retention_max_age_days, 0, 36'500);
  c.retention_max_bytes = r.bytes("max_bytes", c.retention_max_bytes, 0, 1ULL << 50);
  c.retention_sweep_interval_ms =
      r.duration_ms("sweep_interval", c.retention_sweep_interval_ms, 1'000, 86'400'000);
  r.finish();
  auto m = s.section("map");
  c.map_tile_url = m.string("tile_url", "");
  if (!c.map_tile_url.empty()) {
    const bool web =
        c.map_tile_url.rfind("http://", 0) == 0 || c.map_tile_url.rfind("https://", 0) == 0;
    for (const char* part : {"{z}", "{x}", "{y}"}) {
      if (c.map_tile_url.find(part) == std::string::npos) {
        m.fail("tile_url", std::string("needs ") + part + " (an XYZ tile URL)");
      }
    }
    if (!web) m.fail("tile_url", "must be an http:// or https:// URL");
  }
  c.map_tile_crs = m.choice("tile_crs", c.map_tile_crs, {"WGS84", "GCJ02"});
  c.map_attribution = m.string("attribution", "");
  c.map_max_zoom = static_cast<int>(m.integer("max_zoom", c.map_max_zoom, 1, 22));
  m.finish();
  s.finish();
  return c;
}

}  // namespace gridsight::api
