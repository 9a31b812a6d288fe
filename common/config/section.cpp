#include "common/config/section.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <cctype>
#include <fstream>
#include <sstream>

namespace gridsight::config {
namespace {

std::string mark(const std::string& file, const YAML::Mark& m) {
  if (m.is_null()) return file;
  return file + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

std::optional<double> parse_double(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(s.c_str(), &end);
  if (errno != 0 || end != s.c_str() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<std::int64_t> parse_int(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || end != s.c_str() + s.size()) return std::nullopt;
  return static_cast<std::int64_t>(v);
}

// Splits "20MiB" into 20 and "MiB".
std::pair<std::string, std::string> split_unit(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  std::string num = s.substr(0, i);
  std::string unit = s.substr(i);
  unit.erase(std::remove(unit.begin(), unit.end(), ' '), unit.end());
  return {num, unit};
}

}  // namespace

Section::Section(std::shared_ptr<const YAML::Node> node, std::string file, std::string path)
    : node_(std::move(node)), file_(std::move(file)), path_(std::move(path)) {
  if (node_ && node_->IsDefined() && !node_->IsNull() && !node_->IsMap()) {
    throw Error(mark(file_, node_->Mark()) + ": " + (path_.empty() ? "config" : path_) +
                ": must be a mapping of keys to values");
  }
}

Section::~Section() = default;
Section::Section(Section&&) noexcept = default;
Section& Section::operator=(Section&&) noexcept = default;

std::string Section::key_path(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  if (key.empty()) return path_;
  return path_ + "." + std::string(key);
}

std::string Section::where(std::string_view key) const {
  YAML::Mark m = YAML::Mark::null_mark();
  if (node_ && node_->IsMap()) {
    m = node_->Mark();
    if (!key.empty()) {
      for (const auto& kv : *node_) {
        if (kv.first.Scalar() == key) {
          m = kv.first.Mark();
          break;
        }
      }
    }
  }
  return mark(file_, m) + ": " + key_path(key);
}

void Section::fail(std::string_view key, const std::string& reason) const {
  throw Error(where(key) + ": " + reason);
}

std::string Section::dump(std::string_view without_key) const {
  if (!node_ || !node_->IsDefined() || node_->IsNull()) return {};
  if (without_key.empty() || !node_->IsMap()) return YAML::Dump(*node_);
  YAML::Node copy(YAML::NodeType::Map);
  for (const auto& kv : *node_) {
    if (kv.first.Scalar() != without_key) copy[kv.first] = kv.second;
  }
  return YAML::Dump(copy);
}

bool Section::has(std::string_view key) const {
  if (!node_ || !node_->IsMap()) return false;
  for (const auto& kv : *node_) {
    if (kv.first.Scalar() == key) return !kv.second.IsNull();
  }
  return false;
}

std::shared_ptr<const YAML::Node> Section::child(std::string_view key) {
  read_.emplace_back(key);
  if (!node_ || !node_->IsMap()) return nullptr;
  for (const auto& kv : *node_) {
    if (kv.first.Scalar() == key) {
      if (kv.second.IsNull()) return nullptr;
      return std::make_shared<const YAML::Node>(kv.second);
    }
  }
  return nullptr;
}

std::string Section::scalar(std::string_view key, const YAML::Node& n) const {
  if (!n.IsScalar()) fail(key, "must be a single value, not a list or mapping");
  return n.Scalar();
}

bool Section::boolean(std::string_view key, bool fallback) {
  auto n = child(key);
  if (!n) return fallback;
  std::string s = scalar(key, *n);
  if (s == "true" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "no" || s == "off") return false;
  fail(key, "must be true or false, got \"" + s + "\"");
}

std::int64_t Section::integer(std::string_view key, std::int64_t fallback, std::int64_t lo,
                              std::int64_t hi) {
  auto n = child(key);
  if (!n) return fallback;
  std::string s = scalar(key, *n);
  auto v = parse_int(s);
  if (!v) fail(key, "must be a whole number, got \"" + s + "\"");
  if (*v < lo || *v > hi) {
    fail(key, "must be between " + std::to_string(lo) + " and " + std::to_string(hi) +
                  ", got " + s);
  }
  return *v;
}

double Section::number(std::string_view key, double fallback, double lo, double hi) {
  auto n = child(key);
  if (!n) return fallback;
  std::string s = scalar(key, *n);
  auto v = parse_double(s);
  if (!v) fail(key, "must be a number, got \"" + s + "\"");
  if (*v < lo || *v > hi) {
    std::ostringstream os;
    os << "must be between " << lo << " and " << hi << ", got " << s;
    fail(key, os.str());
  }
  return *v;
}

std::string Section::string(std::string_view key, std::string fallback) {
  auto n = child(key);
  if (!n) return fallback;
  return scalar(key, *n);
}

std::optional<std::string> Section::optional_string(std::string_view key) {
  auto n = child(key);
  if (!n) return std::nullopt;
  return scalar(key, *n);
}

std::string Section::required_string(std::string_view key) {
  auto n = child(key);
  if (!n) fail(key, "is required");
  std::string s = scalar(key, *n);
  if (s.empty()) fail(key, "must not be empty");
  return s;
}

std::string Section::choice(std::string_view key, std::string fallback,
                            const std::vector<std::string>& choices) {
  std::string s = string(key, std::move(fallback));
  if (std::find(choices.begin(), choices.end(), s) == choices.end()) {
    std::string list;
    for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
    fail(key, "must be one of " + list + ", got \"" + s + "\"");
  }
  return s;
}

std::int64_t Section::duration_ms(std::string_view key, std::int64_t fallback_ms,
                                  std::int64_t lo_ms, std::int64_t hi_ms) {
  auto n = child(key);
  if (!n) return fallback_ms;
  std::string s = scalar(key, *n);
  auto [num, unit] = split_unit(s);
  auto v = parse_double(num);
  double factor = 0;
  if (unit == "ms") factor = 1;
  else if (unit == "s" || unit.empty()) factor = 1000;
  else if (unit == "m" || unit == "min") factor = 60'000;
  else if (unit == "h") factor = 3'600'000;
  else if (unit == "d") factor = 86'400'000;
  if (!v || factor == 0) {
    fail(key, "must be a duration such as 500ms, 5s, 10m, 2h or 3d, got \"" + s + "\"");
  }
  auto ms = static_cast<std::int64_t>(std::llround(*v * factor));
  if (ms < lo_ms || ms > hi_ms) {
    fail(key, "must be between " + std::to_string(lo_ms) + "ms and " + std::to_string(hi_ms) +
                  "ms, got " + s);
  }
  return ms;
}

std::uint64_t Section::bytes(std::string_view key, std::uint64_t fallback, std::uint64_t lo,
                             std::uint64_t hi) {
  auto n = child(key);
  if (!n) return fallback;
  std::string s = scalar(key, *n);
  auto [num, unit] = split_unit(s);
  auto v = parse_double(num);
  double factor = 0;
  if (unit.empty() || unit == "B") factor = 1;
  else if (unit == "KiB" || unit == "K" || unit == "KB") factor = 1024.0;
  else if (unit == "MiB" || unit == "M" || unit == "MB") factor = 1024.0 * 1024;
  else if (unit == "GiB" || unit == "G" || unit == "GB") factor = 1024.0 * 1024 * 1024;
  if (!v || factor == 0) fail(key, "must be a size such as 512, 64KiB, 20MiB or 2GiB, got \"" + s + "\"");
  auto b = static_cast<std::uint64_t>(std::llround(*v * factor));
  if (b < lo || b > hi) {
    fail(key, "must be between " + std::to_string(lo) + " and " + std::to_string(hi) +
                  " bytes, got " + s);
  }
  return b;
}

std::vector<std::string> Section::strings(std::string_view key) {
  auto n = child(key);
  std::vector<std::string> out;
  if (!n) return out;
  if (!n->IsSequence()) fail(key, "must be a list");
  for (const auto& item : *n) out.push_back(scalar(key, item));
  return out;
}

std::vector<double> Section::numbers(std::string_view key) {
  std::vector<double> out;
  for (const auto& s : strings(key)) {
    auto v = parse_double(s);
    if (!v) fail(key, "must be a list of numbers, got \"" + s + "\"");
    out.push_back(*v);
  }
  return out;
}

Section Section::section(std::string_view key) {
  auto n = child(key);
  return Section(n, file_, key_path(key));
}

std::vector<Section> Section::list(std::string_view key) {
  auto n = child(key);
  std::vector<Section> out;
  if (!n) return out;
  if (!n->IsSequence()) fail(key, "must be a list");
  std::size_t i = 0;
  for (const auto& item : *n) {
    out.emplace_back(std::make_shared<const YAML::Node>(item), file_,
                     key_path(key) + "[" + std::to_string(i++) + "]");
  }
  return out;
}

void Section::finish() {
  if (!node_ || !node_->IsMap()) return;
  for (const auto& kv : *node_) {
    const std::string& k = kv.first.Scalar();
    if (std::find(read_.begin(), read_.end(), k) == read_.end()) {
      throw Error(mark(file_, kv.first.Mark()) + ": " + key_path(k) + ": unknown key");
    }
  }
}

Section load_string(const std::string& text, const std::string& name) {
  try {
    auto node = std::make_shared<const YAML::Node>(YAML::Load(text));
    return Section(node, name, "");
  } catch (const YAML::Exception& e) {
    throw Error(mark(name, e.mark) + ": " + e.msg);
  }
}

Section load_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open: " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  return load_string(ss.str(), path);
}

}  // namespace gridsight::config
