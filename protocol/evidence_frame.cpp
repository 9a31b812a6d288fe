#include "protocol/evidence_frame.h"

#include "protocol/ids.h"
#include "protocol/json_reader.h"
#include "protocol/limits.h"

namespace gridsight::protocol {

using detail::FieldError;
using detail::ObjectReader;
using nlohmann::json;

std::string encode_evidence_chunk(const EvidenceChunkHeader& h, std::string_view data) {
  json j{{"schema", std::to_string(kSchemaMajor) + "." + std::to_string(kSchemaMinorBase)},
         {"hash", h.hash},
         {"event_id", h.event_id},
         {"media_type", h.media_type},
         {"size", h.size},
         {"offset", h.offset}};
  std::string header = detail::dump(j);
  std::string out;
  out.reserve(4 + header.size() + data.size());
  const auto n = static_cast<std::uint32_t>(header.size());
  out.push_back(static_cast<char>(n >> 24));
  out.push_back(static_cast<char>(n >> 16));
  out.push_back(static_cast<char>(n >> 8));
  out.push_back(static_cast<char>(n));
  out += header;
  out.append(data);
  return out;
}

Parsed<EvidenceChunk> decode_evidence_chunk(std::string_view payload) {
  using R = Parsed<EvidenceChunk>;
  if (payload.size() < 4) {
    return R::fail({ErrorCode::kInvalidValue, "", "shorter than the 4-byte header length", "", {}});
  }
  const auto* p = reinterpret_cast<const unsigned char*>(payload.data());
  const std::uint32_t n = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
                          (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
  if (n > 4096 || n > payload.size() - 4) {
    return R::fail({ErrorCode::kInvalidValue, "", "header length out of bounds", "", {}});
  }
  std::string_view data = payload.substr(4 + n);
  if (data.size() > kMaxEvidenceChunk) {
    return R::fail({ErrorCode::kTooLarge, "", "chunk larger than " +
                    std::to_string(kMaxEvidenceChunk) + " bytes", "", {}});
  }
  try {
    auto doc = detail::parse_document(payload.substr(4, n), 4096);
    ObjectReader r(doc.root, "", doc.newer_minor);
    EvidenceChunkHeader h;
    h.hash = r.string("hash", 80);
    if (!is_content_hash(h.hash)) throw FieldError(ErrorCode::kInvalidValue, "hash", "not a content hash");
    h.event_id = r.string("event_id", kMaxIdLength);
    if (!is_event_id(h.event_id)) throw FieldError(ErrorCode::kInvalidValue, "event_id", "not a UUIDv7");
    h.media_type = r.string("media_type", 32);
    if (h.media_type != "image/jpeg" && h.media_type != "video/mp4") {
      throw FieldError(ErrorCode::kInvalidValue, "media_type", "must be image/jpeg or video/mp4");
    }
    h.size = r.u64("size");
    if (h.size == 0 || h.size > kMaxEvidenceObject) {
      throw FieldError(ErrorCode::kOutOfRange, "size", "out of range");
    }
    h.offset = r.u64("offset");
    if (h.offset > h.size || data.size() > h.size - h.offset) {
      throw FieldError(ErrorCode::kOutOfRange, "offset", "chunk runs past the object's size");
    }
    r.finish();
    return R::ok(EvidenceChunk{std::move(h), data});
  } catch (const FieldError& fe) {
    return R::fail(detail::to_parse_error(fe));
  }
}

}  // namespace gridsight::protocol
