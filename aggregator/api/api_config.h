#pragma once
// The `api:` section of the aggregator configuration: the HTTP API server, its users and
// tokens (hashed, never in clear), and evidence retention (docs/api.md, "Configuration").

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gridsight::config {
class Section;
}

namespace gridsight::api {

enum class Role { kDispatcher, kDepartment, kSupervisor, kReadonly };
const char* to_string(Role r);
std::optional<Role> role_from_string(std::string_view s);

struct ApiUser {
  std::string name;
  Role role = Role::kReadonly;
  std::string department;     // role department only
  std::string password_hash;  // crypt(3), "$y$..." (gridsight-passwd)
};

struct ApiToken {
  std::string name;
  Role role = Role::kReadonly;
  std::string department;
  std::string token_sha256;  // lower-case hex SHA-256 of the token
};

struct ApiConfig {
  bool enabled = false;
  std::string bind = "127.0.0.1";
  int port = 8080;
  int threads = 4;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::uint64_t max_body_bytes = 1 << 20;
  std::vector<ApiUser> users;
  std::vector<ApiToken> tokens;
  std::int64_t retention_max_age_days = 90;  // 0: keep forever
  std::uint64_t retention_max_bytes = 0;     // 0: no limit
  std::int64_t retention_sweep_interval_ms = 3'600'000;
  // The console's basemap: an XYZ tile URL ({z}/{x}/{y}) of the city's own tile service and
  // the system its tiles are drawn in (GCJ02 for most Chinese services, else WGS84). Empty:
  // the grid outlines are the map.
  std::string map_tile_url;
  std::string map_tile_crs = "GCJ02";
  std::string map_attribution;
  int map_max_zoom = 18;

  static ApiConfig read(config::Section& s);
};

}  // namespace gridsight::api
