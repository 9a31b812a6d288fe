#include "common/http/password.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cstring>
#include <memory>
#include <stdexcept>

#include "protocol/sha256.h"

namespace gridsight::http {

std::string hash_password(std::string_view password) {
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  // yescrypt at libxcrypt's default cost (0 → default); salt bytes from /dev/urandom.
  if (crypt_gensalt_rn("$y$", 0, nullptr, 0, setting, sizeof setting) == nullptr) {
    throw std::runtime_error("crypt_gensalt: yescrypt is not available on this system");
  }
  auto data = std::make_unique<crypt_data>();
  const std::string pw(password);
  const char* out = crypt_r(pw.c_str(), setting, data.get());
  if (out == nullptr || out[0] == '*') throw std::runtime_error("crypt: hashing failed");
  return out;
}

bool verify_password(std::string_view password, const std::string& hash) {
  if (hash.size() < 4 || hash[0] != '$') return false;
  auto data = std::make_unique<crypt_data>();
  const std::string pw(password);
  const char* out = crypt_r(pw.c_str(), hash.c_str(), data.get());
  if (out == nullptr || out[0] == '*') return false;
  return secrets_equal(out, hash);
}

bool secrets_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string random_token(std::size_t n) {
  std::string raw(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(n)) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::string token_digest(std::string_view token) {
  protocol::Sha256 h;
  h.update(token);
  return h.finish_content_hash().substr(7);  // without "sha256:"
}

}  // namespace gridsight::http
