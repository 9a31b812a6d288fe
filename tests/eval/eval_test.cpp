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
  // Matched incidents: seconds from the truth's start to the frame the event was reported
  // (includes the rule's minimum duration / dwell); box IoU where the truth has a box;
  // ends: truth ends found (a closed record within the tolerance) out of those expected.
  std::vector<double> delays, ious;
  int ends = 0, ends_expected = 0;
  double precision() const { return tp + fp == 0 ? 1.0 : static_cast<double>(tp) / (tp + fp); }
  double recall() const { return tp + fn == 0 ? 1.0 : static_cast<double>(tp) / (tp + fn); }
};

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

double iou(const protocol::Box& b, const std::vector<double>& t) {
  const double x0 = std::max(b.x, t[0]), y0 = std::max(b.y, t[1]);
  const double x1 = std::min(b.x + b.w, t[0] + t[2]), y1 = std::min(b.y + b.h, t[1] + t[3]);
  const double inter = std::max(0.0, x1 - x0) * std::max(0.0, y1 - y0);
  const double uni = b.w * b.h + t[2] * t[3] - inter;
  return uni > 0 ? inter / uni : 0;
}

// The clips a quick run analyses (GRIDSIGHT_EVAL_QUICK=1, e.g. under qemu): the first
// positive and the first negative clip of each detector.
std::set<std::string> quick_subset(const ClipSet& set, const std::vector<std::string>& detectors) {
  std::set<std::string> ids;
  for (const auto& det : detectors) {
    bool pos = false, neg = false;
    for (const Clip& c : set.clips) {
      bool has = false;
      for (const auto& e : c.expect) has |= detector_of(e.type) == det;
      if (has && !pos) {
        pos = true;
        ids.insert(c.id);
      } else if (!has && !neg && c.footage == "composed") {
        neg = true;
        ids.insert(c.id);
      }
    }
  }
  return ids;
}

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
  const bool quick = std::getenv("GRIDSIGHT_EVAL_QUICK") != nullptr;
  const std::set<std::string> subset = quick_subset(set, detectors);
  int clips_run = 0;
  for (const Clip& clip : set.clips) {
    if (only && clip.id != only) continue;
    if (quick && !subset.count(clip.id)) continue;
    ++clips_run;
    analytics::CameraAnalytics cam(camera);
    Composer composer(GRIDSIGHT_VTEST_AVI, clip, set.fps);
    std::vector<analytics::Incident> out, opened;
    std::vector<double> opened_at;              // clip time of the frame that reported it
    std::map<std::uint64_t, double> closed_at;  // incident id -> end (clip time)
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
        if (r.phase == analytics::Phase::kOpened) {
          opened.push_back(r);
          opened_at.push_back(t);
        }
        if (r.phase == analytics::Phase::kClosed && r.end_ms) {
          closed_at[r.id] = (*r.end_ms - kBaseMs) / 1000.0;
        }
      }
      out.clear();
    }
    cam.flush(out);  // the end of the clip: still open incidents have no end
    out.clear();
    std::set<std::string> expected_detectors;
    std::vector<bool> used(opened.size(), false);
    for (const Expected& e : clip.expect) {
      const std::string det = detector_of(e.type);
      expected_detectors.insert(det);
      scores[det].footage.insert(clip.footage);
      bool found = false;
      std::size_t match = 0;
      for (std::size_t i = 0; i < opened.size() && !found; ++i) {
        const double start = (opened[i].start_ms - kBaseMs) / 1000.0;
        if (!used[i] && opened[i].type == e.type && opened[i].zone == e.zone &&
            std::abs(start - e.start) <= kToleranceS) {
          used[i] = found = true;
          match = i;
        }
      }
      if (found) {
        Score& sc = scores[det];
        ++sc.tp;
        sc.delays.push_back(opened_at[match] - e.start);
        if (e.box.size() == 4) {
          double best = 0;
          for (const auto& b : opened[match].boxes) best = std::max(best, iou(b, e.box));
          sc.ious.push_back(best);
          details << "  " << clip.id << ": box IoU " << best << "\n";
        }
        if (e.end) {
          ++sc.ends_expected;
          auto it = closed_at.find(opened[match].id);
          const bool ended = it != closed_at.end() && std::abs(it->second - *e.end) <= 3.0;
          sc.ends += ended;
          details << "  " << clip.id << ": end " << (it == closed_at.end() ? -1 : it->second)
                  << (ended ? " (match)" : " (MISSED)") << "\n";
        }
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
  table << "| detector | TP | FP | FN | precision | recall | reported after start, mean / max "
           "(s) | box IoU mean / min | ends | positive clips | negative clips | positives from "
           "|\n"
        << "|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& [det, s] : scores) {
    std::string from;
    for (const auto& f : s.footage) from += (from.empty() ? "" : " + ") + f;
    const double max_delay =
        s.delays.empty() ? 0 : *std::max_element(s.delays.begin(), s.delays.end());
    const double min_iou = s.ious.empty() ? 0 : *std::min_element(s.ious.begin(), s.ious.end());
    char iou_text[64] = "—", end_text[32] = "—";
    if (!s.ious.empty())
      std::snprintf(iou_text, sizeof iou_text, "%.2f / %.2f", mean(s.ious), min_iou);
    if (s.ends_expected > 0)
      std::snprintf(end_text, sizeof end_text, "%d / %d", s.ends, s.ends_expected);
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "| %s | %d | %d | %d | %.2f | %.2f | %.1f / %.1f | %s | %s | %d | %d | %s |\n",
                  det.c_str(), s.tp, s.fp, s.fn, s.precision(), s.recall(), mean(s.delays),
                  max_delay, iou_text, end_text, s.tp + s.fn, negatives[det], from.c_str());
    table << buf;
  }
  std::printf("Incidents (%d clips, every %d. frame):\n%s\n%s", clips_run, step,
              details.str().c_str(), table.str().c_str());
  std::ofstream(std::string(GRIDSIGHT_EVAL_OUT) + "/" + name + ".md") << table.str();

  if (only || step != default_step) return;  // the recorded levels are for the default rate
  YAML::Node baseline = YAML::LoadFile(dir + "/" + baseline_file);
  for (const auto& [det, s] : scores) {
    ASSERT_TRUE(baseline[det]) << det << " has no recorded levels in " << baseline_file;
    const YAML::Node b = baseline[det];
    EXPECT_GE(s.precision() + 1e-9, b["precision"].as<double>()) << det;
    EXPECT_GE(s.recall() + 1e-9, b["recall"].as<double>()) << det;
    if (quick) continue;  // the floors below are for the whole set
    EXPECT_GE(negatives[det], b["min_negatives"] ? b["min_negatives"].as<int>() : 3)
        << det << ": too few negative clips";
    if (b["min_positives"]) {
      EXPECT_GE(s.tp + s.fn, b["min_positives"].as<int>()) << det;
    }
    for (double d : s.delays) {
      if (b["max_delay_s"]) {
        EXPECT_LE(d, b["max_delay_s"].as<double>()) << det << " reported late";
      }
    }
    for (double v : s.ious) {
      if (b["min_iou"]) {
        EXPECT_GE(v + 1e-9, b["min_iou"].as<double>()) << det << " box";
      }
    }
    if (b["ends"]) {
      EXPECT_GE(s.ends, b["ends"].as<int>()) << det << " ends";
    }
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

// Tamper on covers nobody tuned on (hand, cloth, paper, spray, live borders), defocus, turned
// views and a "no video" screen, at 5 fps: the subtype must be right (type equality).
TEST(Evaluation, TamperSubtypesOnPartialCovers) {
  evaluate("tamper_clips.yaml", "tamper_baseline.yaml", {"tamper"}, 2, "analytics-eval-tamper");
}

// Left objects with owners who leave while people keep passing, at several places, taken
// away, attended, a cover lifted, at 5 fps: start, box and end are scored too.
TEST(Evaluation, LeftObjectsWithPassersBy) {
  evaluate("left_clips.yaml", "left_baseline.yaml", {"left_object"}, 2, "analytics-eval-left");
}

}  // namespace
}  // namespace gridsight::eval
