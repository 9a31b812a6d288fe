#include "aggregator/grid/point_index.h"

#include <algorithm>
#include <boost/geometry/index/rtree.hpp>
#include <boost/iterator/function_output_iterator.hpp>
#include <cassert>
#include <cmath>

namespace gridsight::grid {
namespace bgi = boost::geometry::index;

struct PointIndex::Edge {
  double x0, y0, x1, y1;  // y0 <= y1
};

namespace {
// Covered-by over the edges that can cross the horizontal through (x, y): on an edge counts
// as covered; otherwise crossing number, half-open in y so a vertex is counted once.
template <class EdgeT>
bool covers_edges(const EdgeT* first, const EdgeT* last, double x, double y) {
  bool inside = false;
  for (const EdgeT* e = first; e != last; ++e) {
    double cross = (e->x1 - e->x0) * (y - e->y0) - (e->y1 - e->y0) * (x - e->x0);
    if (cross == 0 && x >= std::min(e->x0, e->x1) && x <= std::max(e->x0, e->x1) && y >= e->y0 &&
        y <= e->y1) {
      return true;
    }
    if ((e->y0 > y) != (e->y1 > y)) {
      double xi = e->x0 + (y - e->y0) * (e->x1 - e->x0) / (e->y1 - e->y0);
      if (x < xi) inside = !inside;
    }
  }
  return inside;
}
}  // namespace

struct PointIndex::Shape {
  double ymin = 0, band_height = 1;
  std::vector<Edge> edges;
  // CSR: the edges of band b are band_edges[band_start[b]..band_start[b+1]), copied per band
  // so a test reads one contiguous run.
  std::vector<std::uint32_t> band_start;
  std::vector<Edge> band_edges;
};

struct PointIndex::Tree {
  using Value = std::pair<geo::Box, std::uint32_t>;
  bgi::rtree<Value, bgi::rstar<16>> rtree;
  std::vector<Value> pending;
};

PointIndex::PointIndex() : tree_(std::make_unique<Tree>()) {}
PointIndex::~PointIndex() = default;
PointIndex::PointIndex(PointIndex&&) noexcept = default;
PointIndex& PointIndex::operator=(PointIndex&&) noexcept = default;

void PointIndex::add(std::uint32_t id, const geo::MultiPolygon& shape) {
  assert(id < kSingle && shapes_.size() < kSingle);
  Shape s;
  auto add_ring = [&](const auto& ring) {
    for (std::size_t i = 0; i + 1 < ring.size(); ++i) {
      // Stored bottom-up whatever the ring's direction, so an edge shared by two polygons
      // gives bit-identical arithmetic in both and a point on it is decided the same way.
      double x0 = ring[i].x(), y0 = ring[i].y(), x1 = ring[i + 1].x(), y1 = ring[i + 1].y();
      if (y1 < y0 || (y1 == y0 && x1 < x0)) {
        std::swap(x0, x1);
        std::swap(y0, y1);
      }
      if (x0 == x1 && y0 == y1) continue;  // repeated vertex
      s.edges.push_back({x0, y0, x1, y1});
    }
  };
  for (const auto& poly : shape) {
    add_ring(poly.outer());
    for (const auto& hole : poly.inners()) add_ring(hole);
  }
  geo::Box box = geo::envelope(shape);
  s.ymin = box.min_corner().y();
  double height = box.max_corner().y() - s.ymin;
  std::size_t bands = std::max<std::size_t>(1, s.edges.size() / 3);
  s.band_height = height > 0 ? height / static_cast<double>(bands) : 1.0;
  std::vector<std::vector<std::uint32_t>> per_band(bands);
  auto band_of = [&](double y) {
    auto b = static_cast<std::int64_t>(std::floor((y - s.ymin) / s.band_height));
    return static_cast<std::size_t>(std::clamp<std::int64_t>(b, 0, std::int64_t(bands) - 1));
  };
  for (std::uint32_t e = 0; e < s.edges.size(); ++e) {
    const Edge& ed = s.edges[e];
    // Inclusive on both ends: an edge touching a band boundary is in both bands, so every
    // edge whose y-range contains a query's y is in that query's band.
    std::size_t lo = band_of(std::min(ed.y0, ed.y1)), hi = band_of(std::max(ed.y0, ed.y1));
    double lo_edge = s.ymin + static_cast<double>(lo) * s.band_height;
    if (lo > 0 && std::min(ed.y0, ed.y1) <= lo_edge) --lo;
    double hi_edge = s.ymin + static_cast<double>(hi + 1) * s.band_height;
    if (hi + 1 < bands && std::max(ed.y0, ed.y1) >= hi_edge) ++hi;
    for (std::size_t b = lo; b <= hi; ++b) per_band[b].push_back(e);
  }
  s.band_start.reserve(bands + 1);
  for (const auto& v : per_band) {
    s.band_start.push_back(static_cast<std::uint32_t>(s.band_edges.size()));
    for (std::uint32_t e : v) s.band_edges.push_back(s.edges[e]);
  }
  s.band_start.push_back(static_cast<std::uint32_t>(s.band_edges.size()));
  auto slot = static_cast<std::uint32_t>(shapes_.size());
  shapes_.push_back(std::move(s));
  ids_.push_back(id);
  tree_->pending.emplace_back(box, slot);
  boxes_.push_back(box);
}

void PointIndex::build() {
  tree_->rtree = decltype(tree_->rtree)(tree_->pending.begin(), tree_->pending.end());  // packed
  tree_->pending.clear();
  tree_->pending.shrink_to_fit();
  build_raster();
}

void PointIndex::build_raster() {
  raster_head_.clear();
  raster_start_.clear();
  raster_entries_.clear();
  rnx_ = rny_ = 0;
  if (boxes_.empty()) return;
  double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300, area = 0;
  for (const auto& b : boxes_) {
    x0 = std::min(x0, b.min_corner().x());
    y0 = std::min(y0, b.min_corner().y());
    x1 = std::max(x1, b.max_corner().x());
    y1 = std::max(y1, b.max_corner().y());
    area += (b.max_corner().x() - b.min_corner().x()) * (b.max_corner().y() - b.min_corner().y());
  }
  if (!(x1 > x0) || !(y1 > y0) || !(area > 0)) return;
  // About 64 buckets per polygon (most then lie inside one polygon), at most ~8 M buckets.
  double step = std::sqrt(area / static_cast<double>(boxes_.size())) / 8;
  constexpr double kMaxBuckets = 8e6;
  step = std::max(step, std::sqrt((x1 - x0) * (y1 - y0) / kMaxBuckets));
  rx0_ = x0;
  ry0_ = y0;
  rstep_ = step;
  rnx_ = static_cast<std::int64_t>(std::floor((x1 - x0) / step)) + 1;
  rny_ = static_cast<std::int64_t>(std::floor((y1 - y0) / step)) + 1;
  auto col = [&](double x) {
    return std::clamp<std::int64_t>(static_cast<std::int64_t>(std::floor((x - rx0_) / rstep_)), 0,
                                    rnx_ - 1);
  };
  auto row = [&](double y) {
    return std::clamp<std::int64_t>(static_cast<std::int64_t>(std::floor((y - ry0_) / rstep_)), 0,
                                    rny_ - 1);
  };
  std::vector<std::vector<RasterEntry>> cells(static_cast<std::size_t>(rnx_ * rny_));
  std::vector<std::uint32_t> stamp(cells.size(), 0);
  // Edges are widened by a hair so a point on an edge always maps to a bucket marked partial
  // (floor((x - x0) / step) is monotonic in x).
  constexpr double kEps = 1e-9;
  row_edges_.clear();
  for (std::uint32_t slot = 0; slot < shapes_.size(); ++slot) {
    Shape& s = shapes_[slot];
    // The polygon's edges per raster row (those whose y-range, widened by a hair, meets the
    // row), so a partial bucket's test reads one contiguous run.
    std::int64_t first_row = row(boxes_[slot].min_corner().y() - kEps);
    std::int64_t last_row = row(boxes_[slot].max_corner().y() + kEps);
    std::vector<std::vector<Edge>> per_row(static_cast<std::size_t>(last_row - first_row + 1));
    for (const Edge& e : s.edges) {
      for (std::int64_t iy = row(e.y0 - kEps); iy <= row(e.y1 + kEps); ++iy) {
        per_row[static_cast<std::size_t>(iy - first_row)].push_back(e);
      }
    }
    std::vector<std::pair<std::uint32_t, std::uint32_t>> row_range;
    for (const auto& v : per_row) {
      auto begin = static_cast<std::uint32_t>(row_edges_.size());
      row_edges_.insert(row_edges_.end(), v.begin(), v.end());
      row_range.emplace_back(begin, static_cast<std::uint32_t>(row_edges_.size()));
    }
    for (const Edge& e : s.edges) {
      for (std::int64_t iy = row(std::min(e.y0, e.y1) - kEps);
           iy <= row(std::max(e.y0, e.y1) + kEps); ++iy) {
        for (std::int64_t ix = col(std::min(e.x0, e.x1) - kEps);
             ix <= col(std::max(e.x0, e.x1) + kEps); ++ix) {
          auto b = static_cast<std::size_t>(iy * rnx_ + ix);
          if (stamp[b] != slot + 1) {
            stamp[b] = slot + 1;
            auto [first, last] = row_range[static_cast<std::size_t>(iy - first_row)];
            cells[b].push_back({slot | kPartial, first, last});
          }
        }
      }
    }
    // Buckets of the box without boundary are entirely inside or entirely outside: the
    // centre decides.
    const geo::Box& box = boxes_[slot];
    for (std::int64_t iy = row(box.min_corner().y()); iy <= row(box.max_corner().y()); ++iy) {
      for (std::int64_t ix = col(box.min_corner().x()); ix <= col(box.max_corner().x()); ++ix) {
        auto b = static_cast<std::size_t>(iy * rnx_ + ix);
        if (stamp[b] == slot + 1) continue;
        double cx = rx0_ + (static_cast<double>(ix) + 0.5) * rstep_;
        double cy = ry0_ + (static_cast<double>(iy) + 0.5) * rstep_;
        if (covers(slot, cx, cy)) cells[b].push_back({slot, 0, 0});
      }
    }
    s.edges.clear();  // the bands and rows hold copies
    s.edges.shrink_to_fit();
  }
  raster_head_.reserve(cells.size());
  for (const auto& c : cells) {
    raster_head_.push_back(c.size() == 1 && !(c[0].slot & kPartial) ? (ids_[c[0].slot] | kSingle)
                                                                    : kMixed);
  }
  raster_start_.reserve(cells.size() + 1);
  for (const auto& c : cells) {
    raster_start_.push_back(static_cast<std::uint32_t>(raster_entries_.size()));
    raster_entries_.insert(raster_entries_.end(), c.begin(), c.end());
  }
  raster_start_.push_back(static_cast<std::uint32_t>(raster_entries_.size()));
}

bool PointIndex::covers(std::uint32_t slot, double x, double y) const {
  const Shape& s = shapes_[slot];
  auto bands = static_cast<std::int64_t>(s.band_start.size() - 1);
  auto b = static_cast<std::int64_t>(std::floor((y - s.ymin) / s.band_height));
  if (b < 0 || b >= bands) {
    if (b == bands)
      b = bands - 1;  // y == ymax exactly after rounding
    else if (b == -1)
      b = 0;
    else
      return false;
  }
  const Edge* base = s.band_edges.data();
  return covers_edges(base + s.band_start[b], base + s.band_start[b + 1], x, y);
}

void PointIndex::covering(double x, double y, std::vector<std::uint32_t>& out) const {
  if (rnx_ > 0) {
    double fx = std::floor((x - rx0_) / rstep_), fy = std::floor((y - ry0_) / rstep_);
    if (fx >= 0 && fy >= 0 && fx < static_cast<double>(rnx_) && fy < static_cast<double>(rny_)) {
      auto b = static_cast<std::size_t>(static_cast<std::int64_t>(fy) * rnx_ +
                                        static_cast<std::int64_t>(fx));
      std::uint32_t head = raster_head_[b];
      if (head != kMixed) {  // most buckets: inside exactly one polygon, one memory read
        out.push_back(head & ~kSingle);
        return;
      }
      const Edge* edges = row_edges_.data();
      for (std::uint32_t i = raster_start_[b]; i < raster_start_[b + 1]; ++i) {
        const RasterEntry& e = raster_entries_[i];
        std::uint32_t slot = e.slot & ~kPartial;
        if (!(e.slot & kPartial) || covers_edges(edges + e.begin, edges + e.end, x, y)) {
          out.push_back(ids_[slot]);
        }
      }
    }
    return;  // outside the raster means outside every bounding box
  }
  covering_rtree(x, y, out);
}

void PointIndex::covering_rtree(double x, double y, std::vector<std::uint32_t>& out) const {
  geo::Point p(x, y);
  // query() with an output iterator: qbegin()'s iterator is type-erased and allocates.
  tree_->rtree.query(bgi::intersects(p),
                     boost::make_function_output_iterator([&](const Tree::Value& v) {
                       if (covers(v.second, x, y)) out.push_back(ids_[v.second]);
                     }));
}

}  // namespace gridsight::grid
