// Telemetry and device state (<root>/v1/<device>/telemetry, .../state): the telemetry envelope
// check and decode_state on any bytes; a decoded state survives encoding and decoding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "protocol/ids.h"
#include "protocol/messages.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gridsight::protocol;
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  if (auto t = decode_telemetry_envelope(payload)) FUZZ_CHECK(is_device_id(t.value->device_id));
  if (auto s = decode_state(payload)) {
    auto again = decode_state(encode(*s.value));
    FUZZ_CHECK(again && *again.value == *s.value);
  }
  return 0;
}
