// Eviction notices (<root>/v1/<device>/notice): decode_notice on any bytes; a decoded notice
// survives encoding and decoding unchanged.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "protocol/messages.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gridsight::protocol;
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  auto parsed = decode_notice(payload);
  if (!parsed) return 0;
  FUZZ_CHECK(parsed.value->first_seq <= parsed.value->last_seq);
  auto again = decode_notice(encode(*parsed.value));
  FUZZ_CHECK(again && *again.value == *parsed.value);
  return 0;
}
