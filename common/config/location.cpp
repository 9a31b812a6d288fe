#include "common/config/location.h"

#include "common/config/section.h"

namespace gridsight::config {

std::optional<protocol::GeoPoint> read_location(Section& parent, const char* key) {
  auto s = parent.section(key);  // marks the key as read
  if (!parent.has(key)) return std::nullopt;
  protocol::GeoPoint p;
  p.lon = s.number("lon", 0, -180, 180);
  p.lat = s.number("lat", 0, -90, 90);
  if (!s.has("lon") || !s.has("lat")) s.fail("", "needs lon and lat");
  p.crs = *protocol::crs_from_string(s.choice("crs", "WGS84", {"WGS84", "GCJ02", "CGCS2000"}));
  s.finish();
  return p;
}

}  // namespace gridsight::config
