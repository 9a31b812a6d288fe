#pragma once
// What an Open311 GeoReport v2 client sends (docs/api.md, "Open311"): the body of
// POST /open311/v2/requests.json (form-encoded or JSON), its lat/long and the ISO 8601 dates of
// GET requests.json. Untrusted input: every function refuses instead of guessing.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/event.h"

namespace gridsight::api {

// application/x-www-form-urlencoded → fields. A repeated key keeps the last value; an item
// with a bad percent escape is dropped.
std::map<std::string, std::string> parse_form(std::string_view body);

// The fields of a service request: a JSON object of strings and numbers when the content type
// is application/json, a form otherwise. Unknown field names (other than "attribute[...]")
// are refused. `error` is empty on success, else the description for the client.
struct Open311Body {
  std::map<std::string, std::string> fields;
  std::string error;
};
Open311Body parse_open311_body(std::string_view content_type, std::string_view body);

// "lat" and "long" as WGS-84 decimal degrees: whole numbers of the text, finite, within
// [-90, 90] and [-180, 180]. nullopt otherwise.
std::optional<protocol::GeoPoint> open311_location(const std::string& lat, const std::string& lon);

// "2026-11-24T10:00:00Z", "2026-11-24T10:00:00.5+08:00" or "2026-11-24" → UTC milliseconds;
// nullopt when it is none of these.
std::optional<std::int64_t> parse_iso8601(const std::string& text);

}  // namespace gridsight::api
