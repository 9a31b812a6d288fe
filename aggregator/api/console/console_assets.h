#pragma once
// The dispatch centre's web console (static HTML/CSS/JS in web/), embedded into the binary at
// build time so the console works with no file on disk and no network beyond the aggregator.

#include <cstddef>
#include <optional>
#include <string_view>

namespace gridsight::api {

struct ConsoleAsset {
  std::string_view content_type;  // e.g. "text/javascript; charset=utf-8"
  std::string_view etag;          // quoted, changes with the content
  std::string_view body;
};

// The asset at `path` below the console root ("index.html", "js/app.js"; a leading '/' is
// ignored; "" and "/" give index.html), or nullopt. Only embedded files exist: no path can
// reach anything else.
std::optional<ConsoleAsset> console_asset(std::string_view path);

// One row of the generated table (cmake/EmbedFiles.cmake); the table ends with an empty path.
struct EmbeddedFile {
  const char* path;
  const char* content_type;
  const char* etag;
  const unsigned char* data;
  std::size_t size;
};
extern const EmbeddedFile kConsoleFiles[];

}  // namespace gridsight::api
