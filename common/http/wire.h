#pragma once
// What the server makes of the bytes it received, Beast-free so it can be tested and fuzzed on
// its own: the request target split into a decoded path and query, header names, and the
// Range header of a file request (common/http/server.cpp).

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/http/message.h"

namespace gridsight::http {

// Fills request.path (percent-decoded; the raw path when it has a bad escape) and
// request.query (decoded; items with a bad escape are dropped) from `target`.
void split_target(std::string_view target, Request& request);

// Appends a header with its name lower-cased.
void add_header(Request& request, std::string_view name, std::string_view value);

// Whether the server hands a request with this decoded path to its router: absolute, no "..".
bool routable_path(std::string_view path);

// One byte range of a file, both ends inclusive.
struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
};
// Parses "bytes=a-b" / "bytes=a-" / "bytes=-n" against a file of `size` bytes. nullopt: no
// usable single range (the whole file is sent), and `unsatisfiable` tells when the range lies
// beyond the file's end (416). A returned range always lies within the file.
std::optional<ByteRange> parse_range(std::string_view header, std::uint64_t size,
                                     bool& unsatisfiable);

}  // namespace gridsight::http
