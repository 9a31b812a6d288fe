#pragma once
// The zone editor on the status page (docs/status-page.md, "Zone editor"): the installer draws
// a camera's zones, masks and lines on its current frame, sets the watched location and the
// rules' parameters, previews (the configuration check) and saves (written to the box's
// configuration and reloaded; the other cameras are not touched). Behind the page's login.
//
//   GET  /zones                          the editor (HTML, CSS and JS inline)
//   GET  /api/v1/zones                   {cameras: [{id, name, location, detection}]}
//   POST /api/v1/zones/{camera}/check    {detection} -> {ok, problems, yaml}; 422 if refused
//   PUT  /api/v1/zones/{camera}          {detection} -> {ok, problems, yaml, reload}; 422 if
//   refused

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "edge/status/status_server.h"

namespace gridsight::edge::status {

// What the daemon supplies (edge/daemon/zone_editing.h).
struct ZoneEditorSources {
  std::function<nlohmann::json()> cameras;
  // (camera, detection) -> {ok, problems, yaml[, reload]}
  std::function<nlohmann::json(const std::string&, const nlohmann::json&)> check;
  std::function<nlohmann::json(const std::string&, const nlohmann::json&)> save;
};

std::vector<Route> zone_editor_routes(ZoneEditorSources sources);
std::string_view zone_editor_html();

}  // namespace gridsight::edge::status
