#pragma once
// Hard limits of wire protocol v1. A message beyond them is refused, never truncated.

#include <cstddef>

namespace gridsight::protocol {

inline constexpr int kSchemaMajor = 1;
// The newest minor version this code reads and writes. 1.1 added an event's incident update
// fields (`update_of`, `update`, docs/protocol.md). A message is stamped with the oldest
// version that describes it: everything without those fields is still written as 1.0, so
// 1.0 receivers read it strictly as before.
inline constexpr int kSchemaMinor = 1;
inline constexpr int kSchemaMinorBase = 0;

inline constexpr std::size_t kMaxEventBytes = 64 * 1024;  // one event message
inline constexpr std::size_t kMaxControlBytes = 256 * 1024;  // acks, notices, telemetry, commands
inline constexpr int kMaxJsonDepth = 8;
inline constexpr std::size_t kMaxIdLength = 64;
inline constexpr std::size_t kMaxTypeLength = 64;
inline constexpr std::size_t kMaxBoxes = 128;
inline constexpr std::size_t kMaxEvidence = 8;
inline constexpr std::size_t kMaxAttributes = 32;
inline constexpr std::size_t kMaxAttributeLength = 256;
inline constexpr std::size_t kMaxEvidenceChunk = 256 * 1024;
inline constexpr std::size_t kMaxEvidenceObject = 256 * 1024 * 1024;

}  // namespace gridsight::protocol
