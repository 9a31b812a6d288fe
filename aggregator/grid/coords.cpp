#include "aggregator/grid/coords.h"

#include <cmath>
#include <numbers>

namespace gridsight::grid {
namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kKrasovskyA = 6378245.0;                // semi-major axis used by GCJ-02
constexpr double kKrasovskyEe = 0.00669342162296594323;  // first eccentricity squared

double shift_lat(double x, double y) {
  double r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * std::sqrt(std::fabs(x));
  r += (20.0 * std::sin(6.0 * x * kPi) + 20.0 * std::sin(2.0 * x * kPi)) * 2.0 / 3.0;
  r += (20.0 * std::sin(y * kPi) + 40.0 * std::sin(y / 3.0 * kPi)) * 2.0 / 3.0;
  r += (160.0 * std::sin(y / 12.0 * kPi) + 320.0 * std::sin(y * kPi / 30.0)) * 2.0 / 3.0;
  return r;
}

double shift_lon(double x, double y) {
  double r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * std::sqrt(std::fabs(x));
  r += (20.0 * std::sin(6.0 * x * kPi) + 20.0 * std::sin(2.0 * x * kPi)) * 2.0 / 3.0;
  r += (20.0 * std::sin(x * kPi) + 40.0 * std::sin(x / 3.0 * kPi)) * 2.0 / 3.0;
  r += (150.0 * std::sin(x / 12.0 * kPi) + 300.0 * std::sin(x / 30.0 * kPi)) * 2.0 / 3.0;
  return r;
}

LonLat forward_unchecked(LonLat p) {
  double dlat = shift_lat(p.lon - 105.0, p.lat - 35.0);
  double dlon = shift_lon(p.lon - 105.0, p.lat - 35.0);
  double rad_lat = p.lat / 180.0 * kPi;
  double magic = std::sin(rad_lat);
  magic = 1 - kKrasovskyEe * magic * magic;
  double sqrt_magic = std::sqrt(magic);
  dlat = (dlat * 180.0) / ((kKrasovskyA * (1 - kKrasovskyEe)) / (magic * sqrt_magic) * kPi);
  dlon = (dlon * 180.0) / (kKrasovskyA / sqrt_magic * std::cos(rad_lat) * kPi);
  return {p.lon + dlon, p.lat + dlat};
}

}  // namespace

bool in_gcj02_region(LonLat p) {
  return p.lon >= 72.004 && p.lon <= 137.8347 && p.lat >= 0.8293 && p.lat <= 55.8271;
}

LonLat wgs84_to_gcj02(LonLat wgs) {
  if (!in_gcj02_region(wgs)) return wgs;
  return forward_unchecked(wgs);
}

LonLat gcj02_to_wgs84(LonLat gcj) {
  if (!in_gcj02_region(gcj)) return gcj;
  // Fixed-point iteration: the offset varies slowly, so each step gains several digits.
  LonLat wgs = gcj;
  for (int i = 0; i < 30; ++i) {
    LonLat g = forward_unchecked(wgs);
    double dlon = g.lon - gcj.lon;
    double dlat = g.lat - gcj.lat;
    wgs.lon -= dlon;
    wgs.lat -= dlat;
    if (std::fabs(dlon) < 1e-11 && std::fabs(dlat) < 1e-11) break;
  }
  return wgs;
}

LonLat to_internal(LonLat p, protocol::Crs crs) {
  switch (crs) {
    case protocol::Crs::kWgs84:
    case protocol::Crs::kCgcs2000:
      return p;
    case protocol::Crs::kGcj02:
      return gcj02_to_wgs84(p);
  }
  return p;
}

double distance_m(LonLat a, LonLat b) {
  constexpr double kR = 6371008.8;
  double p1 = a.lat * kPi / 180, p2 = b.lat * kPi / 180;
  double dp = p2 - p1, dl = (b.lon - a.lon) * kPi / 180;
  double h = std::sin(dp / 2) * std::sin(dp / 2) +
             std::cos(p1) * std::cos(p2) * std::sin(dl / 2) * std::sin(dl / 2);
  return 2 * kR * std::asin(std::min(1.0, std::sqrt(h)));
}

}  // namespace gridsight::grid
