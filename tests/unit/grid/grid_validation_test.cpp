#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "aggregator/grid/grid_model.h"
#include "tests/unit/grid/grid_fixture.h"

namespace gridsight::grid {
namespace {
using testing::Feat;
using testing::rect;

std::vector<Feat> base() {
  return testing::district_features();
}

Feat& by_id(std::vector<Feat>& f, const std::string& id) {
  for (auto& x : f) {
    if (x.id == id) return x;
  }
  throw std::logic_error("no feature " + id);
}

GridLoadError load_error(const std::string& text, GridOptions opt = {}) {
  try {
    GridModel::from_geojson(text, opt, "broken.geojson");
  } catch (const GridLoadError& e) {
    return e;
  }
  ADD_FAILURE() << "loaded without error";
  return GridLoadError("none", {});
}

GridLoadError load_error(const std::vector<Feat>& f, GridOptions opt = {}) {
  return load_error(testing::collection(f), opt);
}

TEST(GridValidation, TheFixtureIsValid) {
  EXPECT_NO_THROW(GridModel::from_geojson(testing::collection(base()), {}, "ok"));
}

// properties.level as a number or as the name the API gives (GET /api/v1/grid/cells).
TEST(GridValidation, LevelsByNumberOrName) {
  auto doc = nlohmann::json::parse(testing::collection(base()));
  for (auto& f : doc["features"]) {
    const std::string code = f["properties"]["code"];
    const auto level = static_cast<Level>((code.size() - 3) / 3);
    f["properties"]["level"] = f["id"] == "gA1" ? nlohmann::json(static_cast<int>(level))
                                                : nlohmann::json(to_string(level));
  }
  GridModel g = GridModel::from_geojson(doc.dump(), {}, "named.geojson");
  EXPECT_EQ(g.find("110105001")->level, Level::kStreet);
  EXPECT_EQ(g.find("110105001001001")->level, Level::kBaseGrid);
  EXPECT_EQ(g.find("110105001001001001")->level, Level::kFine1);
  // A name that disagrees with the code's length, and an unknown name, are refused.
  for (const char* wrong : {"community", "borough"}) {
    for (auto& f : doc["features"]) {
      if (f["id"] == "s1") f["properties"]["level"] = wrong;
    }
    auto e = load_error(doc.dump());
    EXPECT_TRUE(e.has(wrong[0] == 'c' ? ProblemKind::kBadCode : ProblemKind::kBadFeature, "s1"))
        << e.what();
  }
}

TEST(GridValidation, UnclosedRing) {
  auto f = base();
  by_id(f, "gB2").polygons[0][0].pop_back();
  auto e = load_error(f);
  EXPECT_TRUE(e.has(ProblemKind::kRingNotClosed, "gB2")) << e.what();
}

TEST(GridValidation, RingTooShort) {
  auto f = base();
  by_id(f, "gB2").polygons[0][0] = {{20, 20}, {40, 20}, {20, 20}};
  auto e = load_error(f);
  EXPECT_TRUE(e.has(ProblemKind::kRingTooShort, "gB2")) << e.what();
}

TEST(GridValidation, BowTie) {
  auto f = base();
  by_id(f, "fA1").polygons[0][0] = {{0, 0}, {10, 10}, {10, 0}, {0, 10}, {0, 0}};
  auto e = load_error(f);
  EXPECT_TRUE(e.has(ProblemKind::kSelfIntersection, "fA1")) << e.what();
}

TEST(GridValidation, HoleOutsideItsShell) {
  auto f = base();
  by_id(f, "fA1").polygons[0].push_back(rect(12, 12, 14, 14));
  auto e = load_error(f);
  EXPECT_TRUE(e.has(ProblemKind::kInvalidGeometry, "fA1")) << e.what();
}

TEST(GridValidation, OverlappingBaseGrids) {
  auto f = base();
  by_id(f, "gA1").polygons[0][0] = rect(0, 0, 20, 22);  // reaches 2 units into A grid 2
  auto e = load_error(f);
  EXPECT_TRUE(e.has(ProblemKind::kOverlap, "gA2")) << e.what();
  EXPECT_FALSE(e.has(ProblemKind::kGap)) << e.what();
}

TEST(GridValidation, GapBetweenBaseGrids) {
  auto f = base();
  by_id(f, "gA1").polygons[0][0] = rect(0, 0, 20, 19);  // a strip of A is in no grid
  auto e = load_error(f);
  EXPECT_TRUE(e.has(ProblemKind::kGap, "cA")) << e.what();
  EXPECT_EQ(e.problems().size(), 1u) << e.what();
}

TEST(GridValidation, SliversBelowTheToleranceAreAccepted) {
  auto f = base();
  // A gap of 0.00001 deg x 0.02 deg: about 17 m2.
  by_id(f, "gA1").polygons[0][0] = rect(0, 0, 20, 19.99999);
  by_id(f, "fA1").polygons[0][0] = rect(0, 0, 10, 10);
  GridOptions loose;
  loose.sliver_tolerance_m2 = 50;
  EXPECT_NO_THROW(GridModel::from_geojson(testing::collection(f), loose, "x"));
  auto e = load_error(f);  // default tolerance 1 m2
  EXPECT_TRUE(e.has(ProblemKind::kGap, "cA")) << e.what();
}

TEST(GridValidation, ChildOutsideParent) {
  auto f = base();
  by_id(f, "fA1").polygons[0][0] = rect(15, 0, 25, 10);  // crosses into B grid 1
  auto e = load_error(f);
  EXPECT_TRUE(e.has(ProblemKind::kOutsideParent, "fA1")) << e.what();
}

TEST(GridValidation, BadCodes) {
  auto f = base();
  by_id(f, "gA1").code = "11010500100100X";
  by_id(f, "fA1").code = "1101050010010010011";  // 19 digits
  auto e = load_error(f);
  EXPECT_TRUE(e.has(ProblemKind::kBadCode, "gA1")) << e.what();
  EXPECT_TRUE(e.has(ProblemKind::kBadCode, "fA1")) << e.what();
}

TEST(GridValidation, DuplicateCode) {
  auto f = base();
  by_id(f, "gB2").code = "110105001002001";
  auto e = load_error(f);
  EXPECT_TRUE(e.has(ProblemKind::kDuplicateCode, "gB2")) << e.what();
}

TEST(GridValidation, CodeNotPrefixedByAParent) {
  auto f = base();
  by_id(f, "gB2").code = "110105001003002";  // community 003 does not exist
  auto e = load_error(f);
  EXPECT_TRUE(e.has(ProblemKind::kMissingParent, "gB2")) << e.what();
}

TEST(GridValidation, EveryProblemIsReportedAtOnce) {
  auto f = base();
  by_id(f, "gB2").polygons[0][0].pop_back();
  by_id(f, "fA1").polygons[0][0] = {{0, 0}, {10, 10}, {10, 0}, {0, 10}, {0, 0}};
  by_id(f, "school").code = "110105001002";
  auto e = load_error(f);
  EXPECT_TRUE(e.has(ProblemKind::kRingNotClosed, "gB2"));
  EXPECT_TRUE(e.has(ProblemKind::kSelfIntersection, "fA1"));
  EXPECT_TRUE(e.has(ProblemKind::kBadCode, "school"));
  EXPECT_NE(std::string(e.what()).find("feature gB2"), std::string::npos) << e.what();
}

TEST(GridValidation, NotGeoJson) {
  EXPECT_TRUE(load_error(std::string("{nope")).has(ProblemKind::kSyntax));
  EXPECT_TRUE(load_error(std::string(R"({"type":"FeatureCollection","features":[]})"))
                  .has(ProblemKind::kSyntax));  // no coordinate_system
  auto e = load_error(
      std::string(R"({"type":"FeatureCollection","coordinate_system":"WGS84","features":[)"
                  R"({"type":"Feature","id":"p","properties":{"code":"110105","name":"x"},)"
                  R"("geometry":{"type":"Point","coordinates":[1,2]}}]})"));
  EXPECT_TRUE(e.has(ProblemKind::kBadFeature, "p")) << e.what();
}

}  // namespace
}  // namespace gridsight::grid
