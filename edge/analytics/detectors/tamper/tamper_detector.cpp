#include "edge/analytics/detectors/tamper/tamper_detector.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "edge/analytics/detectors/shared/channel.h"

namespace gridsight::analytics {
namespace {

constexpr int kWidth = 160;
constexpr int kCell = 10;             // px at kWidth: places compared with the reference
constexpr double kFlat = 3;           // grey std below this: a flat place (nothing to compare)
constexpr double kSamePlace = 0.5;    // a place correlating this well still shows the scene
constexpr double kInPlace = 0.1;      // this share of the view in place: not turned
constexpr double kEvenLayout = 0.35;  // coarse spread below this share of the scene's: one surface
constexpr std::size_t kMaxCells = 64 * 64;

// Median absolute deviation around the median over the median (a relative spread,
// brightness-invariant); reorders `v`.
double relative_spread(std::vector<float>& v) {
  if (v.empty()) return 0;
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  const float med = *mid;
  for (float& x : v) x = std::abs(x - med);
  std::nth_element(v.begin(), mid, v.end());
  return *mid / std::max(1.0f, med);
}

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
  cv::boxFilter(mag_, local_, CV_32F, cv::Size(5, 5));
  g_.convertTo(gf_, CV_32F);
  cv::pyrDown(g_, g2_);
  cv::Sobel(g2_, dx_, CV_32F, 1, 0, 3);
  cv::Sobel(g2_, dy_, CV_32F, 0, 1, 3);
  cv::magnitude(dx_, dy_, mag2_);
  const double coarse = rms(mag2_);
  now_.sharpness = fine / (coarse + 1e-3);
  cv::GaussianBlur(mag2_, struct_, cv::Size(7, 7), 2.0);
  now_.similarity = ref_struct_.empty() ? 1.0 : zncc(struct_, ref_struct_);
}

void TamperDetector::learn(double a) {
  cv::accumulateWeighted(struct_, ref_struct_, a);
  cv::accumulateWeighted(gf_, ref_g_, a);
  cv::accumulateWeighted(local_, ref_local_, a);
  ref_.std += a * (now_.std - ref_.std);
  ref_.detail += a * (now_.detail - ref_.detail);
  ref_.sharpness += a * (now_.sharpness - ref_.sharpness);
  ref_.mean += a * (now_.mean - ref_.mean);
}

// Place by place against the reference view: where local detail collapsed (something on the
// lens), which places still show the scene where it was, and how even the view became.
void TamperDetector::compare_to_reference() {
  // Blocked: detail below covered_contrast of the reference's, where the reference had detail.
  cv::compare(ref_local_, 0.5 * ref_.detail, valid_, cv::CMP_GE);
  const int textured = cv::countNonZero(valid_);
  ref_local_.convertTo(thr_, CV_32F, s_.covered_contrast);
  cv::compare(local_, thr_, cmp_, cv::CMP_LT);
  cv::bitwise_and(cmp_, valid_, cmp_);
  now_.blocked = textured > 0 ? static_cast<double>(cv::countNonZero(cmp_)) / textured : 0.0;

  const int cols = gf_.cols / kCell, rows = gf_.rows / kCell;
  int same = 0, other = 0;
  cell_now_.clear();
  cell_ref_.clear();
  for (int cy = 0; cy < rows; ++cy) {
    for (int cx = 0; cx < cols; ++cx) {
      double sn = 0, sr = 0, snn = 0, srr = 0, snr = 0;
      for (int y = cy * kCell; y < (cy + 1) * kCell; ++y) {
        const float* n = gf_.ptr<float>(y) + cx * kCell;
        const float* r = ref_g_.ptr<float>(y) + cx * kCell;
        for (int x = 0; x < kCell; ++x) {
          sn += n[x];
          sr += r[x];
          snn += static_cast<double>(n[x]) * n[x];
          srr += static_cast<double>(r[x]) * r[x];
          snr += static_cast<double>(n[x]) * r[x];
        }
      }
      const double k = kCell * kCell;
      const double mn = sn / k, mr = sr / k;
      const double vn = std::max(0.0, snn / k - mn * mn), vr = std::max(0.0, srr / k - mr * mr);
      if (cell_now_.size() < kMaxCells) {
        cell_now_.push_back(static_cast<float>(mn));
        cell_ref_.push_back(static_cast<float>(mr));
      }
      const bool flat_n = vn < kFlat * kFlat, flat_r = vr < kFlat * kFlat;
      if (flat_n && flat_r) continue;  // nothing to compare
      if (flat_n != flat_r) {
        ++other;
        continue;
      }
      const double zn = (snr / k - mn * mr) / std::sqrt(vn * vr);
      (zn >= kSamePlace ? same : other)++;
    }
  }
  const int decided = same + other;
  now_.unchanged = decided > 0 ? static_cast<double>(same) / decided : 1.0;
  now_.changed = decided > 0 ? static_cast<double>(other) / decided : 0.0;
  const double spread_ref = relative_spread(cell_ref_);
  now_.layout = spread_ref > 1e-3 ? relative_spread(cell_now_) / spread_ref : 1.0;
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
    ref_g_ = cv::Mat::zeros(gf_.size(), CV_32F);
    ref_local_ = cv::Mat::zeros(local_.size(), CV_32F);
    ref_ = Measures{};
    cell_now_.reserve(kMaxCells);
    cell_ref_.reserve(kMaxCells);
  }
  raw_.fill(false);
  if (learning_) {
    ++learn_frames_;
    learn(1.0 / learn_frames_);
    if (t - first_ms_ >= s_.learn_ms) learning_ = false;
    return;
  }
  now_.similarity = zncc(struct_, ref_struct_);
  compare_to_reference();

  using S = TamperSubtype;
  auto idx = [](S s) { return static_cast<std::size_t>(s); };
  if (work_std_ < s_.blank_std) {
    raw_[idx(S::kSignalLost)] = true;
  } else if (now_.blocked >= s_.covered_share ||
             (now_.std < s_.covered_contrast * ref_.std &&
              now_.detail < s_.covered_contrast * ref_.detail)) {
    raw_[idx(S::kCovered)] = true;  // a hand, paper, spray: detail gone from most of the view
  } else if (now_.similarity < s_.turned_similarity) {
    if (now_.unchanged >= kInPlace) {
      // Part of the view is still where it was: not turned. Something covers the rest.
      raw_[idx(S::kCovered)] = now_.changed >= s_.covered_share;
    } else if (now_.layout < kEvenLayout) {
      raw_[idx(S::kCovered)] = true;  // one even surface (a cloth), no scene layout
    } else {
      raw_[idx(S::kTurned)] = true;
    }
  } else if (now_.sharpness < s_.defocus_ratio * ref_.sharpness) {
    raw_[idx(S::kDefocused)] = true;
  }
  const bool abnormal = raw_[idx(S::kCovered)] || raw_[idx(S::kTurned)] ||
                        raw_[idx(S::kDefocused)] || raw_[idx(S::kSignalLost)];
  if (!abnormal) {
    abnormal_since_ = -1;
    learn(std::min(1.0, dt / static_cast<double>(s_.reference_ms)));
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
