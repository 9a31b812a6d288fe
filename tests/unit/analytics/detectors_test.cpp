// Detectors on synthetic scenes (no files): each must fire where it should and stay quiet
// under the camera effects it must survive.

#include <gtest/gtest.h>

#include "tests/unit/analytics/scene.h"

namespace gridsight::analytics {
namespace {

using namespace test;

const char* kMotionYaml = R"yaml(
zones:
  - {id: yard, polygon: [0.0, 0.4, 1.0, 0.4, 1.0, 1.0, 0.0, 1.0]}
  - {id: roof, polygon: [0.0, 0.0, 1.0, 0.0, 1.0, 0.3, 0.0, 0.3]}
rules:
  - {id: yard, detector: motion, zones: [yard, roof], min_area: 0.002, min_duration: 1s,
     end_hold: 2s, cooldown: 30s}
)yaml";

// A dark 40x60 object walking right along y = 250 from `t0`, 60 px/s.
void draw_walker(cv::Mat& f, double t, double t0, double y = 250, double x0 = 40,
                 double speed = 60) {
  if (t < t0) return;
  const int x = static_cast<int>(x0 + (t - t0) * speed);
  cv::rectangle(f, cv::Rect(x, static_cast<int>(y) - 60, 40, 60), cv::Scalar(20, 20, 30),
                cv::FILLED);
}

TEST(MotionDetector, AnObjectEnteringAZoneRaisesOneIntrusionThere) {
  CameraAnalytics cam(config_of(kMotionYaml));
  const cv::Mat bg = textured_scene(1);
  cv::RNG rng(7);
  auto out = run(cam, 0, 14, [&](double t, cv::Mat& f) {
    bg.copyTo(f);
    if (t < 10) draw_walker(f, t, 5);
    add_noise(f, 2, rng);
  });
  auto o = opened(out);
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].zone, "yard");
  EXPECT_EQ(o[0].type, "zone.intrusion");
  EXPECT_NEAR(start_s(o[0]), 5.0, 0.35);
  ASSERT_FALSE(o[0].boxes.empty());
  EXPECT_NEAR(o[0].boxes[0].y + o[0].boxes[0].h, 250.0 / kH, 0.05);
  // It left at 10 s: closed after end_hold.
  bool closed = false;
  for (const auto& r : out) closed |= r.phase == Phase::kClosed;
  EXPECT_TRUE(closed);
}

TEST(MotionDetector, QuietUnderNoiseLightRampsAndExposureSteps) {
  CameraAnalytics cam(config_of(kMotionYaml));
  const cv::Mat bg = textured_scene(2);
  cv::RNG rng(9);
  auto out = run(cam, 0, 40, [&](double t, cv::Mat& f) {
    const double ramp = t < 5 ? 1.0 : std::max(0.35, 1.0 - (t - 5) * 0.03);  // dusk
    const double exposure = (static_cast<int>(t / 4) % 2) ? 1.3 : 1.0;       // AE steps
    bg.convertTo(f, -1, ramp * exposure);
    add_noise(f, 5, rng);
    for (int i = 0; i < 60; ++i) {  // rain streaks
      // One draw per statement (argument order is unspecified: scene.h).
      const int ay = rng.uniform(0, kH), ax = rng.uniform(0, kW);
      const int len = rng.uniform(8, 20), slant = rng.uniform(-3, 3);
      const cv::Point a(ax, ay);
      cv::line(f, a, a + cv::Point(slant, len), cv::Scalar(220, 220, 220), 1);
    }
  });
  EXPECT_TRUE(opened(out).empty()) << opened(out)[0].zone << " " << start_s(opened(out)[0]);
}

TEST(MotionDetector, MasksAreIgnored) {
  std::string yaml = kMotionYaml;
  yaml += "masks:\n  - {id: tree, polygon: [0.0, 0.5, 1.0, 0.5, 1.0, 0.75, 0.0, 0.75]}\n";
  CameraAnalytics cam(config_of(yaml));
  const cv::Mat bg = textured_scene(3);
  cv::RNG rng(7);
  auto out = run(cam, 0, 12, [&](double t, cv::Mat& f) {
    bg.copyTo(f);
    draw_walker(f, t, 5, 255, 40, 60);  // y 195..255 = 0.54..0.71: inside the mask
    add_noise(f, 2, rng);
  });
  EXPECT_TRUE(opened(out).empty());
}

TEST(MotionDetector, SchedulesGateRules) {
  std::string yaml = R"yaml(
schedules:
  - id: night
    windows: [{from: "22:00", to: "06:00"}]
zones:
  - {id: yard, polygon: [0.0, 0.4, 1.0, 0.4, 1.0, 1.0, 0.0, 1.0]}
rules:
  - {id: yard, detector: motion, zones: [yard], min_area: 0.002, schedule: night}
)yaml";
  CameraAnalytics cam(config_of(yaml));  // stream time is 16:00 UTC: not night
  const cv::Mat bg = textured_scene(1);
  auto out = run(cam, 0, 12, [&](double t, cv::Mat& f) {
    bg.copyTo(f);
    draw_walker(f, t, 5);
  });
  EXPECT_TRUE(opened(out).empty());
}

const char* kLineYaml = R"yaml(
lines:
  - {id: gate, from: [0.5, 0.3], to: [0.5, 0.9], direction: %s}
rules:
  - {id: gate, detector: line_crossing, lines: [gate]}
)yaml";

std::vector<Incident> walk_across(const char* direction, double speed) {
  char yaml[512];
  std::snprintf(yaml, sizeof yaml, kLineYaml, direction);
  CameraAnalytics cam(config_of(yaml));
  const cv::Mat bg = textured_scene(4);
  cv::RNG rng(3);
  const double x0 = speed > 0 ? 100 : 520;
  return run(cam, 0, 16, [&](double t, cv::Mat& f) {
    bg.copyTo(f);
    draw_walker(f, t, 4, 250, x0, speed);
    add_noise(f, 2, rng);
  });
}

TEST(LineCrossingDetector, CountsCrossingsInTheConfiguredDirection) {
  // Walking from `from` (top) to `to` (bottom), the right-hand side is the screen's left;
  // an object moving left to right on screen goes from the line's right to its left.
  auto out = opened(walk_across("right_to_left", 60));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, "line.crossing");
  EXPECT_EQ(out[0].zone, "gate");
  // The foot (bottom centre, x + 20) reaches x = 320 at t = 4 + (320 - 120) / 60 = 7.33 s.
  EXPECT_NEAR(start_s(out[0]), 7.33, 0.35);
  ASSERT_EQ(out[0].boxes.size(), 1u);
  EXPECT_TRUE(out[0].boxes[0].track_id.has_value());
  EXPECT_TRUE(out[0].end_ms.has_value());

  EXPECT_TRUE(opened(walk_across("left_to_right", 60)).empty());
  EXPECT_EQ(opened(walk_across("left_to_right", -60)).size(), 1u);
  EXPECT_EQ(opened(walk_across("any", -60)).size(), 1u);
}

const char* kTamperYaml = R"yaml(
tamper: {learning_time: 3s}
rules:
  - id: tamper
    detector: tamper
    covered: {min_duration: 2s}
    defocused: {min_duration: 2s}
    turned: {min_duration: 2s}
    signal_lost: {min_duration: 2s}
)yaml";

std::vector<Incident> tamper_run(const std::string& yaml,
                                 const std::function<void(double, cv::Mat&)>& change,
                                 double length = 20) {
  CameraAnalytics cam(config_of(yaml));
  const cv::Mat bg = textured_scene(5);
  cv::RNG rng(11);
  return run(cam, 0, length, [&](double t, cv::Mat& f) {
    bg.copyTo(f);
    draw_walker(f, t, 2, 300, 20, 50);  // someone passing
    change(t, f);
    add_noise(f, 2, rng);
  });
}

TEST(TamperDetector, Covered) {
  auto o = opened(tamper_run(kTamperYaml, [](double t, cv::Mat& f) {
    if (t >= 8) f.setTo(cv::Scalar(25, 25, 28));
  }));
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].type, "camera.tamper.covered");
  EXPECT_EQ(o[0].route, Route::kFleet);
  EXPECT_EQ(o[0].attributes.at("subtype"), "covered");
  EXPECT_NEAR(start_s(o[0]), 8.0, 0.25);
}

TEST(TamperDetector, Defocused) {
  auto o = opened(tamper_run(kTamperYaml, [](double t, cv::Mat& f) {
    if (t >= 8) cv::GaussianBlur(f, f, cv::Size(0, 0), 5);
  }));
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].type, "camera.tamper.defocused");
  EXPECT_NEAR(start_s(o[0]), 8.0, 0.25);
}

TEST(TamperDetector, Turned) {
  const cv::Mat other = textured_scene(99);
  auto o = opened(tamper_run(kTamperYaml, [&](double t, cv::Mat& f) {
    if (t >= 8) other.copyTo(f);
  }));
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].type, "camera.tamper.turned");
  EXPECT_NEAR(start_s(o[0]), 8.0, 0.25);
}

// Partial covers: most of the view blocked, by a dark cover with a live 20 px border, a
// textured cloth over 80 % (the right 20 % live), a sharp textured cloth over everything, a
// hand (a blurred skin-coloured ellipse, corners live), bright paper over the bottom 75 %.
// Each is covered, never turned.
cv::Mat weave(cv::Size size, int period, cv::Scalar colour) {
  cv::Mat f(size, CV_8UC3);
  for (int y = 0; y < size.height; ++y) {
    for (int x = 0; x < size.width; ++x) {
      const double v = 1 +
                       0.25 * std::sin(2 * CV_PI * x / period) * std::sin(2 * CV_PI * y / period) +
                       0.15 * (std::sin(2 * CV_PI * (x + y) / (3 * period)) > 0 ? 1 : -1);
      for (int c = 0; c < 3; ++c)
        f.at<cv::Vec3b>(y, x)[c] = cv::saturate_cast<uchar>(colour[c] * v);
    }
  }
  return f;
}

TEST(TamperDetector, PartialCoversAreCoveredNeverTurned) {
  const cv::Mat cloth = weave({kW, kH}, 10, {60, 80, 150});
  const std::vector<std::pair<const char*, std::function<void(cv::Mat&)>>> covers = {
      {"dark cover, live 20 px border",
       [&](cv::Mat& f) { f(cv::Rect(20, 20, kW - 40, kH - 40)).setTo(cv::Scalar(28, 30, 30)); }},
      {"textured cloth over 80 %",
       [&](cv::Mat& f) {
         cv::Mat c;
         cv::GaussianBlur(cloth, c, cv::Size(0, 0), 1.0);
         c(cv::Rect(0, 0, kW * 8 / 10, kH)).copyTo(f(cv::Rect(0, 0, kW * 8 / 10, kH)));
       }},
      {"sharp textured cloth over everything", [&](cv::Mat& f) { cloth.copyTo(f); }},
      {"hand",
       [&](cv::Mat& f) {
         cv::Mat m(f.size(), CV_32F, cv::Scalar(0)), ff,
             hand(f.size(), CV_32FC3, cv::Scalar(110, 140, 190));
         cv::ellipse(m, cv::RotatedRect({kW / 2.f, kH / 2.f}, cv::Size2f(kW * 1.24f, kH * 1.3f), 0),
                     cv::Scalar(1), cv::FILLED);
         cv::GaussianBlur(m, m, cv::Size(0, 0), 20);
         cv::Mat m3;
         cv::merge(std::vector<cv::Mat>{m, m, m}, m3);
         f.convertTo(ff, CV_32FC3);
         ff = hand.mul(m3) + ff.mul(cv::Scalar::all(1) - m3);
         ff.convertTo(f, CV_8UC3);
       }},
      {"paper over the bottom 75 %",
       [&](cv::Mat& f) {
         f(cv::Rect(0, kH / 4, kW, kH - kH / 4)).setTo(cv::Scalar(215, 220, 222));
       }},
  };
  for (const auto& [what, cover] : covers) {
    auto o = opened(tamper_run(kTamperYaml, [&](double t, cv::Mat& f) {
      if (t >= 8) cover(f);
    }));
    ASSERT_EQ(o.size(), 1u) << what;
    EXPECT_EQ(o[0].type, "camera.tamper.covered") << what;
    EXPECT_NEAR(start_s(o[0]), 8.0, 0.5) << what;
  }
}

// Half the view blocked (something close passing) is not tamper; a turned view is turned,
// never covered, also when the new view is plainer than the old one.
TEST(TamperDetector, HalfBlockedIsNotTamperAndTurnedIsNotCovered) {
  auto half = opened(tamper_run(kTamperYaml, [](double t, cv::Mat& f) {
    if (t >= 8) f(cv::Rect(0, 0, kW, kH / 2)).setTo(cv::Scalar(60, 60, 60));
  }));
  EXPECT_TRUE(half.empty()) << half[0].type;
  const cv::Mat other = textured_scene(42);
  auto turned = opened(tamper_run(kTamperYaml, [&](double t, cv::Mat& f) {
    if (t < 8) return;
    cv::Mat zoom;
    cv::resize(other(cv::Rect(100, 60, kW / 2, kH / 2)), zoom, f.size());
    zoom.copyTo(f);
  }));
  ASSERT_EQ(turned.size(), 1u);
  EXPECT_EQ(turned[0].type, "camera.tamper.turned");
}

TEST(TamperDetector, QuietAtDuskAndWhenLightsSwitchOn) {
  auto dusk = tamper_run(
      kTamperYaml,
      [](double t, cv::Mat& f) {
        f.convertTo(f, -1, t < 5 ? 1.0 : std::max(0.3, 1 - (t - 5) * 0.02));
      },
      40);
  EXPECT_TRUE(opened(dusk).empty()) << opened(dusk)[0].type;
  auto lights = tamper_run(kTamperYaml, [](double t, cv::Mat& f) {
    if (t < 8) return;
    f.convertTo(f, -1, 1.4);
    cv::Mat glow(f.size(), CV_8UC3, cv::Scalar::all(0));
    cv::circle(glow, cv::Point(100, 60), 25, cv::Scalar(150, 200, 230), cv::FILLED);
    cv::circle(glow, cv::Point(500, 50), 25, cv::Scalar(150, 200, 230), cv::FILLED);
    cv::GaussianBlur(glow, glow, cv::Size(0, 0), 15);
    f += glow;
  });
  EXPECT_TRUE(opened(lights).empty()) << opened(lights)[0].type;
}

TEST(TamperDetector, SignalLostWhenFramesStopAndBlankScreens) {
  CameraAnalytics cam(config_of(kTamperYaml));
  const cv::Mat bg = textured_scene(6);
  auto out = run(cam, 0, 5, [&](double, cv::Mat& f) { bg.copyTo(f); });
  for (int s = 5; s <= 15; ++s) cam.no_signal(kT0 + s * 1000, out);  // the camera is down
  auto o = opened(out);
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].type, "camera.tamper.signal_lost");
  EXPECT_NEAR(start_s(o[0]), 8.0, 0.01);  // first call after signal_gap (3 s) without frames

  // A blank "no video" screen from the encoder (digital: no sensor noise) is signal lost too.
  CameraAnalytics cam2(config_of(kTamperYaml));
  cv::RNG rng(3);
  auto blank = opened(run(cam2, 0, 20, [&](double t, cv::Mat& f) {
    bg.copyTo(f);
    add_noise(f, 2, rng);
    if (t >= 8) f.setTo(cv::Scalar(200, 0, 0));
  }));
  ASSERT_EQ(blank.size(), 1u);
  EXPECT_EQ(blank[0].type, "camera.tamper.signal_lost");
}

TEST(TamperDetector, PtzOffPresetPausesAnalyticsInsteadOfTamper) {
  std::string yaml = std::string(kTamperYaml) + R"yaml(
ptz: true
zones:
  - {id: yard, polygon: [0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0]}
)yaml";
  yaml.replace(yaml.find("rules:\n"), 7,
               "rules:\n  - {id: yard, detector: motion, zones: [yard], min_area: 0.002}\n");
  // A PTZ camera reports a changed view as off_preset, not turned.
  yaml.replace(yaml.find("turned:"), 7, "off_preset:");
  CameraAnalytics cam(config_of(yaml));
  const cv::Mat home = textured_scene(7), away = textured_scene(70);
  cv::RNG rng(5);
  bool paused_away = false;
  std::vector<Incident> out;
  for (int i = 0; i < 300; ++i) {
    const double t = i / 10.0;
    cv::Mat f = (t >= 8 && t < 20) ? away.clone() : home.clone();
    if (t >= 8 && t < 20) draw_walker(f, t, 9, 300, 20, 40);  // motion while off preset
    add_noise(f, 2, rng);
    AnalyticsFrame af{f, kT0 + i * 100, 0};
    cam.process(af, out);
    if (t > 9 && t < 19) paused_away = paused_away || cam.paused();
  }
  EXPECT_TRUE(paused_away);
  EXPECT_FALSE(cam.paused());  // back on preset
  auto o = opened(out);
  ASSERT_EQ(o.size(), 1u) << o[1].type << " " << start_s(o[1]);
  EXPECT_EQ(o[0].type, "camera.off_preset");
  EXPECT_EQ(o[0].route, Route::kFleet);
  EXPECT_NEAR(start_s(o[0]), 8.0, 0.25);
}

TEST(CameraAnalytics, ReconfigureClosesOpenIncidentsAndAppliesTheNewRules) {
  CameraAnalytics cam(config_of(kMotionYaml));
  const cv::Mat bg = textured_scene(1);
  cv::RNG rng(7);
  auto out = run(cam, 0, 9, [&](double t, cv::Mat& f) {
    bg.copyTo(f);
    draw_walker(f, t, 5);
    add_noise(f, 2, rng);
  });
  ASSERT_EQ(opened(out).size(), 1u);
  std::vector<Incident> closed;
  cam.reconfigure(config_of("{}"), closed);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].phase, Phase::kClosed);
  EXPECT_TRUE(cam.detector_names().empty());
}

}  // namespace
}  // namespace gridsight::analytics

namespace gridsight::analytics {
namespace {

TEST(CameraAnalytics, TakesRawGreyAndBgrBuffersWithoutCopying) {
  using namespace test;
  for (int channels : {1, 3}) {
    CameraAnalytics cam(config_of(kMotionYaml));
    const cv::Mat bg = textured_scene(1);
    cv::RNG rng(7);
    std::vector<Incident> out;
    cv::Mat f, g;
    for (int i = 0; i < 90; ++i) {
      bg.copyTo(f);
      draw_walker(f, i / 10.0, 5);
      add_noise(f, 2, rng);
      if (channels == 1) cv::cvtColor(f, g, cv::COLOR_BGR2GRAY);
      const cv::Mat& src = channels == 1 ? g : f;
      cam.process(wrap_frame(src.data, src.cols, src.rows, channels, static_cast<int>(src.step),
                             kT0 + i * 100, static_cast<std::uint64_t>(i)),
                  out);
    }
    auto o = opened(out);
    ASSERT_EQ(o.size(), 1u) << channels;
    EXPECT_NEAR(start_s(o[0]), 5.0, 0.35) << channels;
    EXPECT_EQ(cam.frames(), 90u);
  }
}

}  // namespace
}  // namespace gridsight::analytics

namespace gridsight::analytics {
namespace {

// A soft cloud shadow (light to 60 %) drifting across the view from 4 s to 14 s.
std::vector<Incident> cloud_shadow(const std::string& yaml) {
  using namespace test;
  CameraAnalytics cam(config_of(yaml));
  const cv::Mat bg = textured_scene(8);
  cv::RNG rng(4);
  return run(cam, 0, 16, [&](double t, cv::Mat& f) {
    bg.copyTo(f);
    if (t >= 4) {
      const double cx = -0.5 * kW + (t - 4) / 10 * 2.0 * kW;
      for (int y = 0; y < kH; ++y) {
        auto* row = f.ptr<cv::Vec3b>(y);
        for (int x = 0; x < kW; ++x) {
          const double w =
              std::clamp((0.4 * kW - std::abs(x + 0.3 * y - cx)) / (0.15 * kW), 0.0, 1.0);
          for (int c = 0; c < 3; ++c)
            row[x][c] = cv::saturate_cast<uchar>(row[x][c] * (1 - 0.4 * w));
        }
      }
    }
    add_noise(f, 2, rng);
  });
}

TEST(MotionDetector, CloudShadowsAreIlluminationNotObjects) {
  EXPECT_TRUE(opened(cloud_shadow(kMotionYaml)).empty());
  // The same shadow without the uniform-ratio test is reported: the test is what holds.
  const std::string off = std::string(kMotionYaml) + "motion: {shadow_uniformity: 0}\n";
  EXPECT_FALSE(opened(cloud_shadow(off)).empty());
}

}  // namespace
}  // namespace gridsight::analytics
