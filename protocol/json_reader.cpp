#include "protocol/json_reader.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "protocol/limits.h"
#include "protocol/utf8.h"

namespace gridsight::protocol::detail {
namespace {

using nlohmann::json;

const char* type_name(const json& j) {
  switch (j.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "object";
    case json::value_t::array: return "array";
    case json::value_t::string: return "string";
    case json::value_t::boolean: return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return "number";
    default: return "other";
  }
}

[[noreturn]] void wrong_type(const std::string& field, const char* expected, const json& got) {
  throw FieldError(ErrorCode::kWrongType, field,
                   std::string("expected ") + expected + ", got " + type_name(got));
}

}  // namespace

int json_depth(std::string_view payload) {
  int depth = 0, max_depth = 0;
  bool in_string = false, escaped = false;
  for (char c : payload) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"': in_string = true; break;
      case '{':
      case '[': max_depth = std::max(max_depth, ++depth); break;
      case '}':
      case ']': --depth; break;
      default: break;
    }
  }
  return max_depth;
}

Document parse_document(std::string_view payload, std::size_t max_bytes) {
  if (payload.size() > max_bytes) {
    throw FieldError(ErrorCode::kTooLarge, "",
                     "message of " + std::to_string(payload.size()) + " bytes exceeds the limit of " +
                         std::to_string(max_bytes));
  }
  if (json_depth(payload) > kMaxJsonDepth) {
    throw FieldError(ErrorCode::kTooDeep, "",
                     "nesting deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
  Document doc;
  try {
    doc.root = json::parse(payload.begin(), payload.end());
  } catch (const json::parse_error& e) {
    // e.what() names the byte position and the problem (syntax, invalid UTF-8); it quotes
    // the last bytes read, which may be the invalid ones.
    throw FieldError(ErrorCode::kInvalidJson, "", valid_utf8(e.what()));
  }
  if (!doc.root.is_object()) wrong_type("", "object", doc.root);
  auto it = doc.root.find("schema");
  if (it == doc.root.end()) throw FieldError(ErrorCode::kMissingField, "schema", "required");
  if (!it->is_string()) wrong_type("schema", "string", *it);
  const std::string& v = it->get_ref<const std::string&>();
  int major = -1, minor = -1;
  {
    auto dot = v.find('.');
    auto all_digits = [](std::string_view s) {
      return !s.empty() && s.size() <= 4 &&
             std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (dot == std::string::npos || !all_digits(std::string_view(v).substr(0, dot)) ||
        !all_digits(std::string_view(v).substr(dot + 1))) {
      throw FieldError(ErrorCode::kInvalidValue, "schema",
                       "must be \"<major>.<minor>\", got \"" + v.substr(0, 16) + "\"");
    }
    major = std::stoi(v.substr(0, dot));
    minor = std::stoi(v.substr(dot + 1));
  }
  if (major != kSchemaMajor) {
    throw FieldError(ErrorCode::kUnsupportedVersion, "schema",
                     "major version " + std::to_string(major) + " is not supported (this build speaks " +
                         std::to_string(kSchemaMajor) + ".x)");
  }
  doc.minor = minor;
  doc.newer_minor = minor > kSchemaMinor;
  return doc;
}

ObjectReader::ObjectReader(const json& object, std::string path, bool allow_unknown)
    : object_(object), path_(std::move(path)), allow_unknown_(allow_unknown) {
  if (!object_.is_object()) wrong_type(path_, "object", object_);
  seen_.push_back("schema");
}

std::string ObjectReader::path_of(const char* key) const {
  return path_.empty() ? std::string(key) : path_ + "." + key;
}

std::string ObjectReader::path_of(const char* key, std::size_t index) const {
  return path_of(key) + "[" + std::to_string(index) + "]";
}

const json* ObjectReader::find(const char* key, bool required, const char* expected) {
  seen_.push_back(key);
  auto it = object_.find(key);
  if (it == object_.end() || it->is_null()) {
    if (required) {
      throw FieldError(ErrorCode::kMissingField, path_of(key),
                       std::string("required ") + expected + " is missing");
    }
    return nullptr;
  }
  return &*it;
}

std::optional<std::string> ObjectReader::optional_string(const char* key, std::size_t max_len) {
  const json* j = find(key, false, "string");
  if (!j) return std::nullopt;
  if (!j->is_string()) wrong_type(path_of(key), "string", *j);
  const auto& s = j->get_ref<const std::string&>();
  if (s.size() > max_len) {
    throw FieldError(ErrorCode::kOutOfRange, path_of(key),
                     "longer than " + std::to_string(max_len) + " bytes");
  }
  return s;
}

std::string ObjectReader::string(const char* key, std::size_t max_len) {
  const json* j = find(key, true, "string");
  if (!j->is_string()) wrong_type(path_of(key), "string", *j);
  const auto& s = j->get_ref<const std::string&>();
  if (s.size() > max_len) {
    throw FieldError(ErrorCode::kOutOfRange, path_of(key),
                     "longer than " + std::to_string(max_len) + " bytes");
  }
  return s;
}

std::uint64_t ObjectReader::u64(const char* key) {
  const json* j = find(key, true, "integer");
  if (j->is_number_unsigned()) return j->get<std::uint64_t>();
  if (j->is_number_integer()) {
    throw FieldError(ErrorCode::kOutOfRange, path_of(key), "must not be negative");
  }
  wrong_type(path_of(key), "non-negative integer", *j);
}

std::optional<std::int64_t> ObjectReader::optional_i64(const char* key, std::int64_t lo,
                                                       std::int64_t hi) {
  const json* j = find(key, false, "integer");
  if (!j) return std::nullopt;
  std::int64_t v = 0;
  if (j->is_number_unsigned()) {
    auto u = j->get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      throw FieldError(ErrorCode::kOutOfRange, path_of(key), "too large");
    }
    v = static_cast<std::int64_t>(u);
  } else if (j->is_number_integer()) {
    v = j->get<std::int64_t>();
  } else {
    wrong_type(path_of(key), "integer", *j);
  }
  if (v < lo || v > hi) {
    throw FieldError(ErrorCode::kOutOfRange, path_of(key),
                     "must be within [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return v;
}

namespace {
template <class T>
T required(std::optional<T> v, const std::string& field, const char* expected) {
  if (!v) throw FieldError(ErrorCode::kMissingField, field, std::string("required ") + expected + " is missing");
  return *v;
}
}  // namespace

std::int64_t ObjectReader::i64(const char* key, std::int64_t lo, std::int64_t hi) {
  return required(optional_i64(key, lo, hi), path_of(key), "integer");
}

std::optional<double> ObjectReader::optional_number(const char* key, double lo, double hi) {
  const json* j = find(key, false, "number");
  if (!j) return std::nullopt;
  if (!j->is_number()) wrong_type(path_of(key), "number", *j);
  double v = j->get<double>();
  if (!std::isfinite(v) || v < lo || v > hi) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "must be within [%g, %g]", lo, hi);
    throw FieldError(ErrorCode::kOutOfRange, path_of(key), buf);
  }
  return v;
}

double ObjectReader::number(const char* key, double lo, double hi) {
  return required(optional_number(key, lo, hi), path_of(key), "number");
}

std::optional<bool> ObjectReader::optional_boolean(const char* key) {
  const json* j = find(key, false, "boolean");
  if (!j) return std::nullopt;
  if (!j->is_boolean()) wrong_type(path_of(key), "boolean", *j);
  return j->get<bool>();
}

bool ObjectReader::boolean(const char* key) {
  return required(optional_boolean(key), path_of(key), "boolean");
}

const json* ObjectReader::array(const char* key, std::size_t max_items, bool required) {
  const json* j = find(key, required, "array");
  if (!j) return nullptr;
  if (!j->is_array()) wrong_type(path_of(key), "array", *j);
  if (j->size() > max_items) {
    throw FieldError(ErrorCode::kOutOfRange, path_of(key),
                     "more than " + std::to_string(max_items) + " items");
  }
  return j;
}

const json* ObjectReader::object(const char* key, bool required) {
  const json* j = find(key, required, "object");
  if (!j) return nullptr;
  if (!j->is_object()) wrong_type(path_of(key), "object", *j);
  return j;
}

void ObjectReader::finish() const {
  if (allow_unknown_) return;
  for (const auto& [key, value] : object_.items()) {
    if (std::find(seen_.begin(), seen_.end(), key) == seen_.end()) {
      throw FieldError(ErrorCode::kUnknownField, path_of(key.c_str()), "unknown field");
    }
  }
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::strict); }

ParseError to_parse_error(const FieldError& e) {
  ParseError p;
  p.code = e.code;
  p.field = e.field;
  p.reason = e.reason;
  return p;
}

}  // namespace gridsight::protocol::detail
