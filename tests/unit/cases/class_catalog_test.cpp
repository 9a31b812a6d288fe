#include "aggregator/cases/class_catalog.h"

#include <gtest/gtest.h>

#include "aggregator/cases/working_calendar.h"
#include "common/config/section.h"

namespace gridsight::cases {
namespace {

ClassCatalog read(const std::string& yaml) {
  auto s = config::load_string(yaml, "classes.yaml");
  return ClassCatalog::read(s);
}

const char* kYaml = R"(
defaults: {merge_window: 10m, review: true}
classes:
  - {code: "09009", name: 机动车乱停放, legacy_code: "5-05", department: traffic-police,
     limit_working_hours: 2, merge_window: 30m,
     areas: [{cell: "110105001", department: street-1-traffic},
             {cell: "110105001002", limit_working_hours: 1}]}
  - {code: "5-01", name: 无照经营游商, generation: cj2007, department: urban-management,
     limit_working_days: 1}
  - {code: "L0101", name: 烟火, generation: local, department: emergency, limit_working_hours: 1,
     review: false, self_correction: 0s}
mapping:
  - {type: parking.illegal, class: "09009"}
  - {type: vendor.mobile, class: "5-01"}
)";

TEST(ClassCatalog, ReadsBothGenerationsAndLocalClasses) {
  ClassCatalog c = read(kYaml);
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c.find("09009")->generation, Generation::kGb2026);
  EXPECT_EQ(c.find("09009")->legacy_code, "5-05");
  EXPECT_EQ(c.find("09009")->merge_window_ms, 30 * 60'000);
  EXPECT_EQ(c.find("5-01")->generation, Generation::kCj2007);
  EXPECT_EQ(c.find("5-01")->merge_window_ms, 10 * 60'000);  // the default
  EXPECT_EQ(c.find("L0101")->generation, Generation::kLocal);
  EXPECT_FALSE(c.find("L0101")->review);
  EXPECT_EQ(c.for_edge_type("parking.illegal")->code, "09009");
  EXPECT_EQ(c.for_edge_type("vendor.mobile")->code, "5-01");
  EXPECT_EQ(c.for_edge_type("nothing.known"), nullptr);
}

TEST(ClassCatalog, RoutesPerAreaWithTheLongestPrefix) {
  ClassCatalog c = read(kYaml);
  const EventClass& parking = *c.find("09009");
  Route elsewhere = c.route(parking, "110105002001001");
  EXPECT_EQ(elsewhere.department, "traffic-police");
  EXPECT_EQ(elsewhere.limit, (TimeLimit{2, TimeLimit::Unit::kWorkingHours}));
  Route street = c.route(parking, "110105001001003");
  EXPECT_EQ(street.department, "street-1-traffic");
  EXPECT_EQ(street.limit.amount, 2);
  Route community = c.route(parking, "110105001002004");
  EXPECT_EQ(community.department, "street-1-traffic");  // inherited from the street rule
  EXPECT_EQ(community.limit.amount, 1);
}

TEST(ClassCatalog, LimitsInWorkingHoursOrDays) {
  ClassCatalog c = read(kYaml);
  WorkingCalendar cal;  // 7 working hours a day
  EXPECT_EQ(c.find("09009")->limit.minutes(cal), 120);
  EXPECT_EQ(c.find("5-01")->limit.minutes(cal), 420);
  EXPECT_EQ(c.find("5-01")->limit.str(), "1 working days");
}

// Departments by name; a class found by its other generation's code.
TEST(ClassCatalog, DepartmentNamesAndBothCodes) {
  ClassCatalog c = read(
      "departments:\n"
      "  - {id: traffic-police, name: 交警大队, english: Traffic police}\n"
      "  - {id: street-1-traffic, name: 一街交通}\n"
      "classes:\n"
      "  - {code: \"09009\", name: 机动车乱停放, legacy_code: \"5-05\", department: traffic-police,"
      " limit_working_hours: 2}\n");
  ASSERT_NE(c.department("traffic-police"), nullptr);
  EXPECT_EQ(c.department("traffic-police")->name, "交警大队");
  EXPECT_EQ(c.department("traffic-police")->english, "Traffic police");
  EXPECT_EQ(c.department("street-1-traffic")->english, "");
  EXPECT_EQ(c.department("nobody"), nullptr);
  EXPECT_EQ(c.find_any_generation("5-05")->code, "09009");
  EXPECT_EQ(c.find_any_generation("09009")->code, "09009");
  EXPECT_EQ(c.find_any_generation("5-99"), nullptr);
  // Without a departments list any department goes (as before).
  EXPECT_TRUE(read(kYaml).departments().empty());
}

TEST(ClassCatalog, RefusesBadConfigWithItsLocation) {
  auto expect_error = [](const std::string& yaml, const std::string& fragment) {
    try {
      read(yaml);
      ADD_FAILURE() << "accepted: " << yaml;
    } catch (const config::Error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expect_error("classes:\n  - {code: a, name: b, department: d}\n", "limit_working");
  expect_error(
      "classes:\n  - {code: a, name: b, department: d, limit_working_hours: 1,"
      " limit_working_days: 1}\n",
      "not both");
  expect_error("classes:\n  - {code: a, name: b, department: d, limit_working_hours: 1, x: 1}\n",
               "classes.yaml:2");
  expect_error("mapping:\n  - {type: t, class: \"nope\"}\n", "no class");
  expect_error(
      "classes:\n  - {code: a, name: b, department: d, limit_working_hours: 1}\n"
      "  - {code: a, name: c, department: d, limit_working_hours: 1}\n",
      "twice");
  // With a departments list, a class's department must be in it (a typo is caught).
  expect_error(
      "departments:\n  - {id: sanitation, name: 环卫所}\n"
      "classes:\n  - {code: a, name: b, department: sanitaton, limit_working_hours: 1}\n",
      "classes.yaml:4");
  expect_error("departments:\n  - {id: s, name: a}\n  - {id: s, name: b}\n", "twice");
  expect_error("departments:\n  - {id: s}\n", "name");
}

}  // namespace
}  // namespace gridsight::cases
