#include "aggregator/grid/camera_registry.h"

#include <gtest/gtest.h>

#include "aggregator/grid/grid_model.h"
#include "common/config/section.h"
#include "tests/unit/grid/grid_fixture.h"

namespace gridsight::grid {
namespace {
using testing::at;

protocol::GeoPoint wgs(double x, double y) {
  LonLat p = at(x, y);
  return {p.lon, p.lat, protocol::Crs::kWgs84};
}

class RegistryTest : public ::testing::Test {
 protected:
  GridModel grid = GridModel::from_geojson(testing::collection(testing::district_features()), {},
                                           "district.geojson");
  CameraRegistry reg;
  void SetUp() override {
    CameraEntry c;
    c.id = "cam-1";
    c.device_id = "edge-1";
    c.mounted_at = wgs(19, 5);  // pole in A grid 1
    c.watches = wgs(22, 5);     // looks across the road into B grid 1
    ZoneEntry gate{"gate", wgs(35, 35), std::nullopt, "market-gate"};
    ZoneEntry pinned{"pinned", wgs(35, 35), std::string("110105001001002"), ""};
    c.zones = {gate, pinned};
    reg.add(c);
  }
  protocol::Event event(const std::string& camera, const std::string& zone) {
    protocol::Event e;
    e.camera_id = camera;
    e.zone = zone;
    return e;
  }
};

TEST_F(RegistryTest, CellComesFromTheWatchedSpotNotThePole) {
  Resolved r = reg.resolve(event("cam-1", ""), grid);
  EXPECT_EQ(r.cell_code, "110105001002001");
  EXPECT_EQ(r.spot, "cam-1/");
}

TEST_F(RegistryTest, ZoneWatchedSpotAndSharedSpotId) {
  Resolved r = reg.resolve(event("cam-1", "gate"), grid);
  EXPECT_EQ(r.cell_code, "110105001002002");
  EXPECT_EQ(r.spot, "market-gate");
}

TEST_F(RegistryTest, ConfigOverrideWins) {
  EXPECT_EQ(reg.resolve(event("cam-1", "pinned"), grid).cell_code, "110105001001002");
}

TEST_F(RegistryTest, UnknownCameraUsesTheEventLocation) {
  protocol::Event e = event("cam-x", "");
  LonLat g = wgs84_to_gcj02(at(18, 5));
  e.location = protocol::GeoPoint{g.lon, g.lat, protocol::Crs::kGcj02};
  Resolved r = reg.resolve(e, grid);
  EXPECT_EQ(r.cell_code, "110105001001001");
  EXPECT_EQ(r.spot, "");  // no fixed spot: merged by distance only
  e.location.reset();
  EXPECT_EQ(reg.resolve(e, grid).cell_code, "");
}

TEST(CameraRegistryConfig, ReadsCamerasAndRefusesUnknownKeys) {
  auto s = config::load_string(R"(
cameras:
  - id: cam-7
    device: edge-2
    watches: {lon: 116.42, lat: 39.91, crs: GCJ02}
    zones:
      - id: z1
        cell: "110105001002001"
)",
                               "cameras.yaml");
  CameraRegistry r = CameraRegistry::read(s);
  ASSERT_NE(r.find("cam-7"), nullptr);
  EXPECT_EQ(r.find("cam-7")->watches->crs, protocol::Crs::kGcj02);
  EXPECT_EQ(*r.find("cam-7")->zones.at(0).cell, "110105001002001");

  auto bad = config::load_string("cameras:\n  - id: c\n    colour: red\n", "cameras.yaml");
  try {
    CameraRegistry::read(bad);
    FAIL() << "accepted an unknown key";
  } catch (const config::Error& e) {
    EXPECT_NE(std::string(e.what()).find("cameras.yaml:3"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace gridsight::grid
