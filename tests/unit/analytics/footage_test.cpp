// Detectors on OpenCV's real sample footage (vtest.avi: pedestrians on a walkway).

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "common/config/section.h"
#include "edge/analytics/camera_analytics.h"

namespace gridsight::analytics {
namespace {

constexpr std::int64_t kT0 = 1'764'000'000'000;

const char* kYaml = R"yaml(
zones:
  - id: walkway
    polygon: [0.00, 0.36, 0.55, 0.36, 1.00, 0.62, 1.00, 0.80, 0.50, 0.58, 0.00, 0.44]
  - id: lawn
    polygon: [0.00, 0.50, 0.50, 0.66, 0.80, 0.82, 1.00, 0.92, 1.00, 1.00, 0.00, 1.00]
lines:
  - {id: lawn_west, from: [0.55, 0.70], to: [0.55, 1.00], direction: left_to_right}
rules:
  - {id: walkway, detector: motion, zones: [walkway, lawn], min_area: 0.004, min_duration: 1s,
     end_hold: 3s, cooldown: 30s}
  - {id: crossing, detector: line_crossing, lines: [lawn_west]}
  - {id: tamper, detector: tamper}
)yaml";

// Plays vtest.avi from 0 to `until_s` at its 10 fps, resized to 640x480 as a capture would.
std::vector<Incident> play(double until_s) {
  auto s = config::load_string(kYaml, "footage.yaml");
  CameraAnalytics cam(AnalyticsConfig::read(s));
  cv::VideoCapture cap(GRIDSIGHT_VTEST_AVI);
  EXPECT_TRUE(cap.isOpened());
  std::vector<Incident> out;
  cv::Mat frame;
  for (int i = 0; i < until_s * 10 && cap.read(frame); ++i) {
    AnalyticsFrame f;
    cv::resize(frame, f.image, cv::Size(640, 480), 0, 0, cv::INTER_AREA);
    f.pts_ms = kT0 + i * 100;
    cam.process(f, out);
  }
  cam.flush(out);
  return out;
}

TEST(RealFootage, PeopleOnTheWalkwayAndOnTheLawnButNoTamper) {
  auto out = play(60);
  std::vector<Incident> walkway, lawn, crossings;
  for (const auto& r : out) {
    if (r.phase != Phase::kOpened) continue;
    EXPECT_NE(r.route, Route::kFleet) << "tamper on untouched footage: " << r.type;
    if (r.type == "zone.intrusion" && r.zone == "walkway") walkway.push_back(r);
    if (r.type == "zone.intrusion" && r.zone == "lawn") lawn.push_back(r);
    if (r.type == "line.crossing") crossings.push_back(r);
  }
  // People walk on the walkway from the start: reported once learning (2 s) is over.
  ASSERT_FALSE(walkway.empty());
  EXPECT_LE(walkway[0].start_ms - kT0, 4'000);
  ASSERT_FALSE(walkway[0].boxes.empty());
  // Nobody is on the lawn before ~51 s; two people step onto it and cross the tripwire
  // westwards at ~52.9 s.
  ASSERT_EQ(lawn.size(), 1u);
  EXPECT_NEAR((lawn[0].start_ms - kT0) / 1000.0, 51.0, 2.0);
  ASSERT_EQ(crossings.size(), 1u);
  EXPECT_NEAR((crossings[0].start_ms - kT0) / 1000.0, 52.9, 2.0);
}

}  // namespace
}  // namespace gridsight::analytics
