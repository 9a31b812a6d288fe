#include "common/http/auth.h"

#include <algorithm>

#include "common/http/password.h"

namespace gridsight::http {
namespace {

std::optional<std::string> base64_decode(std::string_view in) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    const auto pos = kAlphabet.find(c);
    if (pos == std::string_view::npos) return std::nullopt;
    buffer = (buffer << 6) | static_cast<unsigned>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return out;
}

}  // namespace

std::string bearer_or_cookie(const Request& request, std::string_view cookie_name) {
  const std::string auth = request.header("authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (auth.size() > kBearer.size() && auth.compare(0, kBearer.size(), kBearer) == 0) {
    return auth.substr(kBearer.size());
  }
  return request.cookie(cookie_name);
}

std::optional<BasicCredentials> basic_credentials(const Request& request) {
  const std::string auth = request.header("authorization");
  constexpr std::string_view kBasic = "Basic ";
  if (auth.size() <= kBasic.size() || auth.compare(0, kBasic.size(), kBasic) != 0) {
    return std::nullopt;
  }
  const auto decoded = base64_decode(std::string_view(auth).substr(kBasic.size()));
  if (!decoded) return std::nullopt;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return BasicCredentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

SessionStore::SessionStore(std::chrono::seconds idle, std::chrono::seconds absolute)
    : idle_(idle), absolute_(absolute) {}

std::string SessionStore::create(const std::string& principal) {
  std::string token = random_token();
  const auto now = Clock::now();
  std::lock_guard lock(mu_);
  expire_locked(now);
  by_digest_[token_digest(token)] = Entry{principal, now, now};
  return token;
}

std::optional<std::string> SessionStore::lookup(const std::string& token) {
  if (token.empty()) return std::nullopt;
  const auto now = Clock::now();
  std::lock_guard lock(mu_);
  expire_locked(now);
  const auto it = by_digest_.find(token_digest(token));
  if (it == by_digest_.end()) return std::nullopt;
  it->second.last_used = now;
  return it->second.principal;
}

void SessionStore::revoke(const std::string& token) {
  std::lock_guard lock(mu_);
  by_digest_.erase(token_digest(token));
}

void SessionStore::revoke_principal(const std::string& principal) {
  std::lock_guard lock(mu_);
  std::erase_if(by_digest_, [&](const auto& kv) { return kv.second.principal == principal; });
}

std::size_t SessionStore::size() const {
  std::lock_guard lock(mu_);
  return by_digest_.size();
}

void SessionStore::expire_locked(Clock::time_point now) {
  std::erase_if(by_digest_, [&](const auto& kv) {
    return now - kv.second.last_used > idle_ || now - kv.second.created > absolute_;
  });
}

LoginLimiter::LoginLimiter(int free_attempts, std::chrono::seconds window,
                           std::chrono::seconds max_delay)
    : free_attempts_(free_attempts), window_(window), max_delay_(max_delay) {}

std::int64_t LoginLimiter::retry_after_s(const std::string& address, Clock::time_point now) {
  std::lock_guard lock(mu_);
  const auto it = entries_.find(address);
  if (it == entries_.end() || now >= it->second.blocked_until) return 0;
  return std::chrono::ceil<std::chrono::seconds>(it->second.blocked_until - now).count();
}

void LoginLimiter::failed(const std::string& address, Clock::time_point now) {
  std::lock_guard lock(mu_);
  Entry& e = entries_[address];
  if (e.failures == 0 || now - e.first > window_) {
    e = Entry{0, now, now};
  }
  ++e.failures;
  if (e.failures >= free_attempts_) {  // the next attempt after `free_attempts` failures waits
    const int over = std::min(e.failures - free_attempts_ + 1, 20);
    const auto delay =
        std::min<std::chrono::seconds>(std::chrono::seconds(1LL << over), max_delay_);
    e.blocked_until = now + delay;
  }
  if (entries_.size() > 10000) {  // a flood of addresses: forget the oldest quiet ones
    std::erase_if(entries_, [&](const auto& kv) { return now - kv.second.first > window_; });
  }
}

void LoginLimiter::succeeded(const std::string& address) {
  std::lock_guard lock(mu_);
  entries_.erase(address);
}

std::string session_cookie(std::string_view name, std::string_view token, bool secure,
                           std::int64_t max_age_s) {
  std::string c = std::string(name) + "=" + std::string(token) +
                  "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age_s);
  if (secure) c += "; Secure";
  return c;
}

}  // namespace gridsight::http
