#pragma once
// Private to aggregator/grid: fast point-in-polygon for many polygons.
// - An R-tree over the polygons' bounding boxes gives the candidates of any point.
// - Each polygon keeps its edges bucketed in horizontal bands, so an exact test looks at a
//   handful of edges instead of all of them.
// - A uniform raster over the whole extent (about 64 buckets per polygon) remembers, per
//   bucket, which polygons contain it entirely (no test needed) and which have boundary in
//   it (exact test). Most points need no polygon test at all.
// covering_rtree() answers through the R-tree alone (the reference the raster is tested
// against); both give the same polygons for every point.

#include <cstdint>
#include <memory>
#include <vector>

#include "aggregator/grid/geometry.h"

namespace gridsight::grid {

class PointIndex {
 public:
  PointIndex();
  ~PointIndex();
  PointIndex(PointIndex&&) noexcept;
  PointIndex& operator=(PointIndex&&) noexcept;

  // Adds a polygon set under `id`; call build() once all are added.
  void add(std::uint32_t id, const geo::MultiPolygon& shape);
  void build();

  // Appends to `out` the id of every polygon that covers p (interior or boundary).
  void covering(double x, double y, std::vector<std::uint32_t>& out) const;
  void covering_rtree(double x, double y, std::vector<std::uint32_t>& out) const;
  std::size_t size() const { return ids_.size(); }

 private:
  struct Shape;
  struct Edge;
  struct RasterEntry {
    std::uint32_t slot;   // | kPartial when the polygon's boundary may cross the bucket
    std::uint32_t begin;  // kPartial: the polygon's edges of this raster row in row_edges_
    std::uint32_t end;
  };
  bool covers(std::uint32_t slot, double x, double y) const;

  std::vector<Shape> shapes_;
  std::vector<std::uint32_t> ids_;
  void build_raster();

  struct Tree;
  std::unique_ptr<Tree> tree_;
  std::vector<geo::Box> boxes_;
  // Raster: bucket (ix, iy) -> entries raster_entries_[raster_start_[b]..raster_start_[b+1]),
  // each a slot with kPartial set when the polygon's boundary may cross the bucket.
  static constexpr std::uint32_t kPartial = 0x80000000u;
  // raster_head_[b]: id | kSingle when the bucket lies inside exactly one polygon and meets
  // no other, else kMixed (look at the entries).
  static constexpr std::uint32_t kSingle = 0x80000000u;
  static constexpr std::uint32_t kMixed = 0xffffffffu;
  std::vector<std::uint32_t> raster_head_;
  double rx0_ = 0, ry0_ = 0, rstep_ = 1;
  std::int64_t rnx_ = 0, rny_ = 0;
  std::vector<std::uint32_t> raster_start_;
  std::vector<RasterEntry> raster_entries_;
  std::vector<Edge> row_edges_;
};

}  // namespace gridsight::grid
