#pragma once
// Result of decoding untrusted bytes: a value, or the field and reason it was refused.

#include <optional>
#include <string>
#include <utility>

namespace gridsight::protocol {

// Machine-readable rejection codes; they are the dead-letter "code" column and metric labels.
enum class ErrorCode {
  kInvalidJson,
  kTooLarge,
  kTooDeep,
  kMissingField,
  kWrongType,
  kOutOfRange,
  kInvalidValue,
  kUnknownField,
  kUnsupportedVersion,
  kDeviceMismatch,
};

const char* to_string(ErrorCode code);

struct ParseError {
  ErrorCode code = ErrorCode::kInvalidJson;
  std::string field;   // JSON path of the offending field, e.g. "boxes[2].w"; empty for the whole
  std::string reason;  // human-readable
  // Best-effort identity of a refused event, so the edge can be told to stop re-sending it.
  std::string event_id;
  std::optional<unsigned long long> seq;

  std::string describe() const;  // "boxes[2].w: must be within [0, 1] (out_of_range)"
};

template <class T>
struct Parsed {
  std::optional<T> value;
  ParseError error;

  static Parsed ok(T v) { return Parsed{std::move(v), {}}; }
  static Parsed fail(ParseError e) { return Parsed{std::nullopt, std::move(e)}; }
  explicit operator bool() const { return value.has_value(); }
};

}  // namespace gridsight::protocol
