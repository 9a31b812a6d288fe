// Analytics benchmark (docs/analytics.md, "Benchmark"): ms per analysed frame for each
// detector alone and for a camera's full rule set at 640x360, beside a baseline measured in
// the same run on the same frames (a plain cv::resize to the work size + cvtColor to grey,
// the least any analysis does), and operator-new calls / heap growth per frame in steady
// state.
//
//   gridsight_analytics_bench [--smoke] [--frames N] [--video FILE] [--threads N]
//
// OpenCV runs single-threaded by default (--threads 1): an edge box analyses one camera per
// thread, and the CPU time of this thread is then the whole cost of a frame.
//
// Frames: FILE (default: OpenCV's vtest.avi when found at build time) decoded once and
// resized to 640x360; without a video, a synthetic scene with moving objects.

#include <malloc.h>
#include <time.h>

#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>
#ifdef GRIDSIGHT_BENCH_VIDEOIO
#include <opencv2/videoio.hpp>
#endif

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <new>
#include <string>
#include <vector>

#include "common/config/section.h"
#include "edge/analytics/camera_analytics.h"
#include "edge/analytics/objects/object_detector.h"
#include "edge/analytics/objects/tracker.h"
#include "tests/unit/analytics/tiny_model.h"

// Counts every operator new in the process (gridsight's code and C++ objects inside
// libraries; OpenCV's pixel buffers use malloc directly and show as heap growth instead).
// Calls made from code linked into this executable (gridsight's own code, with the templates
// it instantiates) are told apart from calls inside shared libraries (OpenCV) by the
// caller's address.
extern "C" const char __executable_start;
extern "C" const char etext;
static std::atomic<std::uint64_t> g_news{0};
static std::atomic<std::uint64_t> g_own_news{0};
void* operator new(std::size_t n) {
  g_news.fetch_add(1, std::memory_order_relaxed);
  const char* caller = static_cast<const char*>(__builtin_return_address(0));
  if (caller >= &__executable_start && caller < &etext) {
    g_own_news.fetch_add(1, std::memory_order_relaxed);
  }
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

namespace {

using namespace gridsight;
using Clock = std::chrono::steady_clock;

constexpr int kW = 640, kH = 360;

std::vector<cv::Mat> load_frames(const std::string& video, int n) {
  std::vector<cv::Mat> frames;
#ifdef GRIDSIGHT_BENCH_VIDEOIO
  if (!video.empty()) {
    cv::VideoCapture cap(video);
    cv::Mat f;
    while (static_cast<int>(frames.size()) < n && cap.read(f)) {
      cv::Mat r;
      cv::resize(f, r, cv::Size(kW, kH), 0, 0, cv::INTER_AREA);
      frames.push_back(r);
    }
    if (!frames.empty()) return frames;
    std::fprintf(stderr, "cannot read %s: using a synthetic scene\n", video.c_str());
  }
#else
  (void)video;
#endif
  cv::RNG rng(1);
  cv::Mat bg(kH, kW, CV_8UC3, cv::Scalar(100, 110, 105));
  for (int i = 0; i < 150; ++i) {
    // One draw per statement: argument order is unspecified (the same scene on arm64).
    const int py = rng.uniform(0, kH), px = rng.uniform(0, kW);
    const int red = rng.uniform(20, 230), green = rng.uniform(20, 230), blue = rng.uniform(20, 230);
    const int h = rng.uniform(5, 50), w = rng.uniform(5, 80);
    const cv::Point p(px, py);
    cv::rectangle(bg, p, p + cv::Point(w, h), cv::Scalar(blue, green, red), cv::FILLED);
  }
  for (int i = 0; i < n; ++i) {
    cv::Mat f = bg.clone();
    for (int k = 0; k < 4; ++k) {
      const int x = (i * (3 + k) + k * 150) % kW;
      cv::rectangle(f, cv::Rect(x, 120 + k * 50, 24, 50), cv::Scalar(20, 20, 30), cv::FILLED);
    }
    cv::Mat noise(f.size(), CV_8UC3);
    rng.fill(noise, cv::RNG::UNIFORM, 0, 6);
    f += noise;
    frames.push_back(f);
  }
  return frames;
}

const char* kZones = R"yaml(
zones:
  - {id: lawn, polygon: [0.00, 0.50, 0.50, 0.66, 0.80, 0.82, 1.00, 0.92, 1.00, 1.00, 0.00, 1.00]}
  - {id: walkway, polygon: [0.00, 0.36, 0.55, 0.36, 1.00, 0.62, 1.00, 0.80, 0.50, 0.58, 0.00, 0.44]}
lines:
  - {id: west, from: [0.55, 0.40], to: [0.55, 1.00]}
)yaml";
const char* kMotion = "  - {id: m, detector: motion, zones: [lawn, walkway], min_area: 0.004}\n";
const char* kLine = "  - {id: l, detector: line_crossing, lines: [west]}\n";
const char* kTamper = "  - {id: t, detector: tamper}\n";
// The object rules (detection, tracking, static regions), as a city camera would have them.
const char* kObjectRules =
    "  - {id: lo, detector: loitering, zones: [lawn], dwell: 30s}\n"
    "  - {id: cr, detector: crowd, zones: [walkway], min_count: 5}\n"
    "  - {id: pa, detector: parking, zones: [walkway], dwell: 60s}\n"
    "  - {id: le, detector: left_object, zones: [walkway, lawn], dwell: 60s}\n"
    "  - {id: st, detector: stall, zones: [walkway], dwell: 60s}\n";

double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

struct Result {
  double ms_mean = 0, ms_p95 = 0, cpu_ms = 0;
  double news_per_frame = 0;
  double own_news_per_frame = 0;
  long long heap_growth = 0;
  std::size_t incidents = 0;
};

template <class F>
Result measure(const std::vector<cv::Mat>& frames, int total, int warmup, F&& step) {
  std::vector<double> ms;
  ms.reserve(static_cast<std::size_t>(total));
  std::uint64_t news0 = 0, own0 = 0;
  double cpu0 = 0;
  std::size_t heap0 = 0;
  for (int i = 0; i < total; ++i) {
    if (i == warmup) {
      news0 = g_news.load();
      own0 = g_own_news.load();
      cpu0 = thread_cpu_ms();
      heap0 = mallinfo2().uordblks;
    }
    const cv::Mat& f = frames[static_cast<std::size_t>(i) % frames.size()];
    const auto t0 = Clock::now();
    step(f, i);
    const auto t1 = Clock::now();
    if (i >= warmup) ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  Result r;
  const double n = static_cast<double>(total - warmup);
  r.news_per_frame = static_cast<double>(g_news.load() - news0) / n;
  r.cpu_ms = (thread_cpu_ms() - cpu0) / n;
  r.own_news_per_frame = static_cast<double>(g_own_news.load() - own0) / n;
  r.heap_growth = static_cast<long long>(mallinfo2().uordblks) - static_cast<long long>(heap0);
  double sum = 0;
  for (double v : ms) sum += v;
  r.ms_mean = sum / n;
  std::sort(ms.begin(), ms.end());
  r.ms_p95 = ms[static_cast<std::size_t>(0.95 * (ms.size() - 1))];
  return r;
}

Result run_rules(const std::vector<cv::Mat>& frames, int total, int warmup,
                 const std::string& rules, const std::string& objects = "") {
  // Background subtraction settings apply only with a rule that uses it (not tamper alone).
  const std::string motion = rules == kTamper ? "" : "motion: {absorb_time: 300s}\n";
  auto section = config::load_string(std::string(kZones) + motion + objects + "rules:\n" + rules,
                                     "bench.yaml");
  analytics::CameraAnalytics cam(analytics::AnalyticsConfig::read(section));
  std::vector<analytics::Incident> out;
  out.reserve(64);
  std::size_t incidents = 0;
  Result r = measure(frames, total, warmup, [&](const cv::Mat& f, int i) {
    analytics::AnalyticsFrame af;
    af.image = f;                                                        // header only: no copy
    af.pts_ms = 1'764'000'000'000 + static_cast<std::int64_t>(i) * 100;  // 10 fps
    cam.process(af, out);
    incidents += out.size();
    out.clear();
  });
  r.incidents = incidents;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  bool smoke = false;
  int threads = 1;
  int total = 1500;
#ifdef GRIDSIGHT_VTEST_AVI
  std::string video = GRIDSIGHT_VTEST_AVI;
#else
  std::string video;
#endif
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--smoke")) {
      smoke = true;
    } else if (!std::strcmp(argv[i], "--frames") && i + 1 < argc) {
      total = std::max(200, std::atoi(argv[++i]));
    } else if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (!std::strcmp(argv[i], "--video") && i + 1 < argc) {
      video = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--smoke] [--frames N] [--video FILE] [--threads N]\n",
                   argv[0]);
      return 2;
    }
  }
  if (smoke) total = 120;
  cv::setNumThreads(threads);
  const int warmup = smoke ? 60 : 300;  // past the learning periods (2 s motion, 5 s tamper)
  const auto frames = load_frames(video, smoke ? 120 : 400);
  std::printf(
      "frames %dx%d BGR, %zu distinct, %d analysed (%d warm-up not counted), "
      "OpenCV threads %d\n",
      kW, kH, frames.size(), total, warmup, cv::getNumThreads());

  cv::Mat small, gray;
  Result base = measure(frames, total, warmup, [&](const cv::Mat& f, int) {
    cv::resize(f, small, cv::Size(320, 180), 0, 0, cv::INTER_AREA);
    cv::cvtColor(small, gray, cv::COLOR_BGR2GRAY);
  });
  struct Row {
    std::string name;
    Result r;
  };
  std::vector<Row> rows = {
      {"baseline: resize 640x360->320x180 + cvtColor", base},
      {"motion (2 zones)", run_rules(frames, total, warmup, kMotion)},
      {"line_crossing (1 line)", run_rules(frames, total, warmup, kLine)},
      {"tamper", run_rules(frames, total, warmup, kTamper)},
      {"full rule set (motion 2 zones + line + tamper)",
       run_rules(frames, total, warmup, std::string(kMotion) + kLine + kTamper)},
  };
  // Detection per backend, on the whole 640x360 frame (as on a scheduled scan).
  char tmpl[] = "/tmp/gridsight-bench-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::string manifest = analytics::test::write_tiny_model(dir, 64);
  auto model = analytics::load_dnn_model(analytics::ModelManifest::load(manifest));
  std::vector<analytics::Detection> dets;
  for (const char* backend : {"hog", "dnn"}) {
    analytics::ObjectSettings os;
    os.backend = backend;
    auto det = analytics::make_object_detector(os, backend == std::string("dnn") ? model : nullptr);
    const int n = std::string(backend) == "hog" ? std::min(total, smoke ? 70 : 360) : total;
    Result r = measure(frames, n, std::min(warmup, n / 4), [&](const cv::Mat& f, int) {
      analytics::ObjectInput in;
      in.frame = &f;
      dets.clear();
      det->detect(in, dets);
    });
    rows.push_back({std::string(backend) == "hog"
                        ? "detect: hog people, whole frame"
                        : "detect: dnn (generated 64x64 darknet), whole frame",
                    r});
  }
  // Tracking alone: 12 objects walking, greedy assignment with prediction.
  {
    analytics::ObjectSettings os;
    analytics::Tracker tracker(os, {{{0, 0.5}, {1, 0.5}, {1, 1}, {0, 1}}});
    std::vector<analytics::Detection> walk(12);
    rows.push_back(
        {"tracking: 12 objects", measure(frames, total, warmup, [&](const cv::Mat&, int i) {
           for (std::size_t k = 0; k < walk.size(); ++k) {
             const float x = std::fmod(0.05f * static_cast<float>(k) + 0.002f * i, 0.95f);
             walk[k] = {cv::Rect2f(x, 0.1f + 0.07f * static_cast<float>(k), 0.03f, 0.1f),
                        analytics::ObjectClass::kPerson, 0.8f};
           }
           tracker.update(walk, 1'764'000'000'000 + static_cast<std::int64_t>(i) * 200);
         })});
  }
  const std::string all = std::string(kMotion) + kLine + kTamper + kObjectRules;
  rows.push_back({"object rules (blobs: 5 rules, tracking, static)",
                  run_rules(frames, total, warmup, kObjectRules)});
  rows.push_back({"camera, all rules, blobs backend", run_rules(frames, total, warmup, all)});
  rows.push_back({"camera, all rules, hog on motion regions",
                  run_rules(frames, std::min(total, smoke ? 120 : 600), std::min(warmup, 300), all,
                            "objects: {backend: hog, detect_interval: 1s, scan_interval: 10s}\n")});
  rows.push_back({"camera, all rules, dnn on motion regions",
                  run_rules(frames, total, warmup, all,
                            "objects: {backend: dnn, model: " + manifest + "}\n")});
  std::filesystem::remove_all(dir);

  std::printf(
      "| %-48s | ms/frame mean | p95 | CPU ms/frame | x baseline (CPU) | new/frame (in OpenCV) | "
      "new/frame gridsight | heap growth B | incidents |\n",
      "pipeline");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& row : rows) {
    std::printf("| %-48s | %13.3f | %5.3f | %12.3f | %16.1f | %20.2f | %19.2f | %13lld | %9zu |\n",
                row.name.c_str(), row.r.ms_mean, row.r.ms_p95, row.r.cpu_ms,
                row.r.cpu_ms / base.cpu_ms, row.r.news_per_frame - row.r.own_news_per_frame,
                row.r.own_news_per_frame, row.r.heap_growth, row.r.incidents);
  }
  // Cameras per core at 5 fps: one core's CPU second over a camera's CPU per second.
  std::printf("\ncameras per core at 5 fps (CPU ms/frame x 5 per camera-second):\n");
  for (const auto& row : rows) {
    if (row.name.rfind("camera,", 0) != 0 && row.name.rfind("full", 0) != 0) continue;
    std::printf("  %-48s %6.1f\n", row.name.c_str(), 1000.0 / (5.0 * row.r.cpu_ms));
  }
  return 0;
}
