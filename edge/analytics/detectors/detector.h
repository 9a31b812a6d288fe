#pragma once
// The detector interface. Detectors are internal to edge/analytics (CameraAnalytics owns
// them); each implementation lives in its own folder and is listed in registry.cpp.

#include <cstdint>
#include <memory>
#include <opencv2/core/mat.hpp>
#include <vector>

#include "edge/analytics/config/analytics_config.h"
#include "edge/analytics/rules/rule_engine.h"

namespace gridsight::analytics {

class Foreground;
class DnnModel;

struct FrameContext {
  std::int64_t pts_ms = 0;
  const cv::Mat* gray = nullptr;           // work-size grey (CV_8UC1)
  const cv::Mat* image = nullptr;          // the input frame (any size; BGR, BGRA or grey)
  const Foreground* foreground = nullptr;  // shared background subtraction, or null
  bool foreground_valid = false;           // false while learning or on a global change
};

// What a detector gets at construction: the camera's config, its own rules, and the engine
// where it creates one channel per rule and zone / line / subtype.
struct DetectorSetup {
  const AnalyticsConfig* config = nullptr;
  std::vector<const Rule*> rules;
  cv::Size work_size;
  const cv::Mat* static_mask = nullptr;  // work size, 255 = ignored
  RuleEngine* engine = nullptr;
  std::shared_ptr<DnnModel> model;  // objects.backend dnn: the camera's loaded model
};

class Detector {
 public:
  virtual ~Detector() = default;
  virtual const char* name() const = 0;
  // Analyses one frame and calls engine.observe() for the channels whose condition holds.
  virtual void process(const FrameContext& frame, RuleEngine& engine) = 0;
  // The view changed under the detector (PTZ back on preset): forget state.
  virtual void reset() {}
};

}  // namespace gridsight::analytics
