#pragma once
// A ground location in configuration: `{lon, lat, crs}` with crs WGS84 (default), GCJ02 or
// CGCS2000. Shared by every section that places something on the map.

#include <optional>

#include "protocol/event.h"

namespace gridsight::config {

class Section;

// Reads `parent.<key>`; nullopt when the key is absent. Errors name the file, line and key.
std::optional<protocol::GeoPoint> read_location(Section& parent, const char* key);

}  // namespace gridsight::config
