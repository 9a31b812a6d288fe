#include "aggregator/grid/coords.h"

#include <gtest/gtest.h>

namespace gridsight::grid {
namespace {

TEST(Coords, Gcj02ForwardMatchesThePublishedReferencePoint) {
  // The reference pair every public implementation of the algorithm reproduces.
  LonLat g = wgs84_to_gcj02({116.404, 39.915});
  EXPECT_NEAR(g.lon, 116.41024449916938, 1e-9);
  EXPECT_NEAR(g.lat, 39.91640428150164, 1e-9);
}

TEST(Coords, Gcj02InverseIsExactToSubMillimetre) {
  for (LonLat w : {LonLat{116.404, 39.915}, LonLat{121.4737, 31.2304}, LonLat{113.2644, 23.1291},
                   LonLat{87.6168, 43.8256}}) {
    LonLat back = gcj02_to_wgs84(wgs84_to_gcj02(w));
    EXPECT_NEAR(back.lon, w.lon, 1e-9);
    EXPECT_NEAR(back.lat, w.lat, 1e-9);
  }
}

TEST(Coords, OffsetIsHundredsOfMetres) {
  LonLat w{116.404, 39.915};
  double d = distance_m(w, wgs84_to_gcj02(w));
  EXPECT_GT(d, 300);
  EXPECT_LT(d, 900);
}

TEST(Coords, OutsideChinaUnchanged) {
  LonLat london{-0.1276, 51.5072};
  LonLat g = wgs84_to_gcj02(london);
  EXPECT_EQ(g.lon, london.lon);
  EXPECT_EQ(g.lat, london.lat);
  EXPECT_EQ(gcj02_to_wgs84(london).lon, london.lon);
}

TEST(Coords, ToInternalByDeclaredSystem) {
  LonLat g = wgs84_to_gcj02({116.404, 39.915});
  LonLat w = to_internal(protocol::GeoPoint{g.lon, g.lat, protocol::Crs::kGcj02});
  EXPECT_NEAR(w.lon, 116.404, 1e-9);
  LonLat c = to_internal(protocol::GeoPoint{116.404, 39.915, protocol::Crs::kCgcs2000});
  EXPECT_EQ(c.lon, 116.404);
  LonLat u = to_internal(protocol::GeoPoint{116.404, 39.915, protocol::Crs::kWgs84});
  EXPECT_EQ(u.lat, 39.915);
}

TEST(Coords, DistanceOfOneDegreeOfLatitude) {
  EXPECT_NEAR(distance_m({116, 39}, {116, 40}), 111195, 5);
}

}  // namespace
}  // namespace gridsight::grid
