#pragma once
// Coordinate systems. The internal system is WGS-84 longitude/latitude in degrees.
// CGCS2000 differs from WGS-84 by centimetres (same ellipsoid up to 0.1 mm, frames within
// a few cm), so it is taken as is. GCJ-02 (the obfuscated system of most Chinese map data)
// is converted with the public forward algorithm and an iterative inverse.

#include "protocol/event.h"

namespace gridsight::grid {

struct LonLat {
  double lon = 0;
  double lat = 0;
};

// True inside the rectangle where the GCJ-02 offset applies (outside it GCJ-02 == WGS-84).
bool in_gcj02_region(LonLat p);
LonLat wgs84_to_gcj02(LonLat wgs);
// Iterative inverse of wgs84_to_gcj02; error below 1e-9 degrees (sub-millimetre).
LonLat gcj02_to_wgs84(LonLat gcj);

// Converts a point declared in `crs` to the internal system.
LonLat to_internal(LonLat p, protocol::Crs crs);
inline LonLat to_internal(const protocol::GeoPoint& p) {
  return to_internal({p.lon, p.lat}, p.crs);
}

// Great-circle distance in metres (haversine, mean Earth radius).
double distance_m(LonLat a, LonLat b);

}  // namespace gridsight::grid
