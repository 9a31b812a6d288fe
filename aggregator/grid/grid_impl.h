#pragma once
// Private to aggregator/grid: the model's data, shared by the loader and the lookup.

#include <map>
#include <string>
#include <vector>

#include "aggregator/grid/grid_model.h"
#include "aggregator/grid/point_index.h"

namespace gridsight::grid {

struct GridModel::Impl {
  std::vector<Cell> cells;                                    // ordered by code
  std::map<std::string, std::uint32_t, std::less<>> by_code;  // code -> index in cells
  PointIndex fine;   // base grids, dedicated grids and finer levels
  PointIndex upper;  // districts, streets, communities (for points in no base grid)
};

// Parses, validates and indexes; throws GridLoadError.
std::unique_ptr<GridModel::Impl> load_grid(std::string_view text, const GridOptions& options,
                                           const std::string& source);

}  // namespace gridsight::grid
