#pragma once
// HTTP requests and responses as the handlers of gridsight's servers see them: plain structs,
// no Beast types, so files that register routes stay cheap to compile. The server
// (common/http/server.h) translates from and to the wire.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gridsight::http {

using Headers = std::vector<std::pair<std::string, std::string>>;  // names lower-case

struct Request {
  std::string method;                         // "GET", "POST", ...
  std::string target;                         // as received: path and query
  std::string path;                           // percent-decoded path, no query
  std::map<std::string, std::string> query;   // decoded; a repeated key keeps the last value
  std::map<std::string, std::string> params;  // from the route pattern ("{id}")
  Headers headers;
  std::string body;
  std::string remote_address;  // peer IP, for rate limits and the audit trail
  bool secure = false;         // arrived over TLS

  // Header value by case-insensitive name, empty when absent.
  std::string header(std::string_view name) const;
  // Cookie value by name, empty when absent.
  std::string cookie(std::string_view name) const;
  // Query parameter, or fallback.
  std::string query_or(const std::string& key, std::string fallback = {}) const;
};

// A long-lived response body written piece by piece (Server-Sent Events). Thread-safe:
// any thread may send; sends after the client went away return false.
class EventStream {
 public:
  virtual ~EventStream() = default;
  // Queues a frame; a reader more than a thousand frames behind is cut (false from then on).
  virtual bool send(std::string data) = 0;
  virtual bool is_open() const = 0;
  virtual void close() = 0;
  // Frames queued and not yet written: a sender pacing a replay keeps this small.
  virtual std::size_t queued() const { return 0; }
  // Calls `f` once, when every queued frame has been handed to the socket (at once if none
  // is queued), on whichever thread notices it; not at all once the stream is closed.
  virtual void on_drained(std::function<void()> f) { f(); }
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  Headers headers;  // extra headers (Set-Cookie, Location, Cache-Control...)
  std::string body;

  // A file served from disk with Range support (206/416), content type from its extension
  // unless content_type was set explicitly by the handler (set file_content_type).
  std::optional<std::filesystem::path> file;
  bool file_content_type_from_extension = true;

  // Server-Sent Events: the server writes the headers, then calls on_open with the stream;
  // the handler's owner keeps the stream and sends "data: ...\n\n" frames to it.
  std::function<void(std::shared_ptr<EventStream>)> on_stream_open;

  static Response text(int status, std::string body,
                       std::string type = "text/plain; charset=utf-8");
  static Response json(int status, std::string body);
  // {"error": code, "reason": reason} with the given status.
  static Response error(int status, std::string_view code, std::string_view reason);
  static Response event_stream(std::function<void(std::shared_ptr<EventStream>)> on_open);
  Response& with_header(std::string name, std::string value);
};

using Handler = std::function<Response(Request&)>;

// "text/html; charset=utf-8" for ".html" and so on; application/octet-stream when unknown.
std::string content_type_for(const std::filesystem::path& path);

// Percent-decoding ('+' stays '+' in paths, becomes ' ' in queries). nullopt on bad escapes.
std::optional<std::string> percent_decode(std::string_view in, bool plus_as_space);

}  // namespace gridsight::http
