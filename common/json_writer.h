#pragma once
// A streaming JSON writer for hot paths (the case store writes a case on every merged event):
// appends to one string, no intermediate tree. Output is plain JSON that nlohmann::json
// parses back. Structure is the caller's job: keys only inside objects, values after keys
// (asserted in debug builds).

#include <cassert>
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gridsight {

class JsonWriter {
 public:
  explicit JsonWriter(std::size_t reserve = 512) { out_.reserve(reserve); }

  JsonWriter& begin_object() { return open('{', true); }
  JsonWriter& end_object() { return close('}'); }
  JsonWriter& begin_array() { return open('[', false); }
  JsonWriter& end_array() { return close(']'); }

  JsonWriter& key(std::string_view k) {
    assert(!stack_.empty() && stack_.back().object && !after_key_);
    comma();
    string_literal(k);
    out_.push_back(':');
    after_key_ = true;
    return *this;
  }
  JsonWriter& value(std::string_view s) {
    before_value();
    string_literal(s);
    return *this;
  }
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(bool b) {
    before_value();
    out_ += b ? "true" : "false";
    return *this;
  }
  JsonWriter& value(std::int64_t v) { return number(v); }
  JsonWriter& value(int v) { return number(static_cast<std::int64_t>(v)); }
  JsonWriter& value(std::uint64_t v) { return number(v); }
  JsonWriter& value(double v) {
    before_value();
    char buf[32];
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
    out_.append(buf, p);
    return *this;
  }
  JsonWriter& null() {
    before_value();
    out_ += "null";
    return *this;
  }
  template <class T>
  JsonWriter& field(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }

  const std::string& str() const& { return out_; }
  std::string str() && { return std::move(out_); }

 private:
  struct Level {
    bool object;
    bool empty;
  };
  JsonWriter& open(char c, bool object) {
    before_value();
    out_.push_back(c);
    stack_.push_back({object, true});
    return *this;
  }
  JsonWriter& close(char c) {
    assert(!stack_.empty() && !after_key_);
    stack_.pop_back();
    out_.push_back(c);
    return *this;
  }
  void comma() {
    if (!stack_.back().empty) out_.push_back(',');
    stack_.back().empty = false;
  }
  void before_value() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (!stack_.empty()) {
      assert(!stack_.back().object);
      comma();
    }
  }
  template <class N>
  JsonWriter& number(N v) {
    before_value();
    char buf[24];
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, p);
    return *this;
  }
  void string_literal(std::string_view s) {
    out_.push_back('"');
    for (char ch : s) {
      const auto c = static_cast<unsigned char>(ch);
      switch (c) {
        case '"':
          out_ += "\\\"";
          break;
        case '\\':
          out_ += "\\\\";
          break;
        case '\n':
          out_ += "\\n";
          break;
        case '\r':
          out_ += "\\r";
          break;
        case '\t':
          out_ += "\\t";
          break;
        case '\b':
          out_ += "\\b";
          break;
        case '\f':
          out_ += "\\f";
          break;
        default:
          if (c < 0x20) {
            static constexpr char kHex[] = "0123456789abcdef";
            out_ += "\\u00";
            out_.push_back(kHex[c >> 4]);
            out_.push_back(kHex[c & 15]);
          } else {
            out_.push_back(ch);
          }
      }
    }
    out_.push_back('"');
  }

  std::string out_;
  std::vector<Level> stack_;
  bool after_key_ = false;
};

}  // namespace gridsight
