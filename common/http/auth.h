#pragma once
// Building blocks for logins shared by the edge status page and the aggregator console:
// credentials carried by a request, sessions after a login, and a per-address limit on
// failed logins. Who may do what (roles) is the caller's business.

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "common/http/message.h"

namespace gridsight::http {

// "Authorization: Bearer <token>" or the session cookie, in that order; empty when neither.
std::string bearer_or_cookie(const Request& request, std::string_view cookie_name);

// "Authorization: Basic ..." decoded into user and password, when present and well formed.
struct BasicCredentials {
  std::string user;
  std::string password;
};
std::optional<BasicCredentials> basic_credentials(const Request& request);

// Sessions issued after a login: random tokens kept hashed in memory with an idle and an
// absolute expiry. Sessions do not survive a restart (operators log in again).
class SessionStore {
 public:
  using Clock = std::chrono::steady_clock;
  SessionStore(std::chrono::seconds idle = std::chrono::hours(8),
               std::chrono::seconds absolute = std::chrono::hours(24));
  // Returns the token to hand to the client.
  std::string create(const std::string& principal);
  // The principal of a live session (and refreshes its idle expiry), or nullopt.
  std::optional<std::string> lookup(const std::string& token);
  void revoke(const std::string& token);
  void revoke_principal(const std::string& principal);
  std::size_t size() const;

 private:
  struct Entry {
    std::string principal;
    Clock::time_point created;
    Clock::time_point last_used;
  };
  void expire_locked(Clock::time_point now);
  std::chrono::seconds idle_;
  std::chrono::seconds absolute_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> by_digest_;
};

// Failed logins per remote address: after `free_attempts` failures within the window, each
// further attempt must wait (2 s, doubling up to `max_delay`). A success clears the address.
class LoginLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  LoginLimiter(int free_attempts = 5, std::chrono::seconds window = std::chrono::minutes(15),
               std::chrono::seconds max_delay = std::chrono::minutes(15));
  // Seconds the address must still wait before trying again (0: may try now).
  std::int64_t retry_after_s(const std::string& address, Clock::time_point now = Clock::now());
  void failed(const std::string& address, Clock::time_point now = Clock::now());
  void succeeded(const std::string& address);

 private:
  struct Entry {
    int failures = 0;
    Clock::time_point first;
    Clock::time_point blocked_until;
  };
  int free_attempts_;
  std::chrono::seconds window_;
  std::chrono::seconds max_delay_;
  std::mutex mu_;
  std::map<std::string, Entry> entries_;
};

// The Set-Cookie value for a session cookie (HttpOnly, SameSite=Strict, Secure over TLS).
std::string session_cookie(std::string_view name, std::string_view token, bool secure,
                           std::int64_t max_age_s);

}  // namespace gridsight::http
