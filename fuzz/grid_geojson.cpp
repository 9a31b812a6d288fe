// The grid loader: any text as a GeoJSON grid file. It loads or fails with GridLoadError
// listing the problems; a loaded grid is a consistent tree and point lookups name cells of the
// grid at the levels they claim.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "aggregator/grid/grid_model.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gridsight::grid;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    GridModel model = GridModel::from_geojson(text, GridOptions{}, "fuzz.geojson");
    for (const Cell* cell : model.cells()) {
      FUZZ_CHECK(model.find(cell->code) == cell);
      if (const Cell* parent = model.parent(*cell)) {
        FUZZ_CHECK(GridModel::in_subtree(cell->code, parent->code));
        FUZZ_CHECK(static_cast<int>(parent->level) < static_cast<int>(cell->level));
      }
    }
    // Points spread over the map and the corners of the world.
    for (double lon : {-180.0, -0.5, 0.0, 116.39, 121.47, 180.0}) {
      for (double lat : {-90.0, 0.0, 31.23, 39.9, 90.0}) {
        const Placement p = model.locate({lon, lat});
        if (!p) continue;
        FUZZ_CHECK(model.find(p.cell->code) == p.cell);
        if (p.dedicated) FUZZ_CHECK(p.cell == p.dedicated && p.dedicated->dedicated);
        if (p.base_grid) FUZZ_CHECK(p.base_grid->level == Level::kBaseGrid);
      }
    }
  } catch (const GridLoadError& e) {
    FUZZ_CHECK(!e.problems().empty());
  }
  return 0;
}
