// The aggregator with the grid engine on: events from a real edge become cases with grid
// code, class code, department and deadline (config/grid), published for the dispatch side.
#include <gtest/gtest.h>

#include "tests/support/harness.h"

namespace gridsight::test {
namespace {

std::string grid_config() {
  const std::string dir = std::string(GRIDSIGHT_SOURCE_DIR) + "/config/grid/";
  return "cases:\n"
         "  enabled: true\n"
         "  grid_file: " + dir + "district-example.geojson\n"
         "  cameras_file: " + dir + "cameras.yaml\n"
         "  classes_file: " + dir + "classes.yaml\n"
         "  calendar_file: " + dir + "calendar-2026.yaml\n"
         "  engine_file: " + dir + "engine.yaml\n"
         "  tick_interval: 500ms\n";
}

TEST(CasesSystem, EdgeEventsBecomeOneRoutedCase) {
  TempDir dir("gridsight-cases");
  Mosquitto broker(dir / "broker");
  broker.start();
  AggregatorSpec as;
  as.mqtt_port = broker.port();
  as.extra_yaml = grid_config();
  Aggregator agg(dir.path(), as);
  agg.start();
  // Listen to what the dispatch side receives.
  Process sub("mosquitto_sub",
              {mosquitto_sub_binary(), "-h", "127.0.0.1", "-p", std::to_string(broker.port()),
               "-V", "mqttv5", "-q", "1", "-t", "gridsight/dispatch/v1/cases", "-W", "120"},
              dir / "dispatch.log");
  sub.start();
  EdgeSpec es;
  es.device_id = "edge-jianwai-01";
  es.cameras = {"11010500001320000001"};
  es.camera_location = "{lon: 116.4512, lat: 39.9112, crs: GCJ02}";  // in the example district
  es.mqtt_port = broker.port();
  es.extra_yaml = "synthetic: {type: fire_lane.blocked}\n";  // 09012, filed automatically
  Edge edge(dir.path(), es);
  edge.start({"--synthetic", "--synthetic-rate", "20", "--synthetic-count", "5"});

  const auto cases_db = dir / "data-aggregator" / "cases.db";
  ASSERT_TRUE(wait_until([&] { return agg.stored().value_or(0) == 5; }, 120s))
      << agg.process().log_tail();
  // Five detections of one blocked fire lane at one spot: one case, five reports.
  ASSERT_TRUE(wait_until(
      [&] { return query_int(cases_db, "SELECT COUNT(*) FROM case_reports").value_or(0) == 5; },
      60s))
      << agg.process().log_tail();
  EXPECT_EQ(query_int(cases_db, "SELECT COUNT(*) FROM cases"), 1);
  EXPECT_EQ(query_text(cases_db, "SELECT class_code FROM cases"), "09012");
  auto cell = query_text(cases_db, "SELECT cell_code FROM cases").value_or("");
  EXPECT_EQ(cell.size(), 15u);
  EXPECT_EQ(cell.substr(0, 6), "110105");
  EXPECT_EQ(query_text(cases_db, "SELECT department FROM case_departments"), "fire-brigade");
  EXPECT_GT(query_int(cases_db, "SELECT due_ms FROM cases").value_or(0), 0);
  ASSERT_TRUE(wait_until([&] { return read_file(sub.log_path()).find("09012") != std::string::npos; },
                         60s))
      << read_file(sub.log_path());
  // The aggregator restarts: the cases are still there, no event is filed twice.
  agg.stop();
  agg.start();
  ASSERT_TRUE(agg.process().wait_for_log("cases: grid of", 60s));
  std::this_thread::sleep_for(2s);
  EXPECT_EQ(query_int(cases_db, "SELECT COUNT(*) FROM case_reports"), 5);
  EXPECT_EQ(query_int(cases_db, "SELECT COUNT(*) FROM cases"), 1);
}

TEST(CasesSystem, BadGridFileStopsStartWithAClearError) {
  TempDir dir("gridsight-cases-bad");
  write_file(dir / "broken.geojson", "{\"type\": \"FeatureCollection\", \"features\": [");
  const std::string gridsrc = std::string(GRIDSIGHT_SOURCE_DIR) + "/config/grid/";
  AggregatorSpec as;
  as.mqtt_port = free_port();
  as.extra_yaml = "cases:\n  enabled: true\n  grid_file: " + (dir / "broken.geojson").string() +
                  "\n  cameras_file: " + gridsrc + "cameras.yaml\n  classes_file: " + gridsrc +
                  "classes.yaml\n  calendar_file: " + gridsrc + "calendar-2026.yaml\n";
  Aggregator agg(dir.path(), as);
  agg.start();
  ASSERT_TRUE(wait_until([&] { return !agg.process().is_running(); }, 60s));
  EXPECT_NE(agg.process().exit_status().value_or(0), 0);
  EXPECT_NE(agg.process().log_text().find("broken.geojson"), std::string::npos)
      << agg.process().log_tail();
}

}  // namespace
}  // namespace gridsight::test
