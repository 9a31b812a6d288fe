// Acknowledgements (<root>/v1/<device>/ack): decode_ack on any bytes; a decoded ack survives
// encoding and decoding unchanged.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "protocol/messages.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gridsight::protocol;
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  auto parsed = decode_ack(payload);
  if (!parsed) return 0;
  auto again = decode_ack(encode(*parsed.value));
  FUZZ_CHECK(again && *again.value == *parsed.value);
  return 0;
}
