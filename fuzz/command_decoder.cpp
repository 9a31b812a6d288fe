// Remote commands and their results (<root>/v1/<device>/cmd, .../cmd/result): both decoders
// on any bytes; whatever decodes survives encoding and decoding unchanged.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "protocol/messages.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gridsight::protocol;
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  if (auto c = decode_command(payload)) {
    auto again = decode_command(encode(*c.value));
    FUZZ_CHECK(again && *again.value == *c.value);
  }
  if (auto r = decode_command_result(payload)) {
    auto again = decode_command_result(encode(*r.value));
    FUZZ_CHECK(again && *again.value == *r.value);
  }
  return 0;
}
