#pragma once
// A small synchronous HTTP/1.1 client (http:// and https://) for calls to other systems,
// e.g. the external case platform. One connection per request; connect and whole-request
// timeouts; TLS verifies the peer against a configured CA file (or the system store) and
// sends SNI. Transport failures are returned, never thrown.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gridsight::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

// http[s]://host[:port][/target]
struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;
  std::string port;    // "80" / "443" unless given
  std::string target;  // path and query, at least "/"
  bool tls() const { return scheme == "https"; }
  // nullopt with `error` set when the URL is not one this client speaks.
  static std::optional<Url> parse(std::string_view text, std::string* error = nullptr);
};

struct ClientOptions {
  std::string ca_file;  // PEM; empty: the system's default trust store
  bool verify_peer = true;
  std::int64_t connect_timeout_ms = 5'000;
  std::int64_t timeout_ms = 10'000;  // writing the request and reading the whole response
  std::uint64_t max_response_bytes = 8ULL << 20;
  std::string user_agent = "gridsight";
};

struct ClientRequest {
  std::string method = "GET";
  std::string url;
  Headers headers;
  std::string body;
  std::string content_type;  // set when body is not empty, e.g. "application/json"
};

struct ClientResponse {
  int status = 0;
  Headers headers;
  std::string body;
  // First header of that name (case-insensitive), or empty.
  std::string header(std::string_view name) const;
};

struct ClientResult {
  std::optional<ClientResponse> response;  // set when a complete response was read
  std::string error;                       // transport error ("connect: Connection refused", ...)
  bool ok() const { return response.has_value(); }
};

class Client {
 public:
  explicit Client(ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Thread-compatible: one request at a time per Client.
  ClientResult request(const ClientRequest& request);
  ClientResult get(const std::string& url, Headers headers = {});
  ClientResult post_json(const std::string& url, std::string body, Headers headers = {});

  const ClientOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gridsight::http
