#include "aggregator/grid/grid_model.h"

#include <gtest/gtest.h>

#include "tests/unit/grid/grid_fixture.h"

namespace gridsight::grid {
namespace {
using testing::at;

class GridModelTest : public ::testing::Test {
 protected:
  GridModel grid = GridModel::from_geojson(testing::collection(testing::district_features()), {},
                                           "district.geojson");
  std::string code_at(double x, double y) {
    Placement p = grid.locate(at(x, y));
    return p ? p.cell->code : "";
  }
};

TEST_F(GridModelTest, LoadsTheHierarchy) {
  EXPECT_EQ(grid.size(), 10u);
  const Cell* g = grid.find("110105001002001");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->level, Level::kBaseGrid);
  EXPECT_EQ(g->name, "B grid 1");
  EXPECT_EQ(g->feature_id, "gB1");
  EXPECT_EQ(grid.parent(*g)->code, "110105001002");
  EXPECT_EQ(grid.ancestor(*g, Level::kStreet)->code, "110105001");
  EXPECT_EQ(grid.ancestor(*g, Level::kDistrict)->code, "110105");
  EXPECT_EQ(grid.children(*grid.find("110105001002")).size(), 3u);  // two grids + the school
  EXPECT_TRUE(grid.find("110105001002901")->dedicated);
  EXPECT_EQ(grid.find("110105001001001001")->level, Level::kFine1);
  EXPECT_TRUE(GridModel::in_subtree("110105001002001", "110105001"));
  EXPECT_FALSE(GridModel::in_subtree("110105001002001", "110105002"));
  // Area of a 0.02 x 0.02 degree square near 39.9 N: 2.23 km x 1.71 km, about 3.8 km2.
  EXPECT_NEAR(grid.find("110105001001001")->area_m2, 3.8e6, 0.05e6);
}

TEST_F(GridModelTest, InteriorPointsFindTheirBaseGrid) {
  EXPECT_EQ(code_at(15, 5), "110105001001001");
  EXPECT_EQ(code_at(5, 30), "110105001001002");
  EXPECT_EQ(code_at(35, 5), "110105001002001");
  EXPECT_EQ(code_at(25, 35), "110105001002002");
}

TEST_F(GridModelTest, SharedEdgesAndVerticesGoToTheSmallerCode) {
  EXPECT_EQ(code_at(20, 5), "110105001001001");     // edge A1 | B1
  EXPECT_EQ(code_at(10.5, 20), "110105001001001");  // edge A1 | A2
  EXPECT_EQ(code_at(30, 20), "110105001002001");    // edge B1 | B2
  EXPECT_EQ(code_at(20, 20), "110105001001001");    // vertex shared by four grids
  // Every point on the edge belongs to exactly one base grid, also where the coordinate
  // is not exactly representable.
  for (int i = 1; i < 40; ++i) {
    Placement p = grid.locate(at(20, i * 0.5 + 0.013));
    ASSERT_TRUE(p.base_grid) << i;
  }
}

TEST_F(GridModelTest, EnclaveInsideAHoleBelongsToItsOwner) {
  // The enclave of community A inside community B: B grid 1 has a hole there.
  EXPECT_EQ(code_at(27, 12), "110105001001002");
  EXPECT_EQ(grid.locate(at(27, 12)).base_grid->code, "110105001001002");
  EXPECT_EQ(code_at(24, 12), "110105001002001");  // just outside the hole
  EXPECT_EQ(code_at(25, 12), "110105001001002");  // on the hole's edge: smaller code
}

TEST_F(GridModelTest, DedicatedGridOwnsItsPointsAndKeepsTheBaseGrid) {
  Placement p = grid.locate(at(35, 25));
  ASSERT_TRUE(p);
  EXPECT_EQ(p.cell->code, "110105001002901");
  EXPECT_EQ(p.dedicated->code, "110105001002901");
  EXPECT_EQ(p.base_grid->code, "110105001002002");
  EXPECT_EQ(code_at(39, 39), "110105001002002");
}

TEST_F(GridModelTest, FinerLevelIsTheCellWhenItCoversThePoint) {
  Placement p = grid.locate(at(5, 5));
  EXPECT_EQ(p.cell->code, "110105001001001001");
  EXPECT_EQ(p.base_grid->code, "110105001001001");
  EXPECT_EQ(code_at(15, 15), "110105001001001");
}

TEST_F(GridModelTest, OutsideTheDistrictIsNowhere) {
  EXPECT_FALSE(grid.locate(at(-1, 5)));
  EXPECT_FALSE(grid.locate(at(41, 41)));
}

TEST(GridModel, PointInNoBaseGridGoesToTheTerritorialOwner) {
  std::vector<testing::Feat> f = {
      {"d", "110105", "D", {{testing::rect(0, 0, 10, 10)}}},
      {"s", "110105001", "S", {{testing::rect(0, 0, 10, 10)}}},
  };
  GridModel g = GridModel::from_geojson(testing::collection(f), {}, "x");
  Placement p = g.locate(at(5, 5));
  ASSERT_TRUE(p);
  EXPECT_EQ(p.cell->code, "110105001");
  EXPECT_EQ(p.base_grid, nullptr);
}

TEST(GridModel, Gcj02FileIsConvertedOnLoad) {
  // The same district with its coordinates given in GCJ-02: lookups in WGS-84 still land in
  // the right grid, near an edge where the offset (~500 m) would move them to the next one.
  GridModel g = GridModel::from_geojson(testing::collection(testing::district_features(), "GCJ02"),
                                        {}, "gcj.geojson");
  EXPECT_EQ(g.locate(at(19.8, 5)).cell->code, "110105001001001");
  EXPECT_EQ(g.locate(at(20.2, 5)).cell->code, "110105001002001");
}

TEST(GridModel, CameraGivenInGcj02LandsInTheRightCell) {
  GridModel g = GridModel::from_geojson(testing::collection(testing::district_features()), {},
                                        "district.geojson");
  LonLat wgs = at(18, 5);  // A grid 1, 2 units (~170 m) west of B grid 1
  LonLat gcj = wgs84_to_gcj02(wgs);
  // Read naively as WGS-84, the GCJ-02 coordinates point into the neighbouring grid.
  ASSERT_EQ(g.locate(gcj).cell->code, "110105001002001");
  LonLat internal = to_internal(protocol::GeoPoint{gcj.lon, gcj.lat, protocol::Crs::kGcj02});
  EXPECT_EQ(g.locate(internal).cell->code, "110105001001001");
}

}  // namespace
}  // namespace gridsight::grid
