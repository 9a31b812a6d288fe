#pragma once
// A grid cell: one area of the grid hierarchy (district, street, community, base grid, finer
// levels) or a dedicated grid, with its code and name. Geometry lives in GridModel.

#include <cstdint>
#include <string>

namespace gridsight::grid {

// Levels of the hierarchy. Codes grow by three digits per level below the district
// (6 digits, GB/T 2260): street 9, community 12, base grid 15, finer levels 18 and 21.
enum class Level : int {
  kDistrict = 1,
  kStreet = 2,
  kCommunity = 3,
  kBaseGrid = 4,
  kFine1 = 5,  // e.g. building group
  kFine2 = 6,  // e.g. building
};
inline constexpr int kMaxLevel = 6;

// Number of digits of a code at `level`.
constexpr std::size_t code_length(Level level) {
  return static_cast<std::size_t>(level) == 1 ? 6 : 6 + 3 * (static_cast<std::size_t>(level) - 1);
}
const char* to_string(Level level);

struct Cell {
  std::string code;  // digits; prefixed by the parent's code
  std::string name;
  Level level = Level::kBaseGrid;
  std::string parent_code;  // empty for a top-level cell
  bool dedicated = false;   // a school, park, industrial park... (see docs/grid-engine.md)
  std::string feature_id;   // the GeoJSON feature it came from
  double area_m2 = 0;
};

}  // namespace gridsight::grid
