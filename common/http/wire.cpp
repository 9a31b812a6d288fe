#include "common/http/wire.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>

namespace gridsight::http {

void split_target(std::string_view target, Request& req) {
  const auto q = target.find('?');
  const std::string_view raw_path = target.substr(0, q);
  req.path = percent_decode(raw_path, false).value_or(std::string(raw_path));
  if (q == std::string_view::npos) return;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view item = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (item.empty()) continue;
    const auto eq = item.find('=');
    auto key = percent_decode(item.substr(0, eq), true);
    auto value = eq == std::string_view::npos ? std::optional<std::string>("")
                                              : percent_decode(item.substr(eq + 1), true);
    if (key && value) req.query[*key] = *value;
  }
}

void add_header(Request& req, std::string_view name, std::string_view value) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  req.headers.emplace_back(std::move(lower), std::string(value));
}

bool routable_path(std::string_view path) {
  return !path.empty() && path[0] == '/' && path.find("..") == std::string_view::npos;
}

std::optional<ByteRange> parse_range(std::string_view header, std::uint64_t size,
                                     bool& unsatisfiable) {
  unsatisfiable = false;
  constexpr std::string_view kBytes = "bytes=";
  if (header.substr(0, kBytes.size()) != kBytes) return std::nullopt;
  std::string_view spec = header.substr(kBytes.size());
  if (spec.find(',') != std::string_view::npos) return std::nullopt;  // multipart: whole file
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto number = [](std::string_view s, std::uint64_t& out) {
    if (s.empty()) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
  };
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  const std::string_view left = spec.substr(0, dash);
  const std::string_view right = spec.substr(dash + 1);
  if (left.empty()) {  // suffix: the last n bytes
    if (!number(right, b) || b == 0) return std::nullopt;
    if (size == 0) {
      unsatisfiable = true;
      return std::nullopt;
    }
    return ByteRange{size > b ? size - b : 0, size - 1};
  }
  if (!number(left, a)) return std::nullopt;
  if (a >= size) {
    unsatisfiable = true;
    return std::nullopt;
  }
  if (right.empty()) return ByteRange{a, size - 1};
  if (!number(right, b) || b < a) return std::nullopt;
  return ByteRange{a, std::min(b, size - 1)};
}

}  // namespace gridsight::http
