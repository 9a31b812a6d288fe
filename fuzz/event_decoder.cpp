// Event messages (<root>/v1/<device>/events): decode_event on any bytes. A decoded event is
// valid, and encoding it gives a message that decodes to the same event.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "protocol/event.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gridsight::protocol;
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  auto parsed = decode_event(payload);
  if (!parsed) return 0;
  FUZZ_CHECK(!validate(*parsed.value));
  auto again = decode_event(encode(*parsed.value));
  FUZZ_CHECK(again && *again.value == *parsed.value);
  return 0;
}
