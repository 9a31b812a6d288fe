#pragma once
// Strict reading of untrusted JSON objects, with errors naming the field. Internal to the
// protocol library: the only place nlohmann-json is included on the wire path.

#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/parse_error.h"

namespace gridsight::protocol::detail {

struct FieldError : std::exception {
  FieldError(ErrorCode c, std::string f, std::string r)
      : code(c), field(std::move(f)), reason(std::move(r)) {}
  const char* what() const noexcept override { return reason.c_str(); }
  ErrorCode code;
  std::string field;
  std::string reason;
};

// Size, nesting depth, JSON syntax, UTF-8 and the "schema" version of a message.
struct Document {
  nlohmann::json root;
  int minor = 0;
  bool newer_minor = false;  // unknown fields are then tolerated (forward compatibility)
};
// Throws FieldError.
Document parse_document(std::string_view payload, std::size_t max_bytes);
// Depth of nesting of arrays/objects, scanning raw bytes (strings respected).
int json_depth(std::string_view payload);

class ObjectReader {
 public:
  ObjectReader(const nlohmann::json& object, std::string path, bool allow_unknown);

  std::string string(const char* key, std::size_t max_len);
  std::optional<std::string> optional_string(const char* key, std::size_t max_len);
  std::uint64_t u64(const char* key);
  std::int64_t i64(const char* key, std::int64_t lo, std::int64_t hi);
  std::optional<std::int64_t> optional_i64(const char* key, std::int64_t lo, std::int64_t hi);
  double number(const char* key, double lo, double hi);
  std::optional<double> optional_number(const char* key, double lo, double hi);
  bool boolean(const char* key);
  std::optional<bool> optional_boolean(const char* key);
  // Arrays and objects; nullptr if absent and not required.
  const nlohmann::json* array(const char* key, std::size_t max_items, bool required);
  const nlohmann::json* object(const char* key, bool required);

  std::string path_of(const char* key) const;
  std::string path_of(const char* key, std::size_t index) const;
  bool allow_unknown() const { return allow_unknown_; }
  // Refuses keys not read (unless allow_unknown). Call after reading every field.
  void finish() const;

 private:
  const nlohmann::json* find(const char* key, bool required, const char* expected);

  const nlohmann::json& object_;
  std::string path_;
  bool allow_unknown_;
  std::vector<std::string_view> seen_;
};

// Serialises a JSON value compactly; invalid UTF-8 is impossible here (we produced it).
std::string dump(const nlohmann::json& j);

// Converts a thrown FieldError (or anything) into a ParseError.
ParseError to_parse_error(const FieldError& e);

}  // namespace gridsight::protocol::detail
