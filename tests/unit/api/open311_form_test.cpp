// Open311 request bodies, locations and dates (aggregator/api/open311_form.h): what the
// POST /open311/v2/requests.json handler accepts and refuses before a case is made.
#include "aggregator/api/open311_form.h"

#include <gtest/gtest.h>

namespace gridsight::api {
namespace {

TEST(Open311Form, FormAndJsonBodiesGiveTheSameFields) {
  const auto form = parse_open311_body(
      "application/x-www-form-urlencoded",
      "api_key=t&service_code=06010&lat=39.9042&long=116.4074&description=Full+bin%21");
  ASSERT_EQ(form.error, "");
  const auto json =
      parse_open311_body("application/json; charset=utf-8",
                         R"({"api_key":"t","service_code":"06010","lat":39.9042,"long":116.4074,)"
                         R"("description":"Full bin!"})");
  ASSERT_EQ(json.error, "");
  EXPECT_EQ(form.fields, json.fields);
  EXPECT_EQ(form.fields.at("description"), "Full bin!");
}

TEST(Open311Form, RefusesUnknownFieldsAndBodiesThatAreNotObjects) {
  EXPECT_EQ(parse_open311_body("application/x-www-form-urlencoded", "lat=1&colour=red").error,
            "unknown field colour");
  EXPECT_EQ(parse_open311_body("application/x-www-form-urlencoded", "attribute[size]=2").error, "");
  EXPECT_EQ(parse_open311_body("application/json", "[1,2]").error, "the body is not a JSON object");
  EXPECT_EQ(parse_open311_body("application/json", R"({"lat":[1]})").error,
            "field lat must be a string or a number");
}

TEST(Open311Form, LocationIsFiniteAndOnTheGlobe) {
  const auto at = open311_location("39.9042", "116.4074");
  ASSERT_TRUE(at);
  EXPECT_DOUBLE_EQ(at->lat, 39.9042);
  EXPECT_DOUBLE_EQ(at->lon, 116.4074);  // not rounded to 6 decimals on the way
  EXPECT_EQ(at->crs, protocol::Crs::kWgs84);
  EXPECT_TRUE(open311_location("-90", "180"));
  // "nan" passed both range comparisons and became a case at NaN, NaN.
  EXPECT_FALSE(open311_location("nan", "116.4"));
  EXPECT_FALSE(open311_location("39.9", "NAN"));
  EXPECT_FALSE(open311_location("inf", "0"));
  EXPECT_FALSE(open311_location("1e400", "0"));
  EXPECT_FALSE(open311_location("90.0001", "0"));
  EXPECT_FALSE(open311_location("39.9 north", "116.4"));
  EXPECT_FALSE(open311_location("", "116.4"));
}

TEST(Open311Form, Iso8601DatesWithZonesAndFractions) {
  EXPECT_EQ(parse_iso8601("2026-11-24"), 1'795'478'400'000);
  EXPECT_EQ(parse_iso8601("2026-11-24T10:00:00Z"), 1'795'514'400'000);
  EXPECT_EQ(parse_iso8601("2026-11-24T10:00:00.250+08:00"), 1'795'485'600'000);
  EXPECT_EQ(parse_iso8601("2026-11-24T10:00:00-01:30"), 1'795'519'800'000);
  EXPECT_FALSE(parse_iso8601("2026-13-01"));
  EXPECT_FALSE(parse_iso8601("2026-11-24T-1:00:00Z"));
  EXPECT_FALSE(parse_iso8601("2026-11-24T10:00:00+8"));
  EXPECT_FALSE(parse_iso8601("yesterday"));
}

}  // namespace
}  // namespace gridsight::api
