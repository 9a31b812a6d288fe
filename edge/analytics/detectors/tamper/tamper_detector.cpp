#include "edge/analytics/detectors/tamper/tamper_detector.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "edge/analytics/detectors/shared/channel.h"

namespace gridsight::analytics {
namespace {

constexpr int kWidth = 160;

double rms(const cv::Mat& m) {
  return std::sqrt(m.dot(m) / static_cast<double>(m.total()));
}

double zncc(const cv::Mat& a, const cv::Mat& b) {
  cv::Scalar ma, sa, mb, sb;
  cv::meanStdDev(a, ma, sa);
  cv::meanStdDev(b, mb, sb);
  const double n = static_cast<double>(a.total());
  const double cov = a.dot(b) / n - ma[0] * mb[0];
  const double den = sa[0] * sb[0];
  return den > 1e-9 ? cov / den : 0.0;
}

}  // namespace

TamperDetector::TamperDetector(const DetectorSetup& setup, bool ptz)
    : s_(setup.config->tamper), ptz_(ptz) {
  for (const Rule* rule : setup.rules) {
    for (std::size_t i = 0; i < kTamperSubtypes; ++i) {
      const auto sub = static_cast<TamperSubtype>(i);
      if (!rule->subtypes[i].enabled || has_channel_[i]) continue;
      if (sub == TamperSubtype::kOffPreset && !ptz_) continue;
      ChannelSpec spec = rule_channel(*rule, nullptr, setup, "object");
      spec.type = sub == TamperSubtype::kOffPreset ? "camera.off_preset"
                                                   : rule->type + "." + to_string(sub);
      spec.route = Route::kFleet;
      spec.min_duration_ms = rule->subtypes[i].min_duration_ms;  // each subtype its own
      spec.attributes["subtype"] = to_string(sub);
      channel_[i] = setup.engine->add_channel(std::move(spec));
      has_channel_[i] = true;
    }
  }
}

void TamperDetector::measure(const cv::Mat& work_gray) {
  // Fine detail at the work size; contrast and detail at ~160 px; structure at ~80 px.
  cv::Sobel(work_gray, dx_, CV_32F, 1, 0, 3);
  cv::Sobel(work_gray, dy_, CV_32F, 0, 1, 3);
  cv::magnitude(dx_, dy_, mag_);
  // Gradient energy (not mean magnitude): a blurred step edge keeps its total gradient but
  // spreads it, so its energy falls with the blur width.
  const double fine = rms(mag_);
  cv::Scalar wm, wsd;
  cv::meanStdDev(work_gray, wm, wsd);
  work_std_ = wsd[0];
  const cv::Mat* src = &work_gray;
  while (src->cols >= 2 * kWidth) {
    cv::pyrDown(*src, g_);
    src = &g_;
  }
  if (src != &g_) src->copyTo(g_);
  cv::Scalar m, sd;
  cv::meanStdDev(g_, m, sd);
  now_.mean = m[0];
  now_.std = sd[0];
  cv::Sobel(g_, dx_, CV_32F, 1, 0, 3);
  cv::Sobel(g_, dy_, CV_32F, 0, 1, 3);
  cv::magnitude(dx_, dy_, mag_);
  now_.detail = cv::mean(mag_)[0];
  cv::pyrDown(g_, g2_);
  cv::Sobel(g2_, dx_, CV_32F, 1, 0, 3);
  cv::Sobel(g2_, dy_, CV_32F, 0, 1, 3);
  cv::magnitude(dx_, dy_, mag2_);
  const double coarse = rms(mag2_);
  now_.sharpness = fine / (coarse + 1e-3);
  cv::GaussianBlur(mag2_, struct_, cv::Size(7, 7), 2.0);
  now_.similarity = ref_struct_.empty() ? 1.0 : zncc(struct_, ref_struct_);
}

void TamperDetector::process(const FrameContext& f, RuleEngine& engine) {
  measure(*f.gray);
  const std::int64_t t = f.pts_ms;
  const double dt = static_cast<double>(std::clamp<std::int64_t>(t - last_ms_, 1, 2'000));
  last_ms_ = t;
  if (first_ms_ < 0 || ref_struct_.size() != struct_.size()) {
    first_ms_ = t;
    learning_ = true;
    learn_frames_ = 0;
    ref_struct_ = cv::Mat::zeros(struct_.size(), CV_32F);
    ref_ = Measures{};
  }
  raw_.fill(false);
  if (learning_) {
    ++learn_frames_;
    const double a = 1.0 / learn_frames_;
    cv::accumulateWeighted(struct_, ref_struct_, a);
    ref_.std += a * (now_.std - ref_.std);
    ref_.detail += a * (now_.detail - ref_.detail);
    ref_.sharpness += a * (now_.sharpness - ref_.sharpness);
    ref_.mean += a * (now_.mean - ref_.mean);
    if (t - first_ms_ >= s_.learn_ms) learning_ = false;
    return;
  }
  now_.similarity = zncc(struct_, ref_struct_);

  using S = TamperSubtype;
  auto idx = [](S s) { return static_cast<std::size_t>(s); };
  if (work_std_ < s_.blank_std) {
    raw_[idx(S::kSignalLost)] = true;
  } else if (now_.std < s_.covered_contrast * ref_.std &&
             now_.detail < s_.covered_contrast * ref_.detail) {
    raw_[idx(S::kCovered)] = true;
  } else if (now_.similarity < s_.turned_similarity) {
    raw_[idx(S::kTurned)] = true;
  } else if (now_.sharpness < s_.defocus_ratio * ref_.sharpness) {
    raw_[idx(S::kDefocused)] = true;
  }
  const bool abnormal = raw_[idx(S::kCovered)] || raw_[idx(S::kTurned)] ||
                        raw_[idx(S::kDefocused)] || raw_[idx(S::kSignalLost)];
  if (!abnormal) {
    abnormal_since_ = -1;
    const double a = std::min(1.0, dt / static_cast<double>(s_.reference_ms));
    cv::accumulateWeighted(struct_, ref_struct_, a);
    ref_.std += a * (now_.std - ref_.std);
    ref_.detail += a * (now_.detail - ref_.detail);
    ref_.sharpness += a * (now_.sharpness - ref_.sharpness);
    ref_.mean += a * (now_.mean - ref_.mean);
  } else {
    if (abnormal_since_ < 0) abnormal_since_ = t;
    if (t - abnormal_since_ >= s_.relearn_ms) {  // a lasting new view becomes the reference
      first_ms_ = -1;
      abnormal_since_ = -1;
    }
  }
  for (std::size_t i = 0; i < kTamperSubtypes; ++i) {
    if (!raw_[i]) continue;
    std::size_t target = i;
    if (ptz_ && i == idx(S::kTurned)) target = idx(S::kOffPreset);
    if (has_channel_[target]) engine.observe(channel_[target], 0.9);
  }
}

void TamperDetector::signal_gap(RuleEngine& engine) {
  const auto i = static_cast<std::size_t>(TamperSubtype::kSignalLost);
  if (has_channel_[i]) engine.observe(channel_[i], 1.0);
}

}  // namespace gridsight::analytics
