#include "protocol/parse_error.h"

namespace gridsight::protocol {

const char* to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidJson: return "invalid_json";
    case ErrorCode::kTooLarge: return "too_large";
    case ErrorCode::kTooDeep: return "too_deep";
    case ErrorCode::kMissingField: return "missing_field";
    case ErrorCode::kWrongType: return "wrong_type";
    case ErrorCode::kOutOfRange: return "out_of_range";
    case ErrorCode::kInvalidValue: return "invalid_value";
    case ErrorCode::kUnknownField: return "unknown_field";
    case ErrorCode::kUnsupportedVersion: return "unsupported_version";
    case ErrorCode::kDeviceMismatch: return "device_mismatch";
  }
  return "unknown";
}

std::string ParseError::describe() const {
  std::string s = field.empty() ? std::string("message") : field;
  s += ": ";
  s += reason;
  s += " (";
  s += to_string(code);
  s += ")";
  return s;
}

}  // namespace gridsight::protocol
