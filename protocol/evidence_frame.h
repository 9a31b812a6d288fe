#pragma once
// Evidence chunk framing: <root>/v1/<device>/evidence messages carry
//   4-byte big-endian header length N | N bytes of JSON header | chunk bytes
// so a binary chunk needs no base64 and the header stays readable (docs/protocol.md).

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/parse_error.h"

namespace gridsight::protocol {

struct EvidenceChunkHeader {
  std::string hash;        // content hash of the whole object
  std::string event_id;    // the event that references it (first one, if several)
  std::string media_type;  // "image/jpeg" | "video/mp4"
  std::uint64_t size = 0;    // whole object
  std::uint64_t offset = 0;  // of this chunk
  bool operator==(const EvidenceChunkHeader&) const = default;
};

struct EvidenceChunk {
  EvidenceChunkHeader header;
  std::string_view data;  // points into the decoded payload
};

std::string encode_evidence_chunk(const EvidenceChunkHeader& header, std::string_view data);
// The returned chunk's data views `payload`, which must outlive it.
Parsed<EvidenceChunk> decode_evidence_chunk(std::string_view payload);

}  // namespace gridsight::protocol
