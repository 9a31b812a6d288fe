#include "aggregator/grid/grid_model.h"

#include <fstream>
#include <sstream>

#include "aggregator/grid/grid_impl.h"

namespace gridsight::grid {

const char* to_string(Level level) {
  switch (level) {
    case Level::kDistrict:
      return "district";
    case Level::kStreet:
      return "street";
    case Level::kCommunity:
      return "community";
    case Level::kBaseGrid:
      return "base_grid";
    case Level::kFine1:
      return "fine1";
    case Level::kFine2:
      return "fine2";
  }
  return "?";
}

GridModel::GridModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GridModel::GridModel(GridModel&&) noexcept = default;
GridModel& GridModel::operator=(GridModel&&) noexcept = default;
GridModel::~GridModel() = default;

GridModel GridModel::from_geojson(std::string_view text, const GridOptions& options,
                                  const std::string& source) {
  return GridModel(load_grid(text, options, source));
}

GridModel GridModel::load_file(const std::string& path, const GridOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw GridLoadError(path, {{"", ProblemKind::kSyntax, "cannot open the file"}});
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return from_geojson(ss.str(), options, path);
}

const Cell* GridModel::find(std::string_view code) const {
  auto it = impl_->by_code.find(code);
  return it == impl_->by_code.end() ? nullptr : &impl_->cells[it->second];
}

const Cell* GridModel::parent(const Cell& cell) const {
  return cell.parent_code.empty() ? nullptr : find(cell.parent_code);
}

const Cell* GridModel::ancestor(const Cell& cell, Level level) const {
  const Cell* c = &cell;
  while (c && c->level > level) c = parent(*c);
  return c && c->level == level ? c : nullptr;
}

std::vector<const Cell*> GridModel::children(const Cell& cell) const {
  std::vector<const Cell*> out;
  for (auto it = impl_->by_code.upper_bound(cell.code);
       it != impl_->by_code.end() && in_subtree(it->first, cell.code); ++it) {
    const Cell& c = impl_->cells[it->second];
    if (c.parent_code == cell.code) out.push_back(&c);
  }
  return out;
}

std::vector<const Cell*> GridModel::cells() const {
  std::vector<const Cell*> out;
  out.reserve(impl_->cells.size());
  for (const auto& c : impl_->cells) out.push_back(&c);
  return out;
}

std::size_t GridModel::size() const {
  return impl_->cells.size();
}

Placement GridModel::locate(LonLat p) const {
  thread_local std::vector<std::uint32_t> hits;
  hits.clear();
  impl_->fine.covering(p.lon, p.lat, hits);
  const auto& cells = impl_->cells;
  Placement out;
  // Ties (a point on an edge or vertex shared by cells) go to the smaller code; among
  // dedicated grids the smaller area wins (the more specific one), then the smaller code.
  for (std::uint32_t i : hits) {
    const Cell& c = cells[i];
    if (c.dedicated) {
      if (!out.dedicated || c.area_m2 < out.dedicated->area_m2 ||
          (c.area_m2 == out.dedicated->area_m2 && c.code < out.dedicated->code)) {
        out.dedicated = &c;
      }
    } else if (c.level == Level::kBaseGrid && (!out.base_grid || c.code < out.base_grid->code)) {
      out.base_grid = &c;
    }
  }
  const Cell* finest = out.base_grid;
  for (Level lv : {Level::kFine1, Level::kFine2}) {
    if (!finest) break;
    const Cell* best = nullptr;
    for (std::uint32_t i : hits) {
      const Cell& c = cells[i];
      if (!c.dedicated && c.level == lv && c.parent_code == finest->code &&
          (!best || c.code < best->code)) {
        best = &c;
      }
    }
    if (!best) break;
    finest = best;
  }
  out.cell = out.dedicated ? out.dedicated : finest;
  if (!out.cell) {
    hits.clear();
    impl_->upper.covering(p.lon, p.lat, hits);
    for (std::uint32_t i : hits) {
      const Cell& c = cells[i];
      if (!out.cell || c.level > out.cell->level ||
          (c.level == out.cell->level && c.code < out.cell->code)) {
        out.cell = &c;
      }
    }
  }
  return out;
}

}  // namespace gridsight::grid
