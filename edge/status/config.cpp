#include "edge/status/config.h"

#include <algorithm>
#include <cctype>

#include "common/config/section.h"

namespace gridsight::edge::status {
namespace {

bool is_hex64(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](unsigned char c) {
           return std::isdigit(c) || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

StatusConfig StatusConfig::read(config::Section& s) {
  StatusConfig c;
  c.enabled = s.boolean("enabled", c.enabled);
  c.bind = s.string("bind", c.bind);
  if (c.bind.empty()) s.fail("bind", "must be an IP address, e.g. 127.0.0.1 or 0.0.0.0");
  c.port = static_cast<int>(s.integer("port", c.port, 1, 65535));
  c.password_hash = s.string("password_hash", "");
  if (!c.password_hash.empty() &&
      (c.password_hash[0] != '$' ||
       std::any_of(c.password_hash.begin(), c.password_hash.end(),
                   [](unsigned char ch) { return std::isspace(ch); }))) {
    s.fail("password_hash",
           "must be a crypt(3) hash made by gridsight-passwd (\"$y$...\"), never the password");
  }
  for (std::string t : s.strings("tokens")) {
    if (t.rfind("sha256:", 0) == 0) t = t.substr(7);
    std::transform(t.begin(), t.end(), t.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    if (!is_hex64(t)) {
      s.fail("tokens",
             "each entry must be the SHA-256 of a token as 64 hex digits "
             "(printf %s \"$TOKEN\" | sha256sum), never the token itself");
    }
    c.tokens.push_back(t);
  }
  c.tls_cert_file = s.string("tls_cert_file", "");
  c.tls_key_file = s.string("tls_key_file", "");
  if (c.tls_cert_file.empty() != c.tls_key_file.empty()) {
    s.fail(c.tls_cert_file.empty() ? "tls_cert_file" : "tls_key_file",
           "TLS needs both tls_cert_file and tls_key_file");
  }
  c.session_idle_ms =
      s.duration_ms("session_idle", c.session_idle_ms, 60'000, 7LL * 24 * 3600 * 1000);
  s.finish();
  return c;
}

}  // namespace gridsight::edge::status
