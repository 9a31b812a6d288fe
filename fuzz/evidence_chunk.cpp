// Evidence chunk frames (<root>/v1/<device>/evidence: length, JSON header, bytes): any bytes
// are decoded; a decoded chunk lies within its object and re-frames to the same chunk.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "protocol/evidence_frame.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gridsight::protocol;
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  auto parsed = decode_evidence_chunk(payload);
  if (!parsed) return 0;
  const EvidenceChunk& chunk = *parsed.value;
  FUZZ_CHECK(chunk.data.data() >= payload.data() &&
             chunk.data.data() + chunk.data.size() <= payload.data() + payload.size());
  FUZZ_CHECK(chunk.header.offset <= chunk.header.size);
  FUZZ_CHECK(chunk.data.size() <= chunk.header.size - chunk.header.offset);
  const std::string framed = encode_evidence_chunk(chunk.header, chunk.data);
  auto again = decode_evidence_chunk(framed);
  FUZZ_CHECK(again && again.value->header == chunk.header && again.value->data == chunk.data);
  return 0;
}
