#pragma once
// Synthetic scenes for detector tests that need no files: a textured static view (random
// shapes, deterministic), objects drawn on it, and the camera effects the detectors must
// survive or report.

#include <cstdint>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "common/config/section.h"
#include "edge/analytics/camera_analytics.h"

namespace gridsight::analytics::test {

constexpr std::int64_t kT0 = 1'764'000'000'000;
constexpr int kW = 640, kH = 360;

inline cv::Mat textured_scene(std::uint64_t seed) {
  cv::RNG rng(seed);
  cv::Mat img(kH, kW, CV_8UC3, cv::Scalar(110, 120, 115));
  for (int i = 0; i < 160; ++i) {
    // One draw per statement: the order in which function arguments are evaluated is
    // unspecified (GCC takes them right to left on x86-64, left to right on aarch64), so
    // draws inside one call give each architecture a different scene. This is the x86 order.
    const int red = rng.uniform(30, 230), green = rng.uniform(30, 230), blue = rng.uniform(30, 230);
    const cv::Scalar c(blue, green, red);
    const int py = rng.uniform(0, kH), px = rng.uniform(0, kW);
    const cv::Point p(px, py);
    if (i % 2) {
      const int h = rng.uniform(8, 60), w = rng.uniform(8, 90);
      cv::rectangle(img, p, p + cv::Point(w, h), c, cv::FILLED);
    } else {
      cv::circle(img, p, rng.uniform(4, 30), c, cv::FILLED);
    }
  }
  cv::Mat noise(img.size(), CV_8UC3);
  rng.fill(noise, cv::RNG::UNIFORM, 0, 24);
  img += noise;
  cv::GaussianBlur(img, img, cv::Size(3, 3), 0);
  return img;
}

inline AnalyticsConfig config_of(const std::string& yaml) {
  auto s = config::load_string(yaml, "test.yaml");
  return AnalyticsConfig::read(s);
}

// Feeds frames at 10 fps; `make(t_s)` draws the frame at t seconds.
template <class F>
std::vector<Incident> run(CameraAnalytics& cam, double from_s, double to_s, F make) {
  std::vector<Incident> out;
  cv::Mat frame;
  for (int i = static_cast<int>(from_s * 10); i < static_cast<int>(to_s * 10); ++i) {
    const double t = i / 10.0;
    make(t, frame);
    AnalyticsFrame f;
    f.image = frame;
    f.pts_ms = kT0 + i * 100;
    cam.process(f, out);
  }
  return out;
}

inline std::vector<Incident> opened(const std::vector<Incident>& all) {
  std::vector<Incident> v;
  for (const auto& r : all)
    if (r.phase == Phase::kOpened) v.push_back(r);
  return v;
}

inline double start_s(const Incident& r) {
  return (r.start_ms - kT0) / 1000.0;
}

inline void add_noise(cv::Mat& img, double sigma, cv::RNG& rng) {
  cv::Mat n(img.size(), CV_16SC3), f;
  rng.fill(n, cv::RNG::NORMAL, 0, sigma);
  img.convertTo(f, CV_16SC3);
  f += n;
  f.convertTo(img, CV_8UC3);
}

}  // namespace gridsight::analytics::test
