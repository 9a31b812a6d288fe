#include "common/http/digest.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cctype>
#include <cstdio>
#include <vector>

namespace gridsight::http {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

std::string hex_hash(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, md, nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) {
    hex.push_back(kHex[out[i] >> 4]);
    hex.push_back(kHex[out[i] & 15]);
  }
  return hex;
}

// A quoted-string value for a header parameter (backslash escapes for '"' and '\').
std::string quoted(std::string_view v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string random_hex(std::size_t n) {
  std::vector<unsigned char> bytes(n);
  RAND_bytes(bytes.data(), static_cast<int>(n));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char b : bytes) {
    hex.push_back(kHex[b >> 4]);
    hex.push_back(kHex[b & 15]);
  }
  return hex;
}

// Path and query of an absolute URL ("/" when it has none).
std::string target_of(const std::string& url) {
  auto parsed = Url::parse(url);
  return parsed ? parsed->target : "/";
}

}  // namespace

std::optional<DigestChallenge> parse_digest_challenge(std::string_view h) {
  while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
  if (h.size() < 7 || !iequals(h.substr(0, 7), "Digest ")) return std::nullopt;
  h.remove_prefix(7);
  DigestChallenge c;
  bool has_nonce = false;
  std::size_t i = 0;
  while (i < h.size()) {
    while (i < h.size() && (h[i] == ' ' || h[i] == ',' || h[i] == '\t')) ++i;
    const std::size_t key_start = i;
    while (i < h.size() && h[i] != '=' && h[i] != ',' && h[i] != ' ') ++i;
    const std::string_view key = h.substr(key_start, i - key_start);
    while (i < h.size() && h[i] == ' ') ++i;
    if (i >= h.size() || h[i] != '=') continue;  // a bare token: ignored
    ++i;
    while (i < h.size() && h[i] == ' ') ++i;
    std::string value;
    if (i < h.size() && h[i] == '"') {
      ++i;
      while (i < h.size() && h[i] != '"') {
        if (h[i] == '\\' && i + 1 < h.size()) ++i;
        value.push_back(h[i++]);
      }
      if (i >= h.size()) return std::nullopt;  // unterminated quoted string
      ++i;
    } else {
      while (i < h.size() && h[i] != ',' && h[i] != ' ') value.push_back(h[i++]);
    }
    if (iequals(key, "realm")) {
      c.realm = value;
    } else if (iequals(key, "nonce")) {
      c.nonce = value;
      has_nonce = true;
    } else if (iequals(key, "opaque")) {
      c.opaque = value;
    } else if (iequals(key, "algorithm")) {
      c.algorithm = value;
    } else if (iequals(key, "stale")) {
      c.stale = iequals(value, "true");
    } else if (iequals(key, "qop")) {
      // A list such as "auth,auth-int".
      std::size_t p = 0;
      while (p <= value.size()) {
        std::size_t q = value.find(',', p);
        if (q == std::string::npos) q = value.size();
        std::string_view opt = std::string_view(value).substr(p, q - p);
        while (!opt.empty() && opt.front() == ' ') opt.remove_prefix(1);
        while (!opt.empty() && opt.back() == ' ') opt.remove_suffix(1);
        if (iequals(opt, "auth")) c.qop_auth = true;
        p = q + 1;
      }
    }
  }
  if (!has_nonce) return std::nullopt;
  if (iequals(c.algorithm, "MD5")) {
    c.algorithm = "MD5";
  } else if (iequals(c.algorithm, "SHA-256")) {
    c.algorithm = "SHA-256";
  } else {
    return std::nullopt;
  }
  return c;
}

std::optional<DigestChallenge> choose_digest_challenge(const Headers& headers) {
  std::optional<DigestChallenge> best;
  for (const auto& [name, value] : headers) {
    if (!iequals(name, "WWW-Authenticate")) continue;
    auto c = parse_digest_challenge(value);
    if (c && (!best || (best->algorithm == "MD5" && c->algorithm == "SHA-256"))) best = c;
  }
  return best;
}

std::string digest_authorization(const DigestChallenge& c, std::string_view user,
                                 std::string_view password, std::string_view method,
                                 std::string_view uri, std::uint32_t nonce_count,
                                 std::string_view cnonce) {
  const EVP_MD* md = c.algorithm == "SHA-256" ? EVP_sha256() : EVP_md5();
  const std::string ha1 =
      hex_hash(md, std::string(user) + ":" + c.realm + ":" + std::string(password));
  const std::string ha2 = hex_hash(md, std::string(method) + ":" + std::string(uri));
  char nc[9];
  std::snprintf(nc, sizeof nc, "%08x", nonce_count);
  const std::string response = c.qop_auth ? hex_hash(md, ha1 + ":" + c.nonce + ":" + nc + ":" +
                                                             std::string(cnonce) + ":auth:" + ha2)
                                          : hex_hash(md, ha1 + ":" + c.nonce + ":" + ha2);
  std::string out = "Digest username=" + quoted(user) + ", realm=" + quoted(c.realm) +
                    ", nonce=" + quoted(c.nonce) + ", uri=" + quoted(uri) +
                    ", algorithm=" + c.algorithm + ", response=" + quoted(response);
  if (!c.opaque.empty()) out += ", opaque=" + quoted(c.opaque);
  if (c.qop_auth) out += ", qop=auth, nc=" + std::string(nc) + ", cnonce=" + quoted(cnonce);
  return out;
}

DigestSession::DigestSession(Client& client, std::string user, std::string password)
    : client_(client), user_(std::move(user)), password_(std::move(password)) {}

void DigestSession::authorize(ClientRequest& request, const std::string& target) {
  std::erase_if(request.headers, [](const auto& h) { return iequals(h.first, "Authorization"); });
  request.headers.emplace_back(
      "Authorization", digest_authorization(*challenge_, user_, password_, request.method, target,
                                            ++nonce_count_, random_hex(8)));
}

ClientResult DigestSession::request(ClientRequest request) {
  const std::string target = target_of(request.url);
  if (challenge_) authorize(request, target);
  ClientResult result = client_.request(request);
  // At most one more attempt: with a first challenge, or a new nonce after a stale one.
  if (!result.ok() || result.response->status != 401 || user_.empty()) return result;
  auto challenge = choose_digest_challenge(result.response->headers);
  if (!challenge || (challenge_ && !challenge->stale && challenge->nonce == challenge_->nonce))
    return result;
  challenge_ = std::move(challenge);
  nonce_count_ = 0;
  authorize(request, target);
  return client_.request(request);
}

}  // namespace gridsight::http
