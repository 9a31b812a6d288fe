#include "edge/config/edge_config.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "common/config/section.h"

namespace gridsight::edge {
namespace {

// Plain TCP must be allowed explicitly; tests that are not about it append that line last
// so the line numbers of everything else stay as written.
EdgeConfig parse(std::string yaml) {
  if (yaml.find("mqtt:") == std::string::npos) yaml += "mqtt: {allow_insecure: true}\n";
  auto root = config::load_string(yaml, "edge.yaml");
  return EdgeConfig::read(root);
}

std::string error_of(std::string yaml) {
  try {
    parse(yaml);
  } catch (const config::Error& e) {
    return e.what();
  }
  return "";
}

TEST(EdgeConfig, EmbeddedDefaultsAreValid) {
  auto c = EdgeConfig::defaults();
  EXPECT_EQ(c.mqtt.port, 8883);
  EXPECT_TRUE(c.mqtt.tls.enabled);
  ASSERT_EQ(c.cameras.size(), 1u);
  EXPECT_FALSE(c.synthetic.enabled);
}

TEST(EdgeConfig, ReadsSections) {
  auto c = parse(R"(
device_id: edge-07
mqtt: {host: broker.local, port: 1883, allow_insecure: true, reconnect: {initial: 200ms, max: 1m}}
outbox: {max_events: 5000, max_bytes: 10MiB}
uplink: {unconfirmed_window: 100, resend_timeout: 5s}
cameras:
  - id: "34020000001320000001"
    location: {lon: 120.1, lat: 30.2, crs: GCJ02}
synthetic: {enabled: true, rate: 50}
)");
  EXPECT_EQ(c.device_id, "edge-07");
  EXPECT_EQ(c.mqtt.backoff.initial_ms, 200);
  EXPECT_EQ(c.mqtt.backoff.max_ms, 60'000);
  EXPECT_EQ(c.outbox.max_bytes, 10u << 20);
  EXPECT_EQ(c.uplink.resend_timeout_ms, 5000);
  EXPECT_EQ(c.uplink.resend_timeout_max_ms, 600'000);  // the default
  EXPECT_EQ(c.cameras[0].location->crs, protocol::Crs::kGcj02);
  EXPECT_EQ(c.synthetic.camera, "34020000001320000001");
}

TEST(EdgeConfig, ErrorsNameTheKey) {
  EXPECT_NE(error_of("device_id: edge/1\n").find("edge.yaml:1:1: device_id:"), std::string::npos);
  EXPECT_NE(error_of("outbox: {max_evnts: 1}\n").find("outbox.max_evnts: unknown key"),
            std::string::npos);
  EXPECT_NE(error_of("cameras: [{id: a}, {id: a}]\n").find("duplicate camera id"),
            std::string::npos);
  EXPECT_NE(error_of("cameras: [{id: a}]\nsynthetic: {enabled: true, camera: b}\n")
                .find("synthetic.camera: no camera"),
            std::string::npos);
  EXPECT_NE(error_of("uplink: {resend_timeout: 1m, resend_timeout_max: 30s}\n")
                .find("uplink.resend_timeout_max: must be at least"),
            std::string::npos);
  EXPECT_NE(error_of("mqtt: {tls: {enabled: true}}\n").find("TLS needs"), std::string::npos);
  EXPECT_NE(error_of("mqtt: {port: 1883}\n").find("mqtt.tls: plain TCP is refused"),
            std::string::npos);
  EXPECT_NE(error_of("cameras: [{id: a, location: {lon: 500, lat: 1}}]\n")
                .find("cameras[0].location.lon: must be between"),
            std::string::npos);
}

}  // namespace
}  // namespace gridsight::edge

namespace gridsight::edge {
namespace {

TEST(EdgeConfig, ShippedExampleIsValid) {
  auto c = EdgeConfig::load(std::string(GRIDSIGHT_SOURCE_DIR) + "/config/edge.example.yaml");
  EXPECT_EQ(c.device_id, "edge-xihu-0007");
  ASSERT_EQ(c.cameras.size(), 3u);
  EXPECT_EQ(c.uplink.evidence_rate_bytes_per_s, 2u << 20);
  // The video camera shows every shipped detector (fire is experimental: commented out).
  const auto& video = c.cameras[2];
  ASSERT_TRUE(video.capture.has_value());
  ASSERT_TRUE(video.detection.has_value());
  using analytics::DetectorKind;
  for (auto kind : {DetectorKind::kMotion, DetectorKind::kLineCrossing, DetectorKind::kTamper,
                    DetectorKind::kLoitering, DetectorKind::kCrowd, DetectorKind::kParking,
                    DetectorKind::kLeftObject, DetectorKind::kStall}) {
    const auto& rules = video.detection->rules;
    EXPECT_TRUE(std::any_of(rules.begin(), rules.end(), [&](const analytics::Rule& r) {
      return r.detector == kind;
    })) << analytics::to_string(kind);
  }
}

}  // namespace
}  // namespace gridsight::edge

namespace gridsight::edge {
namespace {

TEST(EdgeConfig, VideoCameraWithDetection) {
  auto c = parse(R"(
cameras:
  - id: cam-v
    url: /srv/video/walkway.mp4
    loop: true
    detection:
      zones: [{id: lawn, polygon: [0, 0.5, 1, 0.5, 1, 1, 0, 1]}]
      rules: [{id: r1, detector: motion, type: zone.intrusion, zones: [lawn]}]
  - id: cam-plain
)");
  ASSERT_TRUE(c.cameras[0].capture.has_value());
  EXPECT_EQ(c.cameras[0].capture->url, "/srv/video/walkway.mp4");
  EXPECT_TRUE(c.cameras[0].capture->loop);
  ASSERT_TRUE(c.cameras[0].detection.has_value());
  EXPECT_EQ(c.cameras[0].detection->rules.size(), 1u);
  EXPECT_FALSE(c.cameras[1].capture.has_value());
  EXPECT_EQ(c.evidence.directory, "gridsight-data/edge/evidence-work");
  EXPECT_NE(error_of("cameras: [{id: a, detection: {}}]\n").find("needs a video source"),
            std::string::npos);
  EXPECT_NE(
      error_of("cameras: [{id: a, url: x.mp4, detection: {rules: [{id: r, detector: nope}]}}]\n")
          .find("detector"),
      std::string::npos);
  EXPECT_NE(error_of("evidence: {pre_roll: 2s}\n").find("evidence.directory"), std::string::npos);
}

}  // namespace
}  // namespace gridsight::edge
