#include "aggregator/grid/camera_registry.h"

#include "aggregator/grid/grid_model.h"
#include "common/config/section.h"

namespace gridsight::grid {
namespace {

std::optional<protocol::GeoPoint> read_point(config::Section& parent, std::string_view key) {
  if (!parent.has(key)) return std::nullopt;
  config::Section s = parent.section(key);
  protocol::GeoPoint p;
  p.lon = s.number("lon", 0, -180, 180);
  p.lat = s.number("lat", 0, -90, 90);
  if (!s.has("lon") || !s.has("lat")) s.fail("", "lon and lat are required");
  std::string crs = s.choice("crs", "WGS84", {"WGS84", "GCJ02", "CGCS2000"});
  p.crs = *protocol::crs_from_string(crs);
  s.finish();
  return p;
}

}  // namespace

CameraEntry CameraEntry::read(config::Section& s) {
  CameraEntry c;
  c.id = s.required_string("id");
  c.name = s.string("name", "");
  c.device_id = s.string("device", "");
  c.mounted_at = read_point(s, "mounted_at");
  c.watches = read_point(s, "watches");
  c.cell = s.optional_string("cell");
  for (auto& z : s.list("zones")) {
    ZoneEntry ze;
    ze.id = z.required_string("id");
    ze.watches = read_point(z, "watches");
    ze.cell = z.optional_string("cell");
    ze.spot = z.string("spot", "");
    z.finish();
    c.zones.push_back(std::move(ze));
  }
  s.finish();
  return c;
}

CameraRegistry CameraRegistry::read(config::Section& s) {
  CameraRegistry r;
  for (auto& c : s.list("cameras")) {
    std::string where = c.where("id");
    CameraEntry e = CameraEntry::read(c);
    if (r.find(e.id)) throw config::Error(where + ": camera " + e.id + " is listed twice");
    r.add(std::move(e));
  }
  s.finish();
  return r;
}

void CameraRegistry::add(CameraEntry camera) {
  std::string id = camera.id;
  cameras_[id] = std::move(camera);
}

const CameraEntry* CameraRegistry::find(const std::string& camera_id) const {
  auto it = cameras_.find(camera_id);
  return it == cameras_.end() ? nullptr : &it->second;
}

Resolved CameraRegistry::resolve(const protocol::Event& event, const GridModel& grid) const {
  Resolved r;
  const CameraEntry* cam = find(event.camera_id);
  const ZoneEntry* zone = nullptr;
  if (cam) {
    for (const auto& z : cam->zones) {
      if (z.id == event.zone) zone = &z;
    }
  }
  std::optional<protocol::GeoPoint> where;
  if (zone && zone->watches)
    where = zone->watches;
  else if (event.location)
    where = event.location;
  else if (cam && cam->watches)
    where = cam->watches;
  else if (cam && cam->mounted_at)
    where = cam->mounted_at;
  if (where) r.location = to_internal(*where);

  if (zone && zone->cell)
    r.cell_code = *zone->cell;
  else if (cam && cam->cell)
    r.cell_code = *cam->cell;
  else if (r.location) {
    if (Placement p = grid.locate(*r.location)) r.cell_code = p.cell->code;
  }
  // Same spot: a shared spot id, else the same registered camera and zone. An unregistered
  // camera has no fixed spot: its reports match by distance only.
  if (zone && !zone->spot.empty()) {
    r.spot = zone->spot;
  } else if (cam) {
    r.spot = event.camera_id + "/" + event.zone;
  }
  return r;
}

}  // namespace gridsight::grid
