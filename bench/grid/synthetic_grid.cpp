#include "bench/grid/synthetic_grid.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace gridsight::bench {
namespace {

std::uint64_t mix(std::uint64_t x) {  // splitmix64
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
double unit(std::uint64_t h) {
  return static_cast<double>(h >> 11) / 9007199254740992.0;
}

using Pts = std::vector<std::pair<double, double>>;

// Interior points of the side from a to b: 4..49 of them, offset perpendicular to the side
// by at most 10% of its length, tapering to zero at the ends (so sides never cross).
Pts side(double ax, double ay, double bx, double by, std::uint64_t key) {
  int k = 4 + static_cast<int>(mix(key) % 46);
  Pts out;
  double dx = bx - ax, dy = by - ay;
  for (int i = 1; i <= k; ++i) {
    double t = static_cast<double>(i) / (k + 1);
    double off = (unit(mix(key * 131 + static_cast<std::uint64_t>(i))) - 0.5) * 0.2 *
                 std::sin(3.14159265358979 * t);
    out.emplace_back(ax + dx * t - dy * off, ay + dy * t + dx * off);
  }
  return out;
}

}  // namespace

SyntheticGrid make_synthetic_grid(int cols, int rows, std::uint64_t seed) {
  SyntheticGrid g;
  g.cols = cols;
  g.rows = rows;
  auto X = [&](int i) { return g.lon0 + i * g.cell_deg; };
  auto Y = [&](int j) { return g.lat0 + j * g.cell_deg; };
  // Horizontal side (i,j)->(i+1,j) and vertical side (i,j)->(i,j+1), each generated once.
  auto hkey = [&](int i, int j) {
    return seed ^ (static_cast<std::uint64_t>(j) * 1000003 + i) * 2;
  };
  auto vkey = [&](int i, int j) {
    return seed ^ ((static_cast<std::uint64_t>(j) * 1000003 + i) * 2 + 1);
  };
  int per_community = 20;  // 20 x 20 grids per community code
  for (int j = 0; j < rows; ++j) {
    for (int i = 0; i < cols; ++i) {
      SyntheticCell c;
      Pts& r = c.ring;
      r.emplace_back(X(i), Y(j));
      for (auto p : side(X(i), Y(j), X(i + 1), Y(j), hkey(i, j))) r.push_back(p);
      r.emplace_back(X(i + 1), Y(j));
      for (auto p : side(X(i + 1), Y(j), X(i + 1), Y(j + 1), vkey(i + 1, j))) r.push_back(p);
      r.emplace_back(X(i + 1), Y(j + 1));
      Pts top = side(X(i), Y(j + 1), X(i + 1), Y(j + 1), hkey(i, j + 1));
      for (auto it = top.rbegin(); it != top.rend(); ++it) r.push_back(*it);
      r.emplace_back(X(i), Y(j + 1));
      Pts left = side(X(i), Y(j), X(i), Y(j + 1), vkey(i, j));
      for (auto it = left.rbegin(); it != left.rend(); ++it) r.push_back(*it);
      r.push_back(r.front());
      int community =
          (j / per_community) * ((cols + per_community - 1) / per_community) + i / per_community;
      int number = (j % per_community) * per_community + i % per_community + 1;
      char code[32];
      std::snprintf(code, sizeof code, "110105%03d%03d%03d", 1 + community / 999,
                    1 + community % 999, number);
      c.code = code;
      g.cells.push_back(std::move(c));
    }
  }
  return g;
}

std::string SyntheticGrid::geojson() const {
  nlohmann::json fc = {{"type", "FeatureCollection"}, {"coordinate_system", "WGS84"}};
  auto& feats = fc["features"] = nlohmann::json::array();
  for (const auto& c : cells) {
    nlohmann::json ring = nlohmann::json::array();
    for (auto [x, y] : c.ring) ring.push_back({x, y});
    feats.push_back({{"type", "Feature"},
                     {"id", c.code},
                     {"properties", {{"code", c.code}, {"name", c.code}}},
                     {"geometry", {{"type", "Polygon"}, {"coordinates", {ring}}}}});
  }
  return fc.dump();
}

std::size_t SyntheticGrid::vertex_count() const {
  std::size_t n = 0;
  for (const auto& c : cells) n += c.ring.size() - 1;
  return n;
}

}  // namespace gridsight::bench
