#include "edge/analytics/rules/rule_engine.h"

#include <gtest/gtest.h>

#include "protocol/event.h"

namespace gridsight::analytics {
namespace {

constexpr std::int64_t kT0 = 1'764'000'000'000;

struct Channel {
  RuleEngine engine;
  std::vector<Incident> out;
  std::size_t ch = 0;
  explicit Channel(ChannelSpec spec) { ch = engine.add_channel(std::move(spec)); }
  // Frames every 100 ms from `from` to `to` (s, exclusive) with the condition as given.
  void frames(double from, double to, bool cond) {
    for (int i = static_cast<int>(from * 10); i < static_cast<int>(to * 10); ++i) {
      if (cond) {
        NormBox b{0.1f, 0.2f, 0.3f, 0.4f, 0.8f, 7};
        engine.observe(ch, 0.8, &b, 1);
      }
      engine.step(kT0 + i * 100, out);
    }
  }
  std::vector<Incident> phase(Phase p) const {
    std::vector<Incident> v;
    for (const auto& r : out)
      if (r.phase == p) v.push_back(r);
    return v;
  }
};

ChannelSpec spec() {
  ChannelSpec s;
  s.rule_id = "r1";
  s.type = "zone.intrusion";
  s.zone = "lawn";
  s.min_duration_ms = 2'000;
  s.end_hold_ms = 1'000;
  s.cooldown_ms = 10'000;
  s.location = protocol::GeoPoint{120.1, 30.2, protocol::Crs::kWgs84};
  return s;
}

TEST(RuleEngine, OpensAfterTheMinimumDurationWithItsStart) {
  Channel r(spec());
  r.frames(0, 1, false);
  r.frames(1, 2.9, true);  // 1.8 s: not yet
  EXPECT_TRUE(r.out.empty());
  r.frames(2.9, 3.2, true);
  auto opened = r.phase(Phase::kOpened);
  ASSERT_EQ(opened.size(), 1u);
  EXPECT_EQ(opened[0].start_ms, kT0 + 1'000);
  EXPECT_FALSE(opened[0].end_ms);
  EXPECT_EQ(opened[0].zone, "lawn");
  EXPECT_EQ(opened[0].type, "zone.intrusion");
  ASSERT_EQ(opened[0].boxes.size(), 1u);
  EXPECT_EQ(opened[0].boxes[0].track_id, 7);
  EXPECT_TRUE(r.engine.is_open(r.ch));
}

TEST(RuleEngine, ShortConditionsNeverOpen) {
  Channel r(spec());
  for (int k = 0; k < 5; ++k) {
    r.frames(k * 4.0, k * 4.0 + 1.5, true);
    r.frames(k * 4.0 + 1.5, k * 4.0 + 4.0, false);
  }
  EXPECT_TRUE(r.out.empty());
}

TEST(RuleEngine, GapsUpToEndHoldKeepOneIncidentThenItCloses) {
  Channel r(spec());
  r.frames(0, 5, true);
  r.frames(5, 5.8, false);  // 0.8 s gap < end_hold
  r.frames(5.8, 8, true);
  r.frames(8, 12, false);
  auto opened = r.phase(Phase::kOpened);
  auto closed = r.phase(Phase::kClosed);
  ASSERT_EQ(opened.size(), 1u);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].id, opened[0].id);
  EXPECT_EQ(closed[0].start_ms, kT0);
  EXPECT_EQ(closed[0].end_ms, kT0 + 7'900);  // the last frame it held
  EXPECT_EQ(closed[0].attributes.at("duration_s"), "8");
}

TEST(RuleEngine, CooldownSuppressesRepeatsThenAllowsANewIncident) {
  Channel r(spec());
  r.frames(0, 4, true);
  r.frames(4, 6, false);  // closes at 3.9
  r.frames(6, 10, true);  // within cool-down (until 13.9)
  r.frames(10, 12, false);
  EXPECT_EQ(r.phase(Phase::kOpened).size(), 1u);
  r.frames(14, 18, true);  // after the cool-down
  auto opened = r.phase(Phase::kOpened);
  ASSERT_EQ(opened.size(), 2u);
  EXPECT_NE(opened[0].id, opened[1].id);
  EXPECT_EQ(opened[1].start_ms, kT0 + 14'000);
}

TEST(RuleEngine, InstantChannelsOpenAndCloseAtOnce) {
  auto s = spec();
  s.instant = true;
  s.min_duration_ms = 0;
  s.cooldown_ms = 0;
  Channel r(s);
  r.frames(0, 0.1, true);
  r.frames(0.1, 1, false);
  r.frames(1, 1.1, true);
  auto opened = r.phase(Phase::kOpened);
  ASSERT_EQ(opened.size(), 2u);
  EXPECT_EQ(opened[0].end_ms, opened[0].start_ms);
  EXPECT_EQ(r.phase(Phase::kClosed).size(), 2u);
}

TEST(RuleEngine, UpdatesWhileItLasts) {
  auto s = spec();
  s.update_interval_ms = 1'000;
  Channel r(s);
  r.frames(0, 6, true);
  EXPECT_EQ(r.phase(Phase::kOpened).size(), 1u);
  EXPECT_EQ(r.phase(Phase::kUpdated).size(), 3u);  // at 3, 4, 5 s (opened at 2 s)
}

TEST(RuleEngine, OutsideItsScheduleNothingHappens) {
  auto s = spec();
  Schedule night;
  night.windows.push_back({0x7f, 22 * 60, 6 * 60});
  s.schedule = night;
  Channel r(s);  // Monday 16:00 UTC, offset 0: daytime
  r.frames(0, 10, true);
  EXPECT_TRUE(r.out.empty());
}

TEST(RuleEngine, MinConfidenceFiltersObservations) {
  auto s = spec();
  s.min_confidence = 0.9;
  Channel r(s);
  r.frames(0, 10, true);  // observed at 0.8
  EXPECT_TRUE(r.out.empty());
}

TEST(RuleEngine, FlushClosesOpenIncidents) {
  Channel r(spec());
  r.frames(0, 5, true);
  r.engine.flush(r.out);
  ASSERT_EQ(r.phase(Phase::kClosed).size(), 1u);
  EXPECT_EQ(r.engine.open_count(), 0u);
}

TEST(RuleEngine, IncidentsBecomeValidEvents) {
  Channel r(spec());
  r.frames(0, 5, true);
  auto opened = r.phase(Phase::kOpened);
  ASSERT_EQ(opened.size(), 1u);
  protocol::Event e = to_event(opened[0], "cam-1", true);
  e.event_id = "019ab699-ca40-70f8-9396-049e7fa2a847";
  e.device_id = "edge-01";
  e.seq = 1;
  EXPECT_FALSE(protocol::validate(e)) << protocol::validate(e)->reason;
  EXPECT_EQ(e.zone, "lawn");
  EXPECT_EQ(e.attributes.at("route"), "grid");
  EXPECT_EQ(e.attributes.at("rule"), "r1");
  ASSERT_TRUE(e.location);
}

}  // namespace
}  // namespace gridsight::analytics
