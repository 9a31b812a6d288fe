#pragma once
// Passwords are stored as crypt(3) strings with a slow hash (yescrypt, "$y$..."), never in
// clear; verification takes the same time whichever part of the password is wrong.

#include <string>
#include <string_view>

namespace gridsight::http {

// Throws std::runtime_error when the system's crypt cannot make a yescrypt hash.
std::string hash_password(std::string_view password);
// False for a wrong password or a hash string that is not a valid crypt(3) hash.
bool verify_password(std::string_view password, const std::string& hash);
// Constant-time comparison of two secrets.
bool secrets_equal(std::string_view a, std::string_view b);
// A random token of n bytes, hex encoded (OpenSSL RAND_bytes).
std::string random_token(std::size_t n = 24);
// Hex SHA-256 of a token (tokens are stored hashed, like passwords, but need no slow hash).
std::string token_digest(std::string_view token);

}  // namespace gridsight::http
