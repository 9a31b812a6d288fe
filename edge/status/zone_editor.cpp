#include "edge/status/zone_editor.h"

#include <memory>
#include <optional>

namespace gridsight::edge::status {
namespace {

using http::Request;
using http::Response;

// The request's {"detection": {...}}, or the answer refusing it.
std::optional<nlohmann::json> detection_of(const Request& q, Response& refusal) {
  const auto body = nlohmann::json::parse(q.body, nullptr, false);
  if (!body.is_object() || !body.contains("detection") || !body["detection"].is_object()) {
    refusal = Response::error(400, "malformed_request",
                              "want a JSON object {\"detection\": {zones, masks, lines, rules}}");
    return std::nullopt;
  }
  return body["detection"];
}

Response answer(const nlohmann::json& result) {
  return Response::json(result.value("ok", false) ? 200 : 422, result.dump());
}

}  // namespace

std::vector<Route> zone_editor_routes(ZoneEditorSources sources) {
  auto s = std::make_shared<ZoneEditorSources>(std::move(sources));
  auto edit = [s](bool save) {
    return [s, save](Request& q) {
      Response refusal;
      const auto detection = detection_of(q, refusal);
      if (!detection) return refusal;
      const std::string& camera = q.params.at("camera");
      return answer(save ? s->save(camera, *detection) : s->check(camera, *detection));
    };
  };
  return {
      {"GET", "/zones",
       [](Request&) {
         return Response::text(200, std::string(zone_editor_html()), "text/html; charset=utf-8");
       },
       true},
      {"GET", "/api/v1/zones", [s](Request&) { return Response::json(200, s->cameras().dump()); }},
      {"POST", "/api/v1/zones/{camera}/check", edit(false)},
      {"PUT", "/api/v1/zones/{camera}", edit(true)},
  };
}

}  // namespace gridsight::edge::status
