#pragma once
// The grid model: cells of up to six levels loaded from GeoJSON (see docs/grid-engine.md),
// validated on load, with point -> cell lookup. Geometry types stay out of this header.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aggregator/grid/cell.h"
#include "aggregator/grid/coords.h"
#include "aggregator/grid/grid_problem.h"

namespace gridsight::grid {

struct GridOptions {
  // Overlaps, gaps and parts of a child outside its parent smaller than this are slivers
  // from digitising and are tolerated.
  double sliver_tolerance_m2 = 1.0;
};

// Where a point lies. `cell` is the owner of the point: a dedicated grid when one covers it,
// otherwise the finest ordinary cell (a base grid or finer; a community or above when the
// point lies in no base grid: the territorial owner). Null members mean "none".
struct Placement {
  const Cell* cell = nullptr;
  const Cell* base_grid = nullptr;
  const Cell* dedicated = nullptr;
  explicit operator bool() const { return cell != nullptr; }
};

class GridModel {
 public:
  // Parses and validates a GeoJSON FeatureCollection; throws GridLoadError listing every
  // problem. `source` names the file in messages.
  static GridModel from_geojson(std::string_view text, const GridOptions& options,
                                const std::string& source);
  static GridModel load_file(const std::string& path, const GridOptions& options);

  GridModel(GridModel&&) noexcept;
  GridModel& operator=(GridModel&&) noexcept;
  ~GridModel();

  // Point in the internal system (WGS-84). Points on an edge shared by two cells belong to
  // the cell with the smaller code (see docs/grid-engine.md, "Lookup").
  Placement locate(LonLat p) const;

  const Cell* find(std::string_view code) const;
  const Cell* parent(const Cell& cell) const;
  // The ancestor (or the cell itself) at `level`, null if there is none.
  const Cell* ancestor(const Cell& cell, Level level) const;
  std::vector<const Cell*> children(const Cell& cell) const;
  std::vector<const Cell*> cells() const;  // ordered by code
  std::size_t size() const;

  // Whether `code` lies in the subtree of `ancestor_code` (codes are prefixed by parents').
  static bool in_subtree(std::string_view code, std::string_view ancestor_code) {
    return code.substr(0, ancestor_code.size()) == ancestor_code;
  }

  struct Impl;

 private:
  explicit GridModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gridsight::grid
