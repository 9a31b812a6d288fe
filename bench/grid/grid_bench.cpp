// Point -> cell lookups per second on a synthetic district of jagged cells (20-200 vertices),
// against a plain Boost.Geometry R-tree query + covered_by over the same polygons, measured
// in the same run on the same points. `--smoke` runs a small version for CI.

#include <boost/geometry.hpp>
#include <boost/geometry/geometries/point_xy.hpp>
#include <boost/geometry/index/rtree.hpp>
#include <boost/iterator/function_output_iterator.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <random>

#include "aggregator/grid/grid_model.h"
#include "bench/grid/synthetic_grid.h"

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;
using Point = bg::model::d2::point_xy<double>;
using Polygon = bg::model::polygon<Point, false, true>;
using Box = bg::model::box<Point>;

namespace {
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
// CPU time of this thread: lookups per second on one core, even on a busy shared machine.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}
}  // namespace

int main(int argc, char** argv) {
  bool smoke = argc > 1 && std::strcmp(argv[1], "--smoke") == 0;
  int cols = smoke ? 50 : 250, rows = smoke ? 50 : 200;
  std::size_t queries = smoke ? 200'000 : 2'000'000;

  auto t0 = std::chrono::steady_clock::now();
  gridsight::bench::SyntheticGrid syn = gridsight::bench::make_synthetic_grid(cols, rows, 42);
  std::string text = syn.geojson();
  std::printf("cells %zu, vertices %zu (%.1f per cell), generated in %.2f s\n", syn.cells.size(),
              syn.vertex_count(), double(syn.vertex_count()) / double(syn.cells.size()),
              seconds_since(t0));

  t0 = std::chrono::steady_clock::now();
  gridsight::grid::GridModel model =
      gridsight::grid::GridModel::from_geojson(text, {}, "synthetic");
  std::printf("gridsight load + validation: %.2f s\n", seconds_since(t0));

  // Baseline: the textbook R-tree of polygon envelopes + covered_by on each candidate.
  std::vector<Polygon> polys(syn.cells.size());
  std::vector<std::pair<Box, std::uint32_t>> boxes;
  for (std::size_t i = 0; i < syn.cells.size(); ++i) {
    for (auto [x, y] : syn.cells[i].ring) polys[i].outer().emplace_back(x, y);
    bg::correct(polys[i]);
    boxes.emplace_back(bg::return_envelope<Box>(polys[i]), static_cast<std::uint32_t>(i));
  }
  bgi::rtree<std::pair<Box, std::uint32_t>, bgi::rstar<16>> rtree(boxes.begin(), boxes.end());

  std::mt19937_64 rng(7);
  // Inside the outer sides, which are jagged by up to 10% of a cell.
  std::uniform_real_distribution<double> ux(syn.lon0 + 0.1 * syn.cell_deg,
                                            syn.lon0 + (cols - 0.1) * syn.cell_deg);
  std::uniform_real_distribution<double> uy(syn.lat0 + 0.1 * syn.cell_deg,
                                            syn.lat0 + (rows - 0.1) * syn.cell_deg);
  std::vector<std::pair<double, double>> pts(queries);
  for (auto& p : pts) p = {ux(rng), uy(rng)};

  std::vector<std::int64_t> base_hit(queries, -1);
  double c0 = cpu_seconds();
  for (std::size_t q = 0; q < queries; ++q) {
    Point p(pts[q].first, pts[q].second);
    rtree.query(bgi::intersects(p),
                boost::make_function_output_iterator([&](const std::pair<Box, std::uint32_t>& v) {
                  if (base_hit[q] < 0 && bg::covered_by(p, polys[v.second])) {
                    base_hit[q] = v.second;
                  }
                }));
  }
  double base_s = cpu_seconds() - c0;

  std::size_t found = 0, disagree = 0;
  c0 = cpu_seconds();
  for (std::size_t q = 0; q < queries; ++q) {
    gridsight::grid::Placement pl = model.locate({pts[q].first, pts[q].second});
    if (pl) {
      ++found;
      if (base_hit[q] < 0 ||
          syn.cells[static_cast<std::size_t>(base_hit[q])].code != pl.cell->code) {
        ++disagree;
      }
    }
  }
  double ours_s = cpu_seconds() - c0;

  double base_rate = double(queries) / base_s, ours_rate = double(queries) / ours_s;
  std::printf("lookups per second of one core's CPU time, %zu random points:\n", queries);
  std::printf("baseline rtree + covered_by: %.0f lookups/s\n", base_rate);
  std::printf("gridsight locate:            %.0f lookups/s (%.2fx)\n", ours_rate,
              ours_rate / base_rate);
  std::printf("points found %zu of %zu, disagreeing with the baseline %zu\n", found, queries,
              disagree);
  if (found != queries || disagree != 0) {
    std::fprintf(stderr, "FAIL: every point lies in exactly one cell and both must agree\n");
    return 1;
  }
  return 0;
}
