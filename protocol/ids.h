#pragma once
// Identifiers: event ids (UUIDv7), device and camera ids, content hashes.

#include <cstdint>
#include <string>
#include <string_view>

namespace gridsight::protocol {

// A new UUIDv7 (RFC 9562) for `unix_ms`: 48-bit time, then a 12-bit counter that keeps ids
// minted in the same millisecond increasing, then 62 random bits. Thread-safe.
std::string new_event_id(std::int64_t unix_ms);
std::string new_event_id();  // at the system clock
bool is_event_id(std::string_view s);
// Milliseconds since the epoch encoded in a UUIDv7.
std::int64_t event_id_time_ms(std::string_view id);

// Device and camera ids: 1..64 of [A-Za-z0-9._-], not starting with '.' or '-'. MQTT wildcards
// and '/' can never appear, so an id is always one topic level.
bool is_device_id(std::string_view s);
bool is_camera_id(std::string_view s);
// A 20-digit GB/T 28181 device code (centre code 8 + industry 2 + type 3 + net 1 + serial 6).
bool is_gb28181_code(std::string_view s);

// "sha256:" followed by 64 lower-case hex digits.
bool is_content_hash(std::string_view s);
std::string content_hash(std::string_view bytes);

}  // namespace gridsight::protocol
