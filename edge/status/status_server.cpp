#include "edge/status/status_server.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <map>
#include <mutex>

#include "common/http/auth.h"
#include "common/http/password.h"
#include "common/http/server.h"
#include "common/metrics.h"
#include "edge/evidence/media.h"
#include "edge/status/page.h"
#include "edge/status/recent_events.h"

namespace gridsight::edge::status {
namespace {

using http::Request;
using http::Response;
using Json = nlohmann::json;

constexpr std::string_view kCookie = "gridsight_session";
constexpr std::string_view kPrincipal = "maintainer";
constexpr int kJpegQuality = 75;

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string not_configured_reason() {
  return "no password or token is configured for the status page: set status.password_hash "
         "(a hash made with gridsight-passwd) or status.tokens (SHA-256 of a token) in the "
         "edge configuration and restart";
}

// Security headers on every answer: nothing cached, nothing framed, inline code only from us.
Response secured(Response r) {
  r.headers.emplace_back("Cache-Control", "no-store");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  if (r.content_type.rfind("text/html", 0) == 0) {
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
                           "script-src 'unsafe-inline'; connect-src 'self'; form-action 'self'; "
                           "frame-ancestors 'none'; base-uri 'none'");
  }
  return r;
}

// "password=..." from a form body (application/x-www-form-urlencoded).
std::optional<std::string> form_field(const std::string& body, const std::string& name) {
  std::size_t pos = 0;
  while (pos <= body.size()) {
    const auto amp = body.find('&', pos);
    const std::string pair =
        body.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    const auto eq = pair.find('=');
    if (eq != std::string::npos && pair.substr(0, eq) == name) {
      return http::percent_decode(pair.substr(eq + 1), true);
    }
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  return std::nullopt;
}

}  // namespace

struct StatusServer::Impl {
  enum class Access { kGranted, kNotConfigured, kDenied, kLimited };
  struct Check {
    Access access;
    std::int64_t retry_after_s = 0;
  };
  struct CachedFrame {
    std::string jpeg;
    std::int64_t encoded_steady_ms = 0;
    std::int64_t frame_ms = 0;
  };

  StatusConfig config;
  Sources sources;
  Metrics* metrics;
  http::SessionStore sessions;
  http::LoginLimiter limiter;
  std::unique_ptr<http::Server> server;
  std::mutex frames_mu;
  std::map<std::string, CachedFrame> frames;

  Impl(StatusConfig c, Sources s, Metrics* m)
      : config(std::move(c)),
        sources(std::move(s)),
        metrics(m),
        sessions(std::chrono::seconds(config.session_idle_ms / 1000),
                 std::chrono::seconds(
                     std::max<std::int64_t>(config.session_idle_ms / 1000, 24 * 3600))) {}

  void count_login(const char* result) {
    if (metrics) {
      metrics
          ->counter("gridsight_status_logins_total", "Status page login attempts by result",
                    {{"result", result}})
          .inc();
    }
  }

  Check check(const Request& q) {
    if (!config.has_credentials()) return {Access::kNotConfigured};
    const std::string auth = q.header("authorization");
    constexpr std::string_view kBearer = "Bearer ";
    if (auth.size() > kBearer.size() && auth.compare(0, kBearer.size(), kBearer) == 0) {
      if (const auto wait = limiter.retry_after_s(q.remote_address); wait > 0) {
        return {Access::kLimited, wait};
      }
      const std::string token = auth.substr(kBearer.size());
      const std::string digest = http::token_digest(token);
      bool ok = false;
      for (const auto& t : config.tokens) ok = http::secrets_equal(digest, t) || ok;
      if (ok || sessions.lookup(token)) return {Access::kGranted};
      limiter.failed(q.remote_address);
      spdlog::warn("status: refused a bearer token from {}", q.remote_address);
      return {Access::kDenied};
    }
    if (sessions.lookup(q.cookie(kCookie))) return {Access::kGranted};
    return {Access::kDenied};
  }

  // The answer when access is not granted; html: for the page itself.
  static Response refusal(const Check& c, bool html) {
    switch (c.access) {
      case Access::kNotConfigured:
        if (html)
          return Response::text(403, closed_page_html(not_configured_reason()),
                                "text/html; charset=utf-8");
        return Response::error(403, "no_credentials_configured", not_configured_reason());
      case Access::kLimited:
        return Response::error(429, "too_many_attempts",
                               "too many failed attempts from this address; retry later")
            .with_header("Retry-After", std::to_string(c.retry_after_s));
      default:
        break;
    }
    Response r =
        html ? Response::text(401, std::string(login_page_html()), "text/html; charset=utf-8")
             : Response::error(401, "unauthorized",
                               "log in at /login or send Authorization: Bearer <token>");
    return r.with_header("WWW-Authenticate", "Bearer realm=\"gridsight-edge\"");
  }

  // Wraps a handler that needs a login.
  http::Handler guarded(std::function<Response(Request&)> h, bool html = false) {
    return [this, h = std::move(h), html](Request& q) {
      const Check c = check(q);
      if (c.access != Access::kGranted) return secured(refusal(c, html));
      return secured(h(q));
    };
  }

  Response login(Request& q) {
    if (!config.has_credentials())
      return Response::error(403, "no_credentials_configured", not_configured_reason());
    if (config.password_hash.empty()) {
      return Response::error(
          403, "password_login_disabled",
          "no password is configured (status.password_hash); use a bearer token");
    }
    if (const auto wait = limiter.retry_after_s(q.remote_address); wait > 0) {
      count_login("limited");
      return Response::error(429, "too_many_attempts",
                             "too many failed logins from this address; retry later")
          .with_header("Retry-After", std::to_string(wait));
    }
    std::optional<std::string> password;
    if (q.header("content-type").rfind("application/json", 0) == 0) {
      const Json j = Json::parse(q.body, nullptr, false);
      if (j.is_object() && j.contains("password") && j["password"].is_string()) {
        password = j["password"].get<std::string>();
      }
    } else {
      password = form_field(q.body, "password");
    }
    if (!password) return Response::error(400, "bad_request", "send {\"password\": \"...\"}");
    if (!http::verify_password(*password, config.password_hash)) {
      limiter.failed(q.remote_address);
      count_login("failed");
      spdlog::warn("status: failed login from {}", q.remote_address);
      return Response::error(401, "wrong_password", "wrong password");
    }
    limiter.succeeded(q.remote_address);
    count_login("ok");
    spdlog::info("status: login from {}", q.remote_address);
    const std::string token = sessions.create(std::string(kPrincipal));
    return Response::json(200, R"({"ok":true})")
        .with_header("Set-Cookie",
                     http::session_cookie(kCookie, token, q.secure, config.session_idle_ms / 1000));
  }

  Response logout(Request& q) {
    const std::string token = http::bearer_or_cookie(q, kCookie);
    if (!token.empty()) sessions.revoke(token);
    return Response::json(200, R"({"ok":true})")
        .with_header("Set-Cookie", http::session_cookie(kCookie, "", q.secure, 0));
  }

  Response frame(Request& q) {
    const std::string& id = q.params["id"];
    const std::int64_t now = steady_ms();
    {
      std::lock_guard lock(frames_mu);
      auto it = frames.find(id);
      if (it != frames.end() && now - it->second.encoded_steady_ms < kFrameRefreshMs) {
        return jpeg(it->second.jpeg)
            .with_header("X-Frame-Time", std::to_string(it->second.frame_ms));
      }
    }
    std::optional<FramePixels> f = sources.latest_frame ? sources.latest_frame(id) : std::nullopt;
    if (!f || f->pixels.empty()) {
      return Response::error(404, "no_frame", "no frame from camera " + id + " yet");
    }
    CachedFrame c;
    try {
      c.jpeg = evidence::encode_jpeg(f->pixels.data(), f->width, f->height, f->stride, f->channels,
                                     kJpegQuality);
    } catch (const std::exception& e) {
      spdlog::warn("status: camera {}: cannot encode its frame: {}", id, e.what());
      return Response::error(500, "encoding_failed", e.what());
    }
    c.encoded_steady_ms = now;
    c.frame_ms = f->time_ms;
    Response r = jpeg(c.jpeg).with_header("X-Frame-Time", std::to_string(c.frame_ms));
    std::lock_guard lock(frames_mu);
    frames[id] = std::move(c);
    return r;
  }

  static Response jpeg(std::string bytes) {
    Response r;
    r.content_type = "image/jpeg";
    r.body = std::move(bytes);
    return r;
  }

  Response events(Request& q) {
    std::size_t limit = 20;
    try {
      const std::string l = q.query_or("limit", "20");
      const long v = std::stol(l);
      if (v < 1 || v > 1000) throw std::out_of_range(l);
      limit = static_cast<std::size_t>(v);
    } catch (const std::exception&) {
      return Response::error(400, "bad_limit", "limit must be a number from 1 to 1000");
    }
    Json list = Json::array();
    if (sources.events) {
      for (const auto& e : sources.events->latest(limit)) {
        list.push_back({{"seq", e.seq},
                        {"event_id", e.event_id},
                        {"camera_id", e.camera_id},
                        {"type", e.type},
                        {"zone", e.zone},
                        {"start_ms", e.start_ms},
                        {"end_ms", e.end_ms ? Json(*e.end_ms) : Json(nullptr)},
                        {"confidence", e.confidence},
                        {"committed_ms", e.committed_ms},
                        {"snapshot", e.snapshot.empty() ? Json(nullptr)
                                                        : Json("/api/v1/events/" + e.event_id +
                                                               "/snapshot.jpg")}});
      }
    }
    return Response::json(200, Json{{"events", std::move(list)}}.dump());
  }

  Response snapshot(Request& q) {
    const auto s = sources.events ? sources.events->snapshot(q.params["id"]) : std::nullopt;
    if (!s) return Response::error(404, "no_snapshot", "no snapshot kept for this event");
    return jpeg(*s);
  }

  Response healthz() {
    std::optional<std::string> problem;
    try {
      if (sources.unhealthy) problem = sources.unhealthy();
    } catch (const std::exception& e) {
      problem = std::string("health check failed: ") + e.what();
    }
    if (problem) return secured(Response::text(503, "unhealthy: " + *problem + "\n"));
    return secured(Response::text(200, "ok\n"));
  }

  http::Router routes() {
    http::Router r;
    r.add("GET", "/healthz", [this](Request&) { return healthz(); });
    r.add("GET", "/login", [](Request&) {
      return secured(
          Response::text(200, std::string(login_page_html()), "text/html; charset=utf-8"));
    });
    r.add("POST", "/api/v1/login", [this](Request& q) { return secured(login(q)); });
    r.add("POST", "/api/v1/logout", [this](Request& q) { return secured(logout(q)); });
    r.add("GET", "/",
          guarded(
              [](Request&) {
                return Response::text(200, std::string(status_page_html()),
                                      "text/html; charset=utf-8");
              },
              true));
    r.add("GET", "/api/v1/status", guarded([this](Request&) {
            return Response::json(200, sources.status ? sources.status().dump() : "{}");
          }));
    r.add("GET", "/api/v1/cameras/{id}/frame.jpg",
          guarded([this](Request& q) { return frame(q); }));
    r.add("GET", "/api/v1/events", guarded([this](Request& q) { return events(q); }));
    r.add("GET", "/api/v1/events/{id}/snapshot.jpg",
          guarded([this](Request& q) { return snapshot(q); }));
    r.add("GET", "/metrics", guarded([this](Request&) {
            return Response::text(200, sources.metrics ? sources.metrics() : "",
                                  "text/plain; version=0.0.4; charset=utf-8");
          }));
    for (const auto& extra : sources.routes) {
      r.add(extra.method, extra.pattern, guarded(extra.handler, extra.html));
    }
    return r;
  }
};

StatusServer::StatusServer(StatusConfig config, Sources sources, Metrics* metrics)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(sources), metrics)) {
  http::ServerOptions o;
  o.bind_address = impl_->config.bind;
  o.port = static_cast<std::uint16_t>(impl_->config.port);
  o.threads = 1;  // a maintainer or two and a scraper: one I/O thread is plenty on the box
  o.max_body_bytes = 64 << 10;  // a zone editor's save: a camera's zones, lines and rules
  o.max_connections = 32;
  o.tls_cert_file = impl_->config.tls_cert_file;
  o.tls_key_file = impl_->config.tls_key_file;
  o.name = "status";
  impl_->server = std::make_unique<http::Server>(o, impl_->routes(), metrics);
}

StatusServer::~StatusServer() {
  stop();
}

void StatusServer::start() {
  if (!impl_->config.has_credentials()) {
    spdlog::warn("status: {}; only /healthz answers", not_configured_reason());
  }
  impl_->server->start();
}

void StatusServer::stop() {
  impl_->server->stop();
}

std::uint16_t StatusServer::port() const {
  return impl_->server->port();
}

std::string StatusServer::url() const {
  return impl_->server->url();
}

}  // namespace gridsight::edge::status
