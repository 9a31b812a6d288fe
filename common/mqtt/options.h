#pragma once
// MQTT connection settings, shared by the edge uplink and the aggregator ingest.

#include <cstdint>
#include <string>

#include "common/backoff.h"

namespace gridsight::config {
class Section;
}

namespace gridsight::mqtt {

struct TlsOptions {
  bool enabled = false;
  std::string ca_file;    // fleet CA that signed the broker's certificate
  std::string cert_file;  // this client's certificate (its identity: CN = device id)
  std::string key_file;   // this client's private key (never logged)
  bool verify_hostname = true;
};

// The `mqtt:` section both daemons run on without a config file: mutual TLS to a broker on
// this host, with the box's files where the packages install them.
inline constexpr const char* kEmbeddedDefaultsYaml = R"yaml(
mqtt:
  host: localhost
  port: 8883
  tls:
    enabled: true
    ca_file: /etc/gridsight/tls/ca.pem
    cert_file: /etc/gridsight/tls/cert.pem
    key_file: /etc/gridsight/tls/key.pem
)yaml";

struct Options {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string client_id;  // defaults to the device id / "aggregator"
  std::string topic_root = "gridsight";
  TlsOptions tls;
  // Plain TCP without a client certificate is refused unless this is set (lab use only).
  bool allow_insecure = false;
  std::int64_t keepalive_s = 30;
  std::int64_t connect_timeout_ms = 10'000;
  // MQTT v5 session expiry: how long the broker keeps our subscriptions and queued
  // messages while we are away.
  std::int64_t session_expiry_s = 7 * 24 * 3600;
  int max_inflight = 256;  // QoS 1 messages awaiting PUBACK
  BackoffPolicy backoff{500, 30'000, 2.0, 0.5};

  std::string server_uri() const;
  // Reads the `mqtt:` section.
  static Options read(config::Section& s);
};

}  // namespace gridsight::mqtt
