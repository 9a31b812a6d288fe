#pragma once
// Cameras and their zones: which device a camera hangs on, and for each zone the ground spot
// it watches. A case is placed by the watched spot, not by the pole (a camera on one grid's
// pole often watches the neighbouring grid); config may pin a camera or zone to a cell.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "aggregator/grid/coords.h"
#include "protocol/event.h"

namespace gridsight::config {
class Section;
}

namespace gridsight::grid {

class GridModel;

struct ZoneEntry {
  std::string id;
  std::optional<protocol::GeoPoint> watches;
  std::optional<std::string> cell;  // override: this cell code, whatever the location says
  std::string spot;                 // shared spot id when several cameras watch one place
};

struct CameraEntry {
  std::string id;
  std::string name;  // what people call it ("建国里市场东门"); empty: none given
  std::string device_id;
  std::optional<protocol::GeoPoint> mounted_at;
  std::optional<protocol::GeoPoint> watches;  // default for zones without their own
  std::optional<std::string> cell;
  std::vector<ZoneEntry> zones;

  static CameraEntry read(config::Section& s);
};

// Where an event happened, as far as the registry and the grid can tell.
struct Resolved {
  std::optional<LonLat> location;  // internal system
  std::string cell_code;           // empty when no cell could be found
  std::string spot;                // merge key for "the same watched spot"; empty: none
};

class CameraRegistry {
 public:
  // `cameras:` list of camera entries; unknown keys and bad values are refused.
  static CameraRegistry read(config::Section& s);

  void add(CameraEntry camera);
  const CameraEntry* find(const std::string& camera_id) const;
  std::size_t size() const { return cameras_.size(); }
  const std::map<std::string, CameraEntry, std::less<>>& cameras() const { return cameras_; }

  // Location: the zone's watched spot, else the event's own location, else the camera's
  // watched spot, else its mounting point. Cell: a zone or camera override, else the owner
  // of the location in `grid`.
  Resolved resolve(const protocol::Event& event, const GridModel& grid) const;

 private:
  std::map<std::string, CameraEntry, std::less<>> cameras_;
};

}  // namespace gridsight::grid
