#pragma once
// Camera tamper: covered, defocused, turned (scene changed), signal lost; "off preset" for
// PTZ cameras. Measured on a small grey image against a reference learnt at start and
// adapted slowly while the view is normal (dusk), with brightness-invariant measures:
//  - covered: most of the view no longer shows the scene: local detail collapsed there (a
//    hand, paper, spray: ≥ covered_share of the view, with or without a live border), or the
//    view changed where part of it still shows the scene in place (a cloth over most of it),
//    or it changed into one even surface (a textured cloth: no scene layout left);
//  - defocused: sharpness (fine-scale / coarse-scale gradient energy) drops, structure kept;
//  - turned: the coarse gradient structure no longer correlates with the reference (ZNCC),
//    nothing of the view is left in place and the new view has a scene's layout;
//    lights switching on scale gradients but keep their places, so the correlation holds;
//  - signal lost: no frames (reported by the pipeline) or a blank "no video" screen.

#include <array>
#include <memory>
#include <opencv2/core/mat.hpp>
#include <vector>

#include "edge/analytics/detectors/detector.h"

namespace gridsight::analytics {

class TamperDetector final : public Detector {
 public:
  struct Measures {
    double mean = 0, std = 0, detail = 0, sharpness = 0, similarity = 1;
    double blocked = 0;    // share of the view whose local detail collapsed (0..1)
    double unchanged = 1;  // share of the view still showing the reference in place (0..1)
    double changed = 0;    // share of the view no longer showing it (0..1)
    double layout = 1;     // spread of coarse brightness against the reference's (ratio)
  };
  TamperDetector(const DetectorSetup& setup, bool ptz);
  const char* name() const override { return "tamper"; }
  void process(const FrameContext& f, RuleEngine& engine) override;
  // No frame for a while (the pipeline calls this): the signal-lost condition holds.
  void signal_gap(RuleEngine& engine);
  // The view is off (turned, or a PTZ camera off its preset) in the last frame.
  bool view_off() const { return raw_[static_cast<int>(TamperSubtype::kTurned)]; }
  // Any tamper condition holds in the last frame: other detectors cannot see the scene.
  bool abnormal() const {
    for (bool r : raw_)
      if (r) return true;
    return false;
  }
  bool learning() const { return learning_; }
  const Measures& measures() const { return now_; }
  const Measures& reference() const { return ref_; }

 private:
  void measure(const cv::Mat& work_gray);
  void compare_to_reference();
  void learn(double a);
  TamperSettings s_;
  bool ptz_;
  std::array<std::size_t, kTamperSubtypes> channel_{};
  std::array<bool, kTamperSubtypes> has_channel_{};
  std::array<bool, kTamperSubtypes> raw_{};
  cv::Mat g_, g2_, dx_, dy_, mag_, mag2_, struct_, ref_struct_;
  cv::Mat gf_, ref_g_, local_, ref_local_, thr_, cmp_, valid_;  // per-place comparison (160 px)
  std::vector<float> cell_now_, cell_ref_;                      // mean grey per place
  Measures now_, ref_;
  double work_std_ = 0;
  bool learning_ = true;
  int learn_frames_ = 0;
  std::int64_t first_ms_ = -1, last_ms_ = 0, abnormal_since_ = -1;
};

}  // namespace gridsight::analytics
