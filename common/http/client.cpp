#include "common/http/client.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cctype>
#include <chrono>
#include <stdexcept>

namespace gridsight::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string describe(const std::string& step, const beast::error_code& ec) {
  if (ec == beast::error::timeout) return step + ": timed out";
  return step + ": " + ec.message();
}

}  // namespace

std::optional<Url> Url::parse(std::string_view text, std::string* error) {
  auto fail = [&](const std::string& why) -> std::optional<Url> {
    if (error) *error = why;
    return std::nullopt;
  };
  Url u;
  auto sep = text.find("://");
  if (sep == std::string_view::npos) return fail("no scheme (http:// or https://)");
  u.scheme = lower(text.substr(0, sep));
  if (u.scheme != "http" && u.scheme != "https") return fail("scheme must be http or https");
  std::string_view rest = text.substr(sep + 3);
  auto slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  u.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (!u.target.empty() && u.target.front() == '?') u.target.insert(0, "/");
  if (authority.find('@') != std::string_view::npos) return fail("credentials in URLs are refused");
  if (!authority.empty() && authority.front() == '[') {  // [v6]:port
    auto close = authority.find(']');
    if (close == std::string_view::npos) return fail("unterminated IPv6 address");
    u.host = std::string(authority.substr(1, close - 1));
    authority = authority.substr(close + 1);
    if (!authority.empty()) {
      if (authority.front() != ':') return fail("bad authority");
      u.port = std::string(authority.substr(1));
    }
  } else {
    auto colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) u.port = std::string(authority.substr(colon + 1));
  }
  if (u.host.empty()) return fail("no host");
  if (u.port.empty()) u.port = u.tls() ? "443" : "80";
  if (!std::all_of(u.port.begin(), u.port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      u.port.size() > 5 || std::stoi(u.port) < 1 || std::stoi(u.port) > 65535) {
    return fail("bad port '" + u.port + "'");
  }
  for (char c : u.target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return fail("bad character in path");
  }
  return u;
}

std::string ClientResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return v;
  }
  return {};
}

struct Client::Impl {
  ClientOptions options;
  asio::io_context ioc;
  std::unique_ptr<asio::ssl::context> tls;  // created on the first https request

  asio::ssl::context& tls_context() {
    if (!tls) {
      tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
      tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1);
      if (options.ca_file.empty()) {
        tls->set_default_verify_paths();
      } else {
        tls->load_verify_file(options.ca_file);  // throws: a configuration error
      }
      tls->set_verify_mode(options.verify_peer ? asio::ssl::verify_peer : asio::ssl::verify_none);
    }
    return *tls;
  }

  // Runs the queued asynchronous operation to completion (each call is one step).
  void run() {
    ioc.restart();
    ioc.run();
  }

  template <class Stream>
  ClientResult exchange(Stream& stream, beast::tcp_stream& lowest, const Url& url,
                        const ClientRequest& req) {
    ClientResult result;
    bhttp::request<bhttp::string_body> r;
    bhttp::verb verb = bhttp::string_to_verb(req.method);
    if (verb == bhttp::verb::unknown) {
      result.error = "unknown method '" + req.method + "'";
      return result;
    }
    r.method(verb);
    r.target(url.target);
    r.version(11);
    const bool default_port = url.port == (url.tls() ? "443" : "80");
    const bool v6 = url.host.find(':') != std::string::npos;
    std::string host = v6 ? "[" + url.host + "]" : url.host;
    r.set(bhttp::field::host, default_port ? host : host + ":" + url.port);
    r.set(bhttp::field::user_agent, options.user_agent);
    r.set(bhttp::field::connection, "close");
    for (const auto& [k, v] : req.headers) r.set(k, v);
    if (!req.body.empty() || verb == bhttp::verb::post || verb == bhttp::verb::put) {
      if (!req.content_type.empty()) r.set(bhttp::field::content_type, req.content_type);
      r.body() = req.body;
      r.prepare_payload();
    }

    beast::error_code ec;
    lowest.expires_after(std::chrono::milliseconds(options.timeout_ms));
    bhttp::async_write(stream, r, [&](beast::error_code e, std::size_t) { ec = e; });
    run();
    if (ec) {
      result.error = describe("write", ec);
      return result;
    }
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(options.max_response_bytes);
    parser.header_limit(64 * 1024);
    bhttp::async_read(stream, buffer, parser, [&](beast::error_code e, std::size_t) { ec = e; });
    run();
    if (ec) {
      result.error = describe("read", ec);
      return result;
    }
    auto& msg = parser.get();
    ClientResponse resp;
    resp.status = static_cast<int>(msg.result_int());
    for (const auto& f : msg)
      resp.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    resp.body = std::move(msg.body());
    result.response = std::move(resp);
    return result;
  }

  ClientResult request(const ClientRequest& req) {
    ClientResult result;
    std::string why;
    auto url = Url::parse(req.url, &why);
    if (!url) {
      result.error = "bad URL: " + why;
      return result;
    }
    beast::error_code ec;
    tcp::resolver resolver(ioc);
    tcp::resolver::results_type endpoints;
    resolver.async_resolve(url->host, url->port,
                           [&](beast::error_code e, tcp::resolver::results_type r) {
                             ec = e;
                             endpoints = std::move(r);
                           });
    run();
    if (ec) {
      result.error = describe("resolve " + url->host, ec);
      return result;
    }
    auto connect = [&](beast::tcp_stream& s) {
      s.expires_after(std::chrono::milliseconds(options.connect_timeout_ms));
      s.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
      run();
      return !ec;
    };
    try {
      if (!url->tls()) {
        beast::tcp_stream stream(ioc);
        if (!connect(stream)) {
          result.error = describe("connect", ec);
          return result;
        }
        result = exchange(stream, stream, *url, req);
        stream.socket().shutdown(tcp::socket::shutdown_both, ec);
        return result;
      }
      beast::ssl_stream<beast::tcp_stream> stream(ioc, tls_context());
      SSL* ssl = stream.native_handle();
      boost::system::error_code addr_ec;
      (void)asio::ip::make_address(url->host, addr_ec);
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
      if (addr_ec) {
        // SNI, and the certificate must name the host.
        if (!SSL_set_tlsext_host_name(ssl, url->host.c_str())) {
          result.error = "tls: cannot set SNI";
          return result;
        }
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        X509_VERIFY_PARAM_set1_host(param, url->host.c_str(), url->host.size());
      } else {
        X509_VERIFY_PARAM_set1_ip_asc(param, url->host.c_str());
      }
      if (!connect(beast::get_lowest_layer(stream))) {
        result.error = describe("connect", ec);
        return result;
      }
      beast::get_lowest_layer(stream).expires_after(std::chrono::milliseconds(options.timeout_ms));
      stream.async_handshake(asio::ssl::stream_base::client, [&](beast::error_code e) { ec = e; });
      run();
      if (ec) {
        result.error = describe("tls handshake", ec);
        return result;
      }
      result = exchange(stream, beast::get_lowest_layer(stream), *url, req);
      beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ec);
      return result;
    } catch (const std::exception& e) {  // e.g. an unreadable CA file
      result.error = std::string("tls: ") + e.what();
      return result;
    }
  }
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  if (!impl_->options.ca_file.empty()) impl_->tls_context();  // a bad CA file fails here
}

Client::~Client() = default;

ClientResult Client::request(const ClientRequest& request) {
  return impl_->request(request);
}

ClientResult Client::get(const std::string& url, Headers headers) {
  ClientRequest r;
  r.method = "GET";
  r.url = url;
  r.headers = std::move(headers);
  return request(r);
}

ClientResult Client::post_json(const std::string& url, std::string body, Headers headers) {
  ClientRequest r;
  r.method = "POST";
  r.url = url;
  r.headers = std::move(headers);
  r.body = std::move(body);
  r.content_type = "application/json";
  return request(r);
}

const ClientOptions& Client::options() const {
  return impl_->options;
}

}  // namespace gridsight::http
