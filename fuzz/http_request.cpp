// HTTP requests as the servers receive them: raw bytes through Beast's request parser with
// the server's limits, then gridsight's own part: target split into path and query, header
// names, the path check, routing with the API's patterns, credentials (bearer, cookie, Basic)
// and Range headers against files of several sizes.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/http/auth.h"
#include "common/http/router.h"
#include "common/http/server.h"
#include "common/http/wire.h"
#include "fuzz/fuzz_check.h"

namespace {

namespace bhttp = boost::beast::http;
using gridsight::http::Request;
using gridsight::http::Response;

const gridsight::http::Router& router() {
  static const gridsight::http::Router r = [] {
    gridsight::http::Router rt;
    auto echo = [](Request& req) {
      for (const auto& [name, value] : req.params) {
        FUZZ_CHECK(!name.empty());
        FUZZ_CHECK(!value.empty());
      }
      return Response::text(200, req.path);
    };
    for (const char* pattern :
         {"/healthz", "/api/v1/cases", "/api/v1/cases/{id}", "/api/v1/evidence/{event_id}/{name}",
          "/open311/v2/services/{code}", "/open311/v2/requests.json", "/{path...}"}) {
      rt.add("GET", pattern, echo);
    }
    for (const char* pattern : {"/api/v1/cases", "/api/v1/cases/{id}/actions", "/api/v1/login"}) {
      rt.add("POST", pattern, echo);
    }
    return rt;
  }();
  return r;
}

void check_range(const Request& req) {
  const std::string header = req.header("range");
  for (std::uint64_t size : {0ULL, 1ULL, 1000ULL, 1ULL << 40}) {
    bool unsatisfiable = false;
    const auto range = gridsight::http::parse_range(header, size, unsatisfiable);
    if (range) {
      FUZZ_CHECK(!unsatisfiable);
      FUZZ_CHECK(range->first <= range->last && range->last < size);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const gridsight::http::ServerOptions limits;
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
  parser.body_limit(limits.max_body_bytes);
  parser.eager(true);
  boost::beast::error_code ec;
  std::size_t used = 0;
  while (!ec && !parser.is_done() && used < size) {
    const std::size_t n = parser.put(boost::asio::buffer(data + used, size - used), ec);
    if (n == 0 && !ec) break;
    used += n;
  }
  if (ec == bhttp::error::need_more) ec = {};
  // The end of the connection, as the server's read sees it; with no byte at all there is
  // no message (Beast asserts that put_eof follows some input; the server's read never
  // calls it then).
  if (!parser.got_some()) return 0;
  if (!ec && !parser.is_done()) parser.put_eof(ec);
  if (ec || !parser.is_done()) return 0;

  auto msg = parser.release();
  Request req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  gridsight::http::split_target(req.target, req);
  for (const auto& field : msg) {
    const auto name = field.name_string();
    const auto value = field.value();
    gridsight::http::add_header(req, {name.data(), name.size()}, {value.data(), value.size()});
  }
  req.body = std::move(msg.body());
  req.remote_address = "127.0.0.1";

  gridsight::http::bearer_or_cookie(req, "gs_session");
  if (auto basic = gridsight::http::basic_credentials(req)) {
    FUZZ_CHECK(basic->user.find(':') == std::string::npos);
  }
  req.cookie("gridsight_session");
  req.query_or("api_key");
  check_range(req);

  if (!gridsight::http::routable_path(req.path)) return 0;
  const Response res = router().route(req);
  FUZZ_CHECK(res.status == 200 || res.status == 404 || res.status == 405);
  if (res.status == 200) {
    auto rest = req.params.find("path");
    if (rest != req.params.end()) FUZZ_CHECK(rest->second.find("..") == std::string::npos);
  }
  return 0;
}
