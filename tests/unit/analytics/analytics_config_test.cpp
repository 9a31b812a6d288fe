#include "edge/analytics/config/analytics_config.h"

#include <gtest/gtest.h>

#include "common/config/section.h"

namespace gridsight::analytics {
namespace {

AnalyticsConfig parse(const std::string& yaml) {
  auto s = config::load_string(yaml, "cam.yaml");
  return AnalyticsConfig::read(s);
}

std::string error_of(const std::string& yaml) {
  try {
    parse(yaml);
  } catch (const config::Error& e) {
    return e.what();
  }
  return "";
}

const char* kFull = R"yaml(
ptz: true
utc_offset: "+08:00"
zones:
  - id: lawn
    polygon: [0.0, 0.5, 1.0, 0.5, 1.0, 1.0, 0.0, 1.0]
    location: {lon: 120.1, lat: 30.2, crs: GCJ02}
  - id: door
    polygon: [0.1, 0.1, 0.2, 0.1, 0.2, 0.3]
lines:
  - id: gate
    from: [0.5, 0.0]
    to: [0.5, 1.0]
    direction: right_to_left
masks:
  - id: clock
    polygon: [0.0, 0.0, 0.3, 0.0, 0.3, 0.05, 0.0, 0.05]
schedules:
  - id: night
    windows:
      - {days: [mon, tue, wed, thu, fri], from: "22:00", to: "06:00"}
motion: {threshold: 20, learning_time: 3s, shadow_uniformity: 0.2}
tamper: {defocus_ratio: 0.5, signal_gap: 5s}
rules:
  - id: lawn-night
    detector: motion
    zones: [lawn, door]
    schedule: night
    min_area: 0.01
    min_duration: 3s
    end_hold: 4s
    cooldown: 10m
    update_interval: 30s
  - id: gate
    detector: line_crossing
    type: gate.crossing
    lines: [gate]
  - id: tamper
    detector: tamper
    covered: {min_duration: 20s}
    defocused: {enabled: false}
)yaml";

TEST(AnalyticsConfig, ReadsEveryKey) {
  auto c = parse(kFull);
  EXPECT_TRUE(c.ptz);
  EXPECT_EQ(c.utc_offset_min, 480);
  ASSERT_EQ(c.zones.size(), 2u);
  EXPECT_EQ(c.zones[0].polygon.size(), 4u);
  ASSERT_TRUE(c.zones[0].location);
  EXPECT_EQ(c.zones[0].location->crs, protocol::Crs::kGcj02);
  EXPECT_FALSE(c.zones[1].location);
  ASSERT_EQ(c.lines.size(), 1u);
  EXPECT_EQ(c.lines[0].direction, Direction::kRightToLeft);
  EXPECT_EQ(c.lines[0].to, (Point{0.5, 1.0}));
  ASSERT_EQ(c.masks.size(), 1u);
  ASSERT_EQ(c.schedules.size(), 1u);
  EXPECT_EQ(c.schedules[0].windows[0].days, 0x1f);
  EXPECT_EQ(c.schedules[0].windows[0].from_min, 22 * 60);
  EXPECT_EQ(c.motion.threshold, 20);
  EXPECT_EQ(c.motion.learn_ms, 3000);
  EXPECT_EQ(c.motion.shadow_uniformity, 0.2);
  EXPECT_EQ(c.tamper.signal_gap_ms, 5000);
  ASSERT_EQ(c.rules.size(), 3u);
  const Rule& r = c.rules[0];
  EXPECT_EQ(r.detector, DetectorKind::kMotion);
  EXPECT_EQ(r.type, "zone.intrusion");
  EXPECT_EQ(r.zones, (std::vector<std::string>{"lawn", "door"}));
  EXPECT_EQ(r.min_duration_ms, 3000);
  EXPECT_EQ(r.end_hold_ms, 4000);
  EXPECT_EQ(r.cooldown_ms, 600'000);
  EXPECT_EQ(r.update_interval_ms, 30'000);
  EXPECT_EQ(c.rules[1].type, "gate.crossing");
  EXPECT_EQ(c.rules[1].cooldown_ms, 0);
  const Rule& t = c.rules[2];
  EXPECT_EQ(t.subtypes[static_cast<int>(TamperSubtype::kCovered)].min_duration_ms, 20'000);
  EXPECT_FALSE(t.subtypes[static_cast<int>(TamperSubtype::kDefocused)].enabled);
  EXPECT_EQ(t.subtypes[static_cast<int>(TamperSubtype::kTurned)].min_duration_ms, 10'000);
}

TEST(AnalyticsConfig, EmptyMeansNothingToDo) {
  auto c = parse("{}");
  EXPECT_TRUE(c.enabled);
  EXPECT_TRUE(c.rules.empty());
}

TEST(AnalyticsConfig, ErrorsNameFileLineAndKey) {
  auto e = error_of("zones:\n  - id: a\n    polygon: [0.1, 0.1, 0.2]\n");
  EXPECT_NE(e.find("cam.yaml:3:"), std::string::npos) << e;
  EXPECT_NE(e.find("zones[0].polygon"), std::string::npos) << e;

  e = error_of("zones:\n  - id: a\n    polygon: [0.1, 0.1, 0.2, 0.1, 1.5, 0.3]\n");
  EXPECT_NE(e.find("within 0..1"), std::string::npos) << e;

  e = error_of("rules:\n  - id: r\n    detector: motion\n    zones: [nowhere]\n");
  EXPECT_NE(e.find("cam.yaml:4:"), std::string::npos) << e;
  EXPECT_NE(e.find("rules[0].zones"), std::string::npos) << e;
  EXPECT_NE(e.find("nowhere"), std::string::npos) << e;

  e = error_of("rules:\n  - id: r\n    detector: motion\n    threshhold: 3\n");
  EXPECT_NE(e.find("rules[0].threshhold: unknown key"), std::string::npos) << e;

  e = error_of("rules:\n  - id: r\n    detector: radar\n");
  EXPECT_NE(e.find("rules[0].detector"), std::string::npos) << e;

  e = error_of("rules:\n  - id: r\n    detector: line_crossing\n");
  EXPECT_NE(e.find("needs configured lines"), std::string::npos) << e;

  e = error_of("lines:\n  - id: l\n    from: [0.1, 0.1]\n    to: [0.9, 0.9]\n    direction: up\n");
  EXPECT_NE(e.find("lines[0].direction"), std::string::npos) << e;

  e = error_of("schedules:\n  - id: s\n    windows:\n      - {from: \"25:00\"}\n");
  EXPECT_NE(e.find("windows[0].from"), std::string::npos) << e;

  e = error_of(
      "zones:\n  - {id: a, polygon: [0, 0, 1, 0, 1, 1]}\n  - {id: a, polygon: [0, 0, 1, "
      "0, 1, 1]}\n");
  EXPECT_NE(e.find("duplicate zone id"), std::string::npos) << e;

  e = error_of("rules:\n  - {id: t, detector: tamper, covered: {min_duration: 1x}}\n");
  EXPECT_NE(e.find("rules[0].covered.min_duration"), std::string::npos) << e;

  e = error_of("rules:\n  - {id: m, detector: motion, covered: {min_duration: 1s}}\n");
  EXPECT_NE(e.find("rules[0].covered: unknown key"), std::string::npos) << e;
}

// A key that would have no effect where it is written is refused, naming file:line:key.
TEST(AnalyticsConfig, RefusesKeysThatWouldNotApplyWhereWritten) {
  struct Case {
    const char* yaml;
    const char* where;  // file:line: and key path
    const char* why;
  };
  const Case cases[] = {
      {"lines: [{id: l, from: [0, 0], to: [1, 1]}]\nrules:\n  - id: x\n    detector: "
       "line_crossing\n    min_duration: 2s\n",
       "cam.yaml:5:5: rules[0].min_duration", "instant event"},
      {"lines: [{id: l, from: [0, 0], to: [1, 1]}]\nrules:\n  - id: x\n    detector: "
       "line_crossing\n    end_hold: 2s\n",
       "cam.yaml:5:5: rules[0].end_hold", "instant event"},
      {"lines: [{id: l, from: [0, 0], to: [1, 1]}]\nrules:\n  - id: x\n    detector: "
       "line_crossing\n    update_interval: 2s\n",
       "cam.yaml:5:5: rules[0].update_interval", "instant event"},
      {"rules:\n  - id: t\n    detector: tamper\n    off_preset: {min_duration: 5s}\n",
       "cam.yaml:4:5: rules[0].off_preset", "PTZ"},
      {"ptz: true\nrules:\n  - id: t\n    detector: tamper\n    turned: {min_duration: 5s}\n",
       "cam.yaml:5:5: rules[0].turned", "off_preset"},
      {"ptz: true\nrules:\n  - {id: m, detector: motion}\n", "cam.yaml:1:1: ptz", "tamper rule"},
      {"tamper: {learning_time: 3s}\nrules:\n  - {id: m, detector: motion}\n",
       "cam.yaml:1:1: tamper", "tamper rule"},
      {"objects: {backend: hog}\nrules:\n  - {id: m, detector: motion}\n", "cam.yaml:1:1: objects",
       "object rules"},
      {"utc_offset: \"+08:00\"\nrules:\n  - {id: m, detector: motion}\n",
       "cam.yaml:1:1: utc_offset", "schedule"},
      {"motion: {threshold: 20}\nrules:\n  - {id: t, detector: tamper}\n",
       "cam.yaml:1:10: motion.threshold", "only a tamper rule"},
      // Keys of another detector are unknown to this one.
      {"rules:\n  - {id: t, detector: tamper, min_area: 0.1}\n", "rules[0].min_area",
       "unknown key"},
      {"rules:\n  - {id: t, detector: tamper, zones: [a]}\n", "rules[0].zones", "unknown key"},
      {"rules:\n  - {id: m, detector: motion, near: 0.1}\n", "rules[0].near", "unknown key"},
      {"rules:\n  - {id: m, detector: motion, dwell: 10s}\n", "rules[0].dwell", "unknown key"},
      {"rules:\n  - {id: l, detector: loitering, min_area: 0.1}\n", "rules[0].min_area",
       "unknown key"},
      {"rules:\n  - {id: l, detector: loitering, near: 0.1}\n", "rules[0].near", "unknown key"},
      {"rules:\n  - {id: l, detector: parking, min_count: 2}\n", "rules[0].min_count",
       "unknown key"},
      {"rules:\n  - {id: l, detector: left_object, objects: [vehicle]}\n", "rules[0].objects",
       "unknown key"},
  };
  for (const auto& c : cases) {
    const auto e = error_of(c.yaml);
    EXPECT_NE(e.find(c.where), std::string::npos) << c.yaml << "\n-> " << e;
    EXPECT_NE(e.find(c.why), std::string::npos) << c.yaml << "\n-> " << e;
  }
  // Disabled analytics keep their settings without complaint (switched off on purpose).
  EXPECT_NO_THROW(parse("enabled: false\ntamper: {learning_time: 3s}\n"));
}

TEST(AnalyticsConfig, TamperRuleMinDurationAppliesToEverySubtype) {
  auto c = parse(
      "rules:\n  - {id: t, detector: tamper, min_duration: 3s, defocused: {min_duration: 40s}}\n");
  const Rule& t = c.rules[0];
  auto at = [&](TamperSubtype s) { return t.subtypes[static_cast<int>(s)].min_duration_ms; };
  EXPECT_EQ(at(TamperSubtype::kCovered), 3'000);
  EXPECT_EQ(at(TamperSubtype::kTurned), 3'000);
  EXPECT_EQ(at(TamperSubtype::kSignalLost), 3'000);
  EXPECT_EQ(at(TamperSubtype::kDefocused), 40'000);  // its own wins
  // Without it, the per-subtype defaults.
  auto d = parse("rules:\n  - {id: t, detector: tamper}\n").rules[0];
  EXPECT_EQ(d.subtypes[static_cast<int>(TamperSubtype::kDefocused)].min_duration_ms, 30'000);
  EXPECT_EQ(d.subtypes[static_cast<int>(TamperSubtype::kCovered)].min_duration_ms, 10'000);
}

// 1'764'000'000'000 ms is Monday 2025-11-24 16:00 UTC (Tuesday 00:00 at +08:00).
constexpr std::int64_t kMonday1600Utc = 1'764'000'000'000;
constexpr std::int64_t kHour = 3'600'000;

TEST(AnalyticsConfig, SchedulesUseLocalTimeAndWrapPastMidnight) {
  Schedule s;
  s.windows.push_back({0x01 /* mon */, 22 * 60, 6 * 60});
  // UTC: Monday 16:00 is in no window.
  EXPECT_FALSE(s.active(kMonday1600Utc, 0));
  // Monday 22:00 UTC .. Tuesday 06:00 UTC belongs to Monday's window.
  EXPECT_TRUE(s.active(kMonday1600Utc + 6 * kHour, 0));
  EXPECT_TRUE(s.active(kMonday1600Utc + 13 * kHour, 0));  // Tuesday 05:00
  EXPECT_FALSE(s.active(kMonday1600Utc + 14 * kHour, 0));
  // At +08:00 it is Tuesday 00:00 local: the Monday window runs until 06:00.
  EXPECT_TRUE(s.active(kMonday1600Utc, 480));
  // Tuesday 22:00 local is not a Monday window.
  EXPECT_FALSE(s.active(kMonday1600Utc + 22 * kHour, 480));

  Schedule day;
  day.windows.push_back({0x7f, 8 * 60, 18 * 60});
  EXPECT_TRUE(day.active(kMonday1600Utc, 0));
  EXPECT_TRUE(day.active(kMonday1600Utc - 8 * kHour, 0));    // Monday 08:00
  EXPECT_FALSE(day.active(kMonday1600Utc + 2 * kHour, 0));   // Monday 18:00
  EXPECT_FALSE(day.active(kMonday1600Utc - 10 * kHour, 0));  // Monday 06:00
}

}  // namespace
}  // namespace gridsight::analytics
