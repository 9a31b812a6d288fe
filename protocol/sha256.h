#pragma once
// Incremental SHA-256 for evidence content hashes (OpenSSL EVP underneath).

#include <memory>
#include <string>
#include <string_view>

namespace gridsight::protocol {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::string_view bytes);
  // "sha256:<hex>"; the hasher is spent afterwards.
  std::string finish_content_hash();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gridsight::protocol
