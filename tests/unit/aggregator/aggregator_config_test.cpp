#include "aggregator/config/aggregator_config.h"

#include <gtest/gtest.h>

#include "common/config/section.h"

namespace gridsight::aggregator {
namespace {

TEST(AggregatorConfig, DefaultsAndShippedExample) {
  auto d = AggregatorConfig::defaults();
  EXPECT_EQ(d.mqtt.client_id, "gridsight-aggregator");
  auto c =
      AggregatorConfig::load(std::string(GRIDSIGHT_SOURCE_DIR) + "/config/aggregator.example.yaml");
  EXPECT_EQ(c.evidence.device_quota_bytes, 8ULL << 30);
  EXPECT_EQ(c.ingest.batch_max, 2000u);
}

TEST(AggregatorConfig, UnknownKeyNamesTheLine) {
  auto root =
      config::load_string("ingest:\n  batch_maxx: 3\nmqtt: {allow_insecure: true}\n", "agg.yaml");
  try {
    AggregatorConfig::read(root);
    FAIL();
  } catch (const config::Error& e) {
    EXPECT_NE(std::string(e.what()).find("agg.yaml:2:3: ingest.batch_maxx: unknown key"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace gridsight::aggregator

namespace gridsight::aggregator {
namespace {

TEST(AggregatorConfig, FleetSectionIsReadAndChecked) {
  auto c =
      AggregatorConfig::load(std::string(GRIDSIGHT_SOURCE_DIR) + "/config/aggregator.example.yaml");
  EXPECT_TRUE(c.fleet.enabled);
  EXPECT_EQ(c.fleet.camera_down_after_ms, 60'000);
  EXPECT_EQ(c.fleet.outbox_age_max_ms, 600'000);
  auto root = config::load_string(
      "fleet:\n  clock_skew_max: 5s\n  silent: 1m\nmqtt: {allow_insecure: true}\n", "agg.yaml");
  try {
    AggregatorConfig::read(root);
    FAIL();
  } catch (const config::Error& e) {
    EXPECT_NE(std::string(e.what()).find("agg.yaml:3:3: fleet.silent: unknown key"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace gridsight::aggregator
