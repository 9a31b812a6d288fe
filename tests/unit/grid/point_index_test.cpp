// The raster fast path of PointIndex gives exactly the R-tree's answer, on random points,
// on vertices and on edges of jagged polygons with shared boundaries.

#include "aggregator/grid/point_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "bench/grid/synthetic_grid.h"

namespace gridsight::grid {
namespace {

TEST(PointIndex, RasterAgreesWithTheRtreeEverywhere) {
  bench::SyntheticGrid syn = bench::make_synthetic_grid(12, 9, 99);
  PointIndex index;
  std::vector<geo::MultiPolygon> polygons;
  std::vector<std::pair<double, double>> probes;
  for (std::uint32_t i = 0; i < syn.cells.size(); ++i) {
    geo::MultiPolygon mp;
    mp.resize(1);
    const auto& ring = syn.cells[i].ring;
    for (auto [x, y] : ring) mp[0].outer().emplace_back(x, y);
    geo::bg::correct(mp);
    index.add(i, mp);
    polygons.push_back(mp);
    for (std::size_t k = 0; k + 1 < ring.size(); ++k) {
      probes.push_back(ring[k]);  // vertices
      probes.emplace_back((ring[k].first + ring[k + 1].first) / 2,
                          (ring[k].second + ring[k + 1].second) / 2);  // on edges
    }
  }
  index.build();
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> ux(syn.lon0 - 0.001, syn.lon0 + 12 * syn.cell_deg + 0.001);
  std::uniform_real_distribution<double> uy(syn.lat0 - 0.001, syn.lat0 + 9 * syn.cell_deg + 0.001);
  for (int i = 0; i < 30'000; ++i) probes.emplace_back(ux(rng), uy(rng));
  std::size_t covered = 0;
  std::vector<std::uint32_t> fast, slow;
  // Random points (not on edges) also match Boost.Geometry's own covered_by.
  for (std::size_t k = probes.size() - 30'000; k < probes.size(); k += 15) {
    auto [x, y] = probes[k];
    fast.clear();
    index.covering(x, y, fast);
    std::vector<std::uint32_t> boost_says;
    for (std::uint32_t i = 0; i < polygons.size(); ++i) {
      if (geo::bg::covered_by(geo::Point(x, y), polygons[i])) boost_says.push_back(i);
    }
    std::sort(fast.begin(), fast.end());
    ASSERT_EQ(fast, boost_says) << "at " << x << ", " << y;
  }
  for (auto [x, y] : probes) {
    fast.clear();
    slow.clear();
    index.covering(x, y, fast);
    index.covering_rtree(x, y, slow);
    std::sort(fast.begin(), fast.end());
    std::sort(slow.begin(), slow.end());
    ASSERT_EQ(fast, slow) << "at " << x << ", " << y;
    covered += fast.empty() ? 0 : 1;
  }
  EXPECT_GT(covered, probes.size() / 2);
}

}  // namespace
}  // namespace gridsight::grid
