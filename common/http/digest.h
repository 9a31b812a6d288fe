#pragma once
// HTTP digest access authentication, client side (RFC 7616: MD5 and SHA-256, qop "auth" or
// none), as IP cameras ask for it. A DigestSession remembers the last challenge, so later
// requests authenticate at once with an increasing nonce count; a 401 with a new challenge
// (a stale nonce) is answered once more.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/http/client.h"

namespace gridsight::http {

struct DigestChallenge {
  std::string realm;
  std::string nonce;
  std::string opaque;
  std::string algorithm = "MD5";  // "MD5" or "SHA-256" (the "-sess" variants are not spoken)
  bool qop_auth = false;          // the server offered qop="auth"
  bool stale = false;
};

// One WWW-Authenticate value; nullopt when it is not a digest challenge this client speaks.
std::optional<DigestChallenge> parse_digest_challenge(std::string_view header);
// The best digest challenge among a response's WWW-Authenticate headers (SHA-256 over MD5).
std::optional<DigestChallenge> choose_digest_challenge(const Headers& headers);

// The Authorization header value for one request.
std::string digest_authorization(const DigestChallenge& challenge, std::string_view user,
                                 std::string_view password, std::string_view method,
                                 std::string_view uri, std::uint32_t nonce_count,
                                 std::string_view cnonce);

// Requests through `client` with digest authentication when the server asks for it.
class DigestSession {
 public:
  DigestSession(Client& client, std::string user, std::string password);
  // Sends `request`; on a 401 with a digest challenge, sends it again with credentials.
  ClientResult request(ClientRequest request);

 private:
  void authorize(ClientRequest& request, const std::string& target);
  Client& client_;
  std::string user_, password_;
  std::optional<DigestChallenge> challenge_;
  std::uint32_t nonce_count_ = 0;
};

}  // namespace gridsight::http
