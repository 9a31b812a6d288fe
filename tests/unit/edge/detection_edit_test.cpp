// The zone editor's edits of edge.yaml: one camera's detection section replaced or added, every
// other line (comments, the other cameras) kept, the result accepted by EdgeConfig::read.
#include "edge/config/detection_edit.h"

#include <gtest/gtest.h>

#include "common/config/section.h"
#include "edge/config/edge_config.h"

namespace gridsight::edge {
namespace {

constexpr const char* kFile = R"yaml(# the box's configuration
device_id: edge-1
mqtt: {allow_insecure: true}
cameras:
  # the gate, facing north
  - id: cam-gate
    url: rtsp://127.0.0.1:1/gate  # main stream
    location: {lon: 120.1, lat: 30.2, crs: WGS84}
    detection:
      zones:
        - id: old
          polygon: [0, 0, 1, 0, 1, 1]
      # comment inside the old section
      rules:
        - {id: r, detector: motion, zones: [old]}
    # the camera's last key, after its detection
    name: Gate
  - id: cam-lane
    url: rtsp://127.0.0.1:1/lane
    location: {lon: 120.2, lat: 30.3, crs: GCJ02}
# trailing comment
)yaml";

nlohmann::json walkway() {
  return {{"zones",
           {{{"id", "walkway"},
             {"polygon", {0.1, 0.3, 0.9, 0.3, 0.9, 0.95, 0.1, 0.95}},
             {"location", {{"lon", 120.15507}, {"lat", 30.27408}, {"crs", "WGS84"}}}}}},
          {"masks", {{{"id", "clock"}, {"polygon", {0, 0, 0.3, 0, 0.3, 0.08}}}}},
          {"lines",
           {{{"id", "kerb"},
             {"from", {0.1, 0.5}},
             {"to", {0.9, 0.5}},
             {"direction", "left_to_right"}}}},
          {"rules",
           {{{"id", "walkway-motion"},
             {"detector", "motion"},
             {"zones", {"walkway"}},
             {"min_duration", "1.5s"},
             {"cooldown", "5s"},
             {"min_area", 0.004}}}}};
}

EdgeConfig load(const std::string& text) {
  auto root = config::load_string(text, "edge.yaml");
  return EdgeConfig::read(root);
}

TEST(DetectionEdit, ReplacesOneCamerasSectionAndKeepsEveryOtherLine) {
  const std::string out =
      with_detection(kFile, "edge.yaml", "cam-gate", detection_yaml_from_json(walkway()));
  for (const char* kept : {"# the box's configuration", "  # the gate, facing north",
                           "    url: rtsp://127.0.0.1:1/gate  # main stream",
                           "    # the camera's last key, after its detection", "    name: Gate",
                           "  - id: cam-lane", "# trailing comment"}) {
    EXPECT_NE(out.find(std::string(kept) + "\n"), std::string::npos) << kept << "\n" << out;
  }
  EXPECT_EQ(out.find("id: old"), std::string::npos) << out;
  EXPECT_EQ(out.find("comment inside the old section"), std::string::npos) << out;
  const EdgeConfig c = load(out);
  const CameraConfig* gate = c.camera("cam-gate");
  ASSERT_NE(gate, nullptr);
  EXPECT_EQ(gate->name, "Gate");
  ASSERT_TRUE(gate->detection.has_value());
  EXPECT_EQ(detection_json_from_yaml(gate->detection_yaml), walkway());
  const CameraConfig* lane = c.camera("cam-lane");
  ASSERT_NE(lane, nullptr);
  EXPECT_FALSE(lane->detection.has_value());
}

TEST(DetectionEdit, AddsASectionToACameraWithoutOne) {
  const std::string out =
      with_detection(kFile, "edge.yaml", "cam-lane", detection_yaml_from_json(walkway()));
  const EdgeConfig c = load(out);
  ASSERT_TRUE(c.camera("cam-lane")->detection.has_value());
  EXPECT_EQ(detection_json_from_yaml(c.camera("cam-lane")->detection_yaml), walkway());
  // The other camera's section is as it was.
  EXPECT_EQ(c.camera("cam-gate")->detection_yaml, load(kFile).camera("cam-gate")->detection_yaml);
  EXPECT_LT(out.find("crs: GCJ02}\n    detection:\n"), out.find("# trailing comment")) << out;
}

TEST(DetectionEdit, AnEmptySectionWatchesTheWholeFrame) {
  const std::string out = with_detection(kFile, "edge.yaml", "cam-gate",
                                         detection_yaml_from_json(nlohmann::json::object()));
  EXPECT_NE(out.find("    detection: {}\n"), std::string::npos) << out;
  EXPECT_NO_THROW(load(out));
}

TEST(DetectionEdit, RefusesWhatItCannotEditLineByLine) {
  auto error = [](const std::string& text, const std::string& camera) {
    try {
      with_detection(text, "edge.yaml", camera, "enabled: true\n");
    } catch (const config::Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(error(kFile, "cam-nope"), "edge.yaml: no camera \"cam-nope\" in cameras");
  EXPECT_NE(error("cameras:\n  - {id: a, url: x}\n", "a")
                .find("edge.yaml:2: camera \"a\" is written in flow style"),
            std::string::npos);
  EXPECT_NE(error("cameras: [\n", "a").find("edge.yaml:"), std::string::npos);
}

TEST(DetectionEdit, TheConfigurationCheckRefusesABadSection) {
  nlohmann::json bad = walkway();
  bad["rules"][0]["zones"] = {"lawm"};
  const std::string out =
      with_detection(kFile, "edge.yaml", "cam-gate", detection_yaml_from_json(bad));
  try {
    load(out);
    FAIL() << "accepted";
  } catch (const config::Error& e) {
    EXPECT_NE(std::string(e.what()).find("no zone \"lawm\""), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).rfind("edge.yaml:", 0), 0u) << e.what();
  }
}

TEST(DetectionEdit, StringsThatLookLikeOtherThingsStayStrings) {
  const nlohmann::json j = {{"rules", {{{"id", "true"}, {"detector", "motion"}, {"type", "1.5"}}}}};
  EXPECT_EQ(detection_json_from_yaml(detection_yaml_from_json(j)), j);
}

}  // namespace
}  // namespace gridsight::edge
