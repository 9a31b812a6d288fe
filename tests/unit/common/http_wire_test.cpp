// What the HTTP server makes of a request's target, header names and Range header
// (common/http/wire.h), without a socket.
#include <gtest/gtest.h>

#include "common/http/wire.h"

namespace gridsight::http {
namespace {

TEST(HttpWire, TargetSplitsIntoDecodedPathAndQuery) {
  Request r;
  split_target("/api/v1/cases%2Fx?state=filed&q=a+b%21&flag&bad=%ZZ&&state=closed", r);
  EXPECT_EQ(r.path, "/api/v1/cases/x");
  EXPECT_EQ(r.query.at("state"), "closed");  // the last one wins
  EXPECT_EQ(r.query.at("q"), "a b!");
  EXPECT_EQ(r.query.at("flag"), "");
  EXPECT_EQ(r.query.count("bad"), 0u);
  Request raw;
  split_target("/a%Zb", raw);  // a bad escape keeps the raw path
  EXPECT_EQ(raw.path, "/a%Zb");
}

TEST(HttpWire, HeaderNamesAreLowerCaseAndPathsMustBeAbsoluteWithoutDotDot) {
  Request r;
  add_header(r, "X-Request-ID", "AbC");
  EXPECT_EQ(r.header("x-request-id"), "AbC");
  EXPECT_TRUE(routable_path("/console/app.js"));
  EXPECT_FALSE(routable_path("console"));
  EXPECT_FALSE(routable_path(""));
  EXPECT_FALSE(routable_path("/console/../../etc/passwd"));
}

TEST(HttpWire, RangesLieWithinTheFile) {
  bool unsatisfiable = false;
  auto r = parse_range("bytes=10-19", 100, unsatisfiable);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first, 10u);
  EXPECT_EQ(r->last, 19u);
  r = parse_range("bytes=90-1000", 100, unsatisfiable);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->last, 99u);
  r = parse_range("bytes=-1000", 100, unsatisfiable);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first, 0u);
  EXPECT_FALSE(parse_range("bytes=100-", 100, unsatisfiable));
  EXPECT_TRUE(unsatisfiable);
  EXPECT_FALSE(parse_range("bytes=-5", 0, unsatisfiable));
  EXPECT_TRUE(unsatisfiable);
  for (const char* whole : {"bytes=5-2", "bytes=1-2,4-5", "items=1-2", "bytes=x-", "bytes=-0",
                            "bytes=99999999999999999999-"}) {
    EXPECT_FALSE(parse_range(whole, 100, unsatisfiable)) << whole;
    EXPECT_FALSE(unsatisfiable) << whole;
  }
}

}  // namespace
}  // namespace gridsight::http
