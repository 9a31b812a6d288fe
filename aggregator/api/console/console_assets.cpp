#include "aggregator/api/console/console_assets.h"

namespace gridsight::api {

std::optional<ConsoleAsset> console_asset(std::string_view path) {
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (path.empty()) path = "index.html";
  for (const EmbeddedFile* f = kConsoleFiles; f->data != nullptr; ++f) {
    if (path == f->path) {
      return ConsoleAsset{f->content_type, f->etag,
                          std::string_view(reinterpret_cast<const char*>(f->data), f->size)};
    }
  }
  return std::nullopt;
}

}  // namespace gridsight::api
