#pragma once
// An HTTP/1.1 server on Boost.Beast for the edge status page and the aggregator API: a pool
// of I/O threads, keep-alive, limits on header and body size, read timeouts, a cap on open
// connections, optional TLS, files with Range requests, and Server-Sent Events. Handlers run
// on the I/O threads and may block briefly (SQLite queries); see common/http/message.h.
// Beast stays inside server.cpp.

#include <cstdint>
#include <memory>
#include <string>

#include "common/http/router.h"

namespace gridsight {
class Metrics;
}

namespace gridsight::http {

struct ServerOptions {
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: an ephemeral port, see Server::port()
  int threads = 2;
  std::size_t max_body_bytes = 1 << 20;
  std::size_t max_header_bytes = 16 << 10;
  int read_timeout_s = 30;
  int max_connections = 256;
  std::size_t max_file_range_bytes = 4 << 20;  // one Range response carries at most this
  // TLS when both are set (PEM files).
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string name = "http";  // label of this server's metrics and log lines
};

class Server {
 public:
  // metrics may be null. Throws std::runtime_error when TLS files cannot be loaded.
  Server(ServerOptions options, Router router, Metrics* metrics = nullptr);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts the I/O threads. Throws std::runtime_error naming the address when
  // binding fails.
  void start();
  // Closes the listener, all connections and event streams, joins the threads. Idempotent.
  void stop();
  std::uint16_t port() const;
  std::string url() const;  // "http://127.0.0.1:port" or https

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gridsight::http
