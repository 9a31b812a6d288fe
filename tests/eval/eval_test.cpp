// The evaluation harness: runs every labelled clip (clips.yaml) through a camera's full
// analytics, matches incidents against the ground truth, computes per-detector precision
// and recall, and fails on a regression below the recorded levels (baseline.yaml).
// The table is printed and written to <build>/analytics-eval.md.

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "common/config/section.h"
#include "edge/analytics/camera_analytics.h"
#include "tests/eval/composer.h"

namespace gridsight::eval {
namespace {

constexpr std::int64_t kBaseMs = 1'764'000'000'000;  // 2025-11-24T16:00:00Z
constexpr double kToleranceS = 2.0;

std::string detector_of(const std::string& type) {
  if (type == "zone.intrusion") return "motion";
  if (type == "line.crossing") return "line_crossing";
  if (type == "person.loitering") return "loitering";
  if (type == "crowd.gathering") return "crowd";
  if (type == "parking.illegal") return "parking";
  if (type == "object.left" || type == "garbage.exposed" || type == "debris.piled") {
    return "left_object";
  }
  if (type == "vendor.stall" || type == "shop.outside") return "stall";
  return "tamper";  // camera.tamper.*, camera.off_preset
}

struct Score {
  int tp = 0, fp = 0, fn = 0;
  std::set<std::string> footage;  // where its positives came from
  double precision() const { return tp + fp == 0 ? 1.0 : static_cast<double>(tp) / (tp + fp); }
  double recall() const { return tp + fn == 0 ? 1.0 : static_cast<double>(tp) / (tp + fn); }
};

// Runs a clip set; `step`: analyse every n-th frame (2: 5 fps from the footage's 10 fps).
// `name` names the table file (<build>/<name>.md) and the recorded levels (<baseline>).
void evaluate(const std::string& clips_file, const std::string& baseline_file,
              const std::vector<std::string>& detectors, int default_step,
              const std::string& name) {
  const std::string dir = GRIDSIGHT_EVAL_DIR;
  ClipSet set = load_clips(dir + "/" + clips_file);
  auto section = config::load_file(dir + "/" + set.camera);
  const auto camera = analytics::AnalyticsConfig::read(section);

  std::map<std::string, Score> scores;
  for (const auto& d : detectors) scores[d];
  std::map<std::string, int> negatives;
  std::ostringstream details;
  const char* only = std::getenv("GRIDSIGHT_EVAL_CLIP");  // run one clip (debugging)
  // Analyse every n-th frame (GRIDSIGHT_EVAL_STEP=2: 5 fps, the capture's default rate).
  const char* step_env = std::getenv("GRIDSIGHT_EVAL_STEP");
  const int step = step_env ? std::max(1, std::atoi(step_env)) : default_step;
  int clips_run = 0;
  for (const Clip& clip : set.clips) {
    if (only && clip.id != only) continue;
    ++clips_run;
    analytics::CameraAnalytics cam(camera);
    Composer composer(GRIDSIGHT_VTEST_AVI, clip, set.fps);
    std::vector<analytics::Incident> out, opened;
    cv::Mat frame;
    double t = 0;
    int index = 0;
    for (;;) {
      if (index++ % step != 0) {  // not analysed: not made either
        if (!composer.skip()) break;
        continue;
      }
      if (!composer.next(frame, t)) break;
      analytics::AnalyticsFrame f;
      f.image = frame;
      f.pts_ms = kBaseMs + static_cast<std::int64_t>(std::llround(t * 1000));
      cam.process(f, out);
      for (auto& r : out) {
        if (r.phase == analytics::Phase::kOpened) opened.push_back(r);
      }
      out.clear();
    }
    std::set<std::string> expected_detectors;
    std::vector<bool> used(opened.size(), false);
    for (const Expected& e : clip.expect) {
      const std::string det = detector_of(e.type);
      expected_detectors.insert(det);
      scores[det].footage.insert(clip.footage);
      bool found = false;
      for (std::size_t i = 0; i < opened.size() && !found; ++i) {
        const double start = (opened[i].start_ms - kBaseMs) / 1000.0;
        if (!used[i] && opened[i].type == e.type && opened[i].zone == e.zone &&
            std::abs(start - e.start) <= kToleranceS) {
          used[i] = found = true;
        }
      }
      if (found) {
        ++scores[det].tp;
      } else {
        ++scores[det].fn;
        details << "  MISSED " << clip.id << ": " << e.type << " zone=" << e.zone
                << " start=" << e.start << "\n";
      }
    }
    for (const auto& [det, s] : scores) {
      if (!expected_detectors.count(det)) ++negatives[det];
    }
    for (std::size_t i = 0; i < opened.size(); ++i) {
      const double start = (opened[i].start_ms - kBaseMs) / 1000.0;
      details << "  " << clip.id << ": " << (used[i] ? "match " : "FALSE ") << opened[i].type
              << " zone=" << opened[i].zone << " start=" << start << "\n";
      if (!used[i]) ++scores[detector_of(opened[i].type)].fp;
    }
  }

  std::ostringstream table;
  table << "| detector | TP | FP | FN | precision | recall | negative clips | positives from |\n"
        << "|---|---|---|---|---|---|---|---|\n";
  for (const auto& [det, s] : scores) {
    std::string from;
    for (const auto& f : s.footage) from += (from.empty() ? "" : " + ") + f;
    char buf[256];
    std::snprintf(buf, sizeof buf, "| %s | %d | %d | %d | %.2f | %.2f | %d | %s |\n", det.c_str(),
                  s.tp, s.fp, s.fn, s.precision(), s.recall(), negatives[det], from.c_str());
    table << buf;
  }
  std::printf("Incidents (%d clips, every %d. frame):\n%s\n%s", clips_run, step,
              details.str().c_str(), table.str().c_str());
  std::ofstream(std::string(GRIDSIGHT_EVAL_OUT) + "/" + name + ".md") << table.str();

  if (only || step != default_step) return;  // the recorded levels are for the default rate
  YAML::Node baseline = YAML::LoadFile(dir + "/" + baseline_file);
  for (const auto& [det, s] : scores) {
    EXPECT_GE(negatives[det], 3) << det << " needs at least three negative clips";
    EXPECT_GE(s.precision() + 1e-9, baseline[det]["precision"].as<double>()) << det;
    EXPECT_GE(s.recall() + 1e-9, baseline[det]["recall"].as<double>()) << det;
  }
}

TEST(Evaluation, PrecisionRecallOnTheClipSet) {
  evaluate("clips.yaml", "baseline.yaml", {"motion", "line_crossing", "tamper"}, 1,
           "analytics-eval");
}

// The object rules, at 5 fps (the capture's default analytics rate).
TEST(Evaluation, ObjectRulesPrecisionRecall) {
  evaluate("objects_clips.yaml", "objects_baseline.yaml",
           {"loitering", "crowd", "parking", "left_object", "stall"}, 2, "analytics-eval-objects");
}

}  // namespace
}  // namespace gridsight::eval
