#include "common/mqtt/options.h"

#include "common/config/section.h"

namespace gridsight::mqtt {

std::string Options::server_uri() const {
  return std::string(tls.enabled ? "ssl://" : "tcp://") + host + ":" + std::to_string(port);
}

Options Options::read(config::Section& s) {
  Options o;
  o.host = s.string("host", o.host);
  o.port = static_cast<int>(s.integer("port", o.port, 1, 65535));
  o.client_id = s.string("client_id", "");
  o.topic_root = s.string("topic_root", o.topic_root);
  if (o.topic_root.empty() || o.topic_root.find_first_of("+#") != std::string::npos) {
    s.fail("topic_root", "must be non-empty and free of MQTT wildcards");
  }
  o.keepalive_s = s.duration_ms("keepalive", o.keepalive_s * 1000, 5'000, 3'600'000) / 1000;
  o.connect_timeout_ms = s.duration_ms("connect_timeout", o.connect_timeout_ms, 500, 120'000);
  o.session_expiry_s =
      s.duration_ms("session_expiry", o.session_expiry_s * 1000, 60'000, 30LL * 86'400'000) / 1000;
  o.max_inflight = static_cast<int>(s.integer("max_inflight", o.max_inflight, 1, 65535));
  auto b = s.section("reconnect");
  o.backoff.initial_ms = b.duration_ms("initial", o.backoff.initial_ms, 10, 600'000);
  o.backoff.max_ms = b.duration_ms("max", o.backoff.max_ms, o.backoff.initial_ms, 3'600'000);
  o.backoff.multiplier = b.number("multiplier", o.backoff.multiplier, 1.0, 10.0);
  o.backoff.jitter = b.number("jitter", o.backoff.jitter, 0.0, 1.0);
  b.finish();
  auto t = s.section("tls");
  o.tls.enabled = t.boolean("enabled", false);
  o.tls.ca_file = t.string("ca_file", "");
  o.tls.cert_file = t.string("cert_file", "");
  o.tls.key_file = t.string("key_file", "");
  o.tls.verify_hostname = t.boolean("verify_hostname", true);
  if (o.tls.enabled && (o.tls.ca_file.empty() || o.tls.cert_file.empty() || o.tls.key_file.empty())) {
    t.fail("enabled", "TLS needs ca_file, cert_file and key_file");
  }
  t.finish();
  o.allow_insecure = s.boolean("allow_insecure", o.allow_insecure);
  if (!o.tls.enabled && !o.allow_insecure) {
    s.fail("tls", "plain TCP is refused: enable tls, or set allow_insecure: true (lab only)");
  }
  s.finish();
  return o;
}

}  // namespace gridsight::mqtt
