// Typed config: defaults, bounds, units, unknown keys refused, errors naming file:line:key.
#include <gtest/gtest.h>

#include "common/config/section.h"

namespace gridsight::config {
namespace {

std::string error_of(const std::string& yaml, void (*read)(Section&)) {
  try {
    auto root = load_string(yaml, "edge.yaml");
    read(root);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ConfigSection, DefaultsWhenAbsent) {
  auto root = load_string("{}", "x.yaml");
  EXPECT_EQ(root.integer("n", 7, 0, 10), 7);
  EXPECT_EQ(root.string("s", "d"), "d");
  EXPECT_EQ(root.duration_ms("t", 1500, 0, 10'000), 1500);
  auto sub = root.section("missing");
  EXPECT_TRUE(sub.boolean("b", true));
  sub.finish();
  root.finish();
}

TEST(ConfigSection, ReadsValuesAndUnits) {
  auto root = load_string(
      "a: 5\nb: true\nt1: 250ms\nt2: 10m\nt3: 3\nsize: 20MiB\nlist: [1.5, 2]\n"
      "sub:\n  name: cam\n",
      "x.yaml");
  EXPECT_EQ(root.integer("a", 0, 0, 10), 5);
  EXPECT_TRUE(root.boolean("b", false));
  EXPECT_EQ(root.duration_ms("t1", 0, 0, 1'000'000), 250);
  EXPECT_EQ(root.duration_ms("t2", 0, 0, 1'000'000), 600'000);
  EXPECT_EQ(root.duration_ms("t3", 0, 0, 1'000'000), 3000);
  EXPECT_EQ(root.bytes("size", 0, 0, 1ULL << 40), 20ULL * 1024 * 1024);
  EXPECT_EQ(root.numbers("list"), (std::vector<double>{1.5, 2}));
  auto sub = root.section("sub");
  EXPECT_EQ(sub.required_string("name"), "cam");
  sub.finish();
  root.finish();
}

TEST(ConfigSection, OutOfBoundsNamesFileLineAndKey) {
  auto msg = error_of("outbox:\n  max_events: -1\n", [](Section& r) {
    auto o = r.section("outbox");
    o.integer("max_events", 10, 1, 100);
  });
  EXPECT_NE(msg.find("edge.yaml:2:3: outbox.max_events: must be between 1 and 100"), std::string::npos)
      << msg;
}

TEST(ConfigSection, UnknownKeyIsRefused) {
  auto msg = error_of("outbox:\n  max_events: 5\n  max_evnets: 6\n", [](Section& r) {
    auto o = r.section("outbox");
    o.integer("max_events", 10, 1, 100);
    o.finish();
  });
  EXPECT_NE(msg.find("edge.yaml:3:3: outbox.max_evnets: unknown key"), std::string::npos) << msg;
}

TEST(ConfigSection, WrongTypesAndMissingRequired) {
  EXPECT_NE(error_of("a: [1]\n", [](Section& r) { r.integer("a", 0, 0, 9); })
                .find("a: must be a single value"),
            std::string::npos);
  EXPECT_NE(error_of("a: yes please\n", [](Section& r) { r.boolean("a", false); })
                .find("must be true or false"),
            std::string::npos);
  EXPECT_NE(error_of("t: 5 parsecs\n", [](Section& r) { r.duration_ms("t", 0, 0, 9); })
                .find("must be a duration"),
            std::string::npos);
  EXPECT_NE(error_of("cams:\n  - name: x\n", [](Section& r) {
              for (auto& c : r.list("cams")) c.required_string("id");
            }).find("cams[0].id: is required"),
            std::string::npos);
  EXPECT_NE(error_of("m: {crs: BD09}\n", [](Section& r) {
              auto m = r.section("m");
              m.choice("crs", "WGS84", {"WGS84", "GCJ02"});
            }).find("must be one of WGS84, GCJ02"),
            std::string::npos);
}

TEST(ConfigSection, SyntaxErrorNamesTheLine) {
  try {
    load_string("a: 1\nb: [unclosed\n", "bad.yaml");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.yaml:"), std::string::npos) << e.what();
  }
}

TEST(ConfigSection, MissingFileIsAClearError) {
  try {
    load_file("/nonexistent/gridsight.yaml");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot open"), std::string::npos);
  }
}

}  // namespace
}  // namespace gridsight::config
