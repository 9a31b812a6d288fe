#pragma once
// Private to aggregator/grid: Boost.Geometry types in the internal system (lon, lat degrees).

#include <algorithm>
#include <boost/geometry.hpp>
#include <boost/geometry/geometries/point_xy.hpp>

namespace gridsight::grid::geo {

namespace bg = boost::geometry;
using Point = bg::model::d2::point_xy<double>;
using Polygon = bg::model::polygon<Point, /*clockwise=*/false, /*closed=*/true>;
using MultiPolygon = bg::model::multi_polygon<Polygon>;
using Box = bg::model::box<Point>;

// Bounding box of the outer rings (a hand-written loop: Boost's envelope trips GCC's
// -Wmaybe-uninitialized at -O3).
inline Box envelope(const MultiPolygon& mp) {
  double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
  for (const auto& poly : mp) {
    for (const auto& p : poly.outer()) {
      x0 = std::min(x0, p.x());
      y0 = std::min(y0, p.y());
      x1 = std::max(x1, p.x());
      y1 = std::max(y1, p.y());
    }
  }
  return Box(Point(x0, y0), Point(x1, y1));
}

// Square metres per square degree near latitude `lat` (equirectangular; fine for tolerances).
double m2_per_deg2(double lat);

}  // namespace gridsight::grid::geo
