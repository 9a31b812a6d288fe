#pragma once
// The on-device status page for maintainers (docs/status-page.md): an HTML page that refreshes
// itself, the same data as JSON, Prometheus metrics and a health check, behind a login.
//
//   GET  /                                 the page (401 with the login form without a login)
//   GET  /login                            the login form
//   POST /api/v1/login                     {"password": "..."} -> session cookie
//   POST /api/v1/logout
//   GET  /api/v1/status                    the health report as JSON
//   GET  /api/v1/cameras/{id}/frame.jpg    the camera's latest frame
//   GET  /api/v1/events?limit=N            recent events, newest first
//   GET  /api/v1/events/{id}/snapshot.jpg  an event's snapshot
//   GET  /metrics                          Prometheus text format
//   GET  /healthz                          open: 200 "ok" or 503 with the reason
//
// Credentials: a session cookie (after a login with the password), or "Authorization: Bearer
// <token>" for a configured token (stored as its SHA-256). With neither a password hash nor a
// token configured, everything but /healthz answers 403 telling how to set one. Failed logins
// are limited per address (429 with Retry-After). Passwords and tokens are never logged.
// Beast stays behind common/http.

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/http/message.h"
#include "edge/status/config.h"

namespace gridsight {
class Metrics;
}

namespace gridsight::edge::status {

class RecentEvents;

// A camera's latest frame as packed pixels (3 channels: BGR24, 1: GRAY8).
struct FramePixels {
  int width = 0, height = 0, stride = 0, channels = 0;
  std::int64_t time_ms = 0;
  std::vector<std::uint8_t> pixels;
};

// A further page or API route, behind the same login (e.g. the zone editor, zone_editor.h).
struct Route {
  std::string method;
  std::string pattern;  // as http::Router takes it
  http::Handler handler;
  bool html = false;  // a page: without a login it answers with the login form
};

// What the daemon supplies; every function may be called from the server's I/O threads.
struct Sources {
  std::function<nlohmann::json()> status;  // the health report
  std::function<std::optional<FramePixels>(const std::string& camera_id)> latest_frame;
  std::function<std::string()> metrics;                   // Prometheus text
  std::function<std::optional<std::string>()> unhealthy;  // nullopt: healthy; else why not
  RecentEvents* events = nullptr;
  std::vector<Route> routes;  // more routes, guarded like the others
};

class StatusServer {
 public:
  // metrics (may be null) receives the server's own counters (logins, requests).
  StatusServer(StatusConfig config, Sources sources, Metrics* metrics);
  ~StatusServer();
  StatusServer(const StatusServer&) = delete;
  StatusServer& operator=(const StatusServer&) = delete;

  // Binds and serves. Throws std::runtime_error naming the address when it cannot.
  void start();
  void stop();
  std::uint16_t port() const;
  std::string url() const;

  // A frame is re-encoded at most this often per camera (the page polls every few seconds).
  static constexpr std::int64_t kFrameRefreshMs = 2000;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gridsight::edge::status
