#pragma once
// A synthetic district for benchmarks: a lattice of cols x rows base grids whose sides are
// jagged polylines shared exactly by neighbours, each cell with 20-200 vertices.

#include <cstdint>
#include <string>
#include <vector>

namespace gridsight::bench {

struct SyntheticCell {
  std::string code;
  std::vector<std::pair<double, double>> ring;  // closed, counter-clockwise, lon/lat
};

struct SyntheticGrid {
  double lon0 = 116.0, lat0 = 39.5;
  double cell_deg = 0.002;  // ~170-220 m
  int cols = 0, rows = 0;
  std::vector<SyntheticCell> cells;
  std::string geojson() const;  // FeatureCollection in WGS-84, base grids only
  std::size_t vertex_count() const;
};

SyntheticGrid make_synthetic_grid(int cols, int rows, std::uint64_t seed);

}  // namespace gridsight::bench
