#pragma once
// The `status:` section of the edge configuration: the on-device status page's address and
// who may open it (docs/status-page.md). There is no default password: with neither a
// password hash nor a token, every endpoint but /healthz refuses with a reason.

#include <cstdint>
#include <string>
#include <vector>

namespace gridsight::config {
class Section;
}

namespace gridsight::edge::status {

struct StatusConfig {
  bool enabled = true;
  std::string bind = "127.0.0.1";
  int port = 8088;
  std::string password_hash;        // crypt(3) string made by gridsight-passwd
  std::vector<std::string> tokens;  // hex SHA-256 digests of bearer tokens (scripts, Prometheus)
  std::string tls_cert_file;        // PEM; TLS when both files are set
  std::string tls_key_file;
  std::int64_t session_idle_ms = 8LL * 3600 * 1000;  // a login lasts this long unused

  // True when some credential is configured (a password hash or a token).
  bool has_credentials() const { return !password_hash.empty() || !tokens.empty(); }
  static StatusConfig read(config::Section& s);
};

}  // namespace gridsight::edge::status
