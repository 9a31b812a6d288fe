#include "edge/analytics/camera_analytics.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "edge/analytics/detectors/registry.h"
#include "edge/analytics/detectors/shared/foreground.h"
#include "edge/analytics/detectors/shared/regions.h"
#include "edge/analytics/detectors/tamper/tamper_detector.h"
#include "edge/analytics/objects/object_detector.h"
#include "edge/analytics/rules/rule_engine.h"

namespace gridsight::analytics {
namespace {
// After a pause this long, motion and lines start afresh (the background is stale).
constexpr std::int64_t kResetAfterPauseMs = 2'000;
}  // namespace

struct CameraAnalytics::Impl {
  AnalyticsConfig config;
  RuleEngine engine;
  std::vector<std::unique_ptr<Detector>> detectors;
  std::vector<bool> needs_fg;
  TamperDetector* tamper = nullptr;
  std::unique_ptr<Foreground> foreground;
  cv::Size input_size, work_size;
  cv::Mat small_, bgr_, gray_, clipped_, static_mask_;
  std::uint64_t frames = 0;
  std::int64_t last_pts = -1;
  bool paused = false;
  std::int64_t paused_since = 0;

  std::shared_ptr<DnnModel> model;  // objects.backend dnn, loaded at construction

  explicit Impl(AnalyticsConfig c) : config(std::move(c)) {
    const bool object_rules =
        std::any_of(config.rules.begin(), config.rules.end(), [](const Rule& r) {
          return r.detector != DetectorKind::kMotion && r.detector != DetectorKind::kLineCrossing &&
                 r.detector != DetectorKind::kTamper && r.detector != DetectorKind::kFire;
        });
    // A missing or broken model is a start-up error (naming the manifest), not a later one.
    if (config.enabled && object_rules && config.objects.backend == "dnn" && config.objects.model) {
      model = load_dnn_model(*config.objects.model);
    }
  }

  // Built on the first frame (and when the input size changes): masks need the size.
  void build(cv::Size input) {
    input_size = input;
    const int w = std::min(config.motion.work_width, input.width);
    const int h = std::max(
        1, static_cast<int>(std::lround(static_cast<double>(input.height) * w / input.width)));
    work_size = cv::Size(w, h);
    static_mask_ = masks_union(config.masks, work_size);
    engine = RuleEngine{};
    detectors.clear();
    needs_fg.clear();
    tamper = nullptr;
    foreground.reset();
    if (!config.enabled) return;
    for (const auto& entry : detector_registry()) {
      DetectorSetup setup;
      setup.config = &config;
      setup.work_size = work_size;
      setup.static_mask = &static_mask_;
      setup.engine = &engine;
      setup.model = model;
      for (const auto& r : config.rules) {
        if (std::find(entry.kinds.begin(), entry.kinds.end(), r.detector) != entry.kinds.end()) {
          setup.rules.push_back(&r);
        }
      }
      if (setup.rules.empty()) continue;
      detectors.push_back(entry.make(setup));
      needs_fg.push_back(entry.needs_foreground);
      if (entry.kinds.front() == DetectorKind::kTamper) {
        tamper = static_cast<TamperDetector*>(detectors.back().get());
      }
      if (entry.needs_foreground && !foreground) {
        foreground = std::make_unique<Foreground>(config.motion);
        foreground->configure(work_size, static_mask_);
      }
    }
  }

  void prepare(const cv::Mat& image) {
    const cv::Mat* src = &image;
    if (image.size() != work_size) {
      cv::resize(image, small_, work_size, 0, 0, cv::INTER_AREA);
      src = &small_;
    }
    if (src->channels() == 4) {  // BGRA: drop alpha once, then as BGR
      cv::cvtColor(*src, bgr_, cv::COLOR_BGRA2BGR);
      src = &bgr_;
    }
    if (src->channels() == 3) {
      cv::cvtColor(*src, gray_, cv::COLOR_BGR2GRAY);
      if (foreground) {  // a saturated channel hides brightness changes (exposure, lights)
        cv::inRange(*src, cv::Scalar(0, 0, 0), cv::Scalar(249, 249, 249), clipped_);
        cv::bitwise_not(clipped_, clipped_);
      }
    } else {
      clipped_.release();
      src->copyTo(gray_);
    }
  }
};

CameraAnalytics::CameraAnalytics(AnalyticsConfig config)
    : impl_(std::make_unique<Impl>(std::move(config))) {}
CameraAnalytics::~CameraAnalytics() = default;

void CameraAnalytics::process(const AnalyticsFrame& frame, std::vector<Incident>& out) {
  Impl& m = *impl_;
  if (frame.image.empty()) return;
  if (frame.image.size() != m.input_size) {
    m.engine.flush(out);
    m.build(frame.image.size());
  }
  ++m.frames;
  m.last_pts = frame.pts_ms;
  if (m.detectors.empty()) return;
  m.prepare(frame.image);

  FrameContext ctx;
  ctx.pts_ms = frame.pts_ms;
  ctx.gray = &m.gray_;
  ctx.image = &frame.image;
  bool fg_done = false;
  for (std::size_t i = 0; i < m.detectors.size(); ++i) {
    Detector& d = *m.detectors[i];
    if (m.needs_fg[i]) {
      if (m.paused) continue;  // tampered or off preset: nothing but tamper runs
      if (!fg_done) {
        ctx.foreground = m.foreground.get();
        ctx.foreground_valid = m.foreground->update(m.gray_, m.clipped_, frame.pts_ms);
        fg_done = true;
      }
    }
    d.process(ctx, m.engine);
    if (&d == m.tamper) {
      // Covered, defocused, turned, blank, or a PTZ camera off its preset: the scene cannot
      // be analysed; motion and lines pause and start afresh when the view is back.
      const bool off = m.tamper->abnormal();
      if (off && !m.paused) m.paused_since = frame.pts_ms;
      if (m.paused && !off && frame.pts_ms - m.paused_since >= kResetAfterPauseMs) {
        // The view was away for a while (a flicker, e.g. a bus filling the view, is not).
        if (m.foreground) m.foreground->reset();
        for (auto& other : m.detectors) other->reset();
      }
      m.paused = off;
    }
  }
  m.engine.step(frame.pts_ms, out);
}

void CameraAnalytics::no_signal(std::int64_t now_ms, std::vector<Incident>& out) {
  Impl& m = *impl_;
  if (!m.tamper || m.last_pts < 0) return;
  if (now_ms - m.last_pts < m.config.tamper.signal_gap_ms) return;
  m.tamper->signal_gap(m.engine);
  m.engine.step(now_ms, out);
}

void CameraAnalytics::flush(std::vector<Incident>& out) {
  impl_->engine.flush(out);
}

void CameraAnalytics::reconfigure(AnalyticsConfig config, std::vector<Incident>& out) {
  impl_->engine.flush(out);
  impl_ = std::make_unique<Impl>(std::move(config));
}

bool CameraAnalytics::paused() const {
  return impl_->paused;
}
const AnalyticsConfig& CameraAnalytics::config() const {
  return impl_->config;
}
std::uint64_t CameraAnalytics::frames() const {
  return impl_->frames;
}

std::vector<std::string> CameraAnalytics::detector_names() const {
  std::vector<std::string> names;
  for (const auto& d : impl_->detectors) names.emplace_back(d->name());
  return names;
}

}  // namespace gridsight::analytics
