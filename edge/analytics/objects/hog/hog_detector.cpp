#include "edge/analytics/objects/hog/hog_detector.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

namespace gridsight::analytics {
namespace {

class HogDetector final : public ObjectDetector {
 public:
  explicit HogDetector(const ObjectSettings& s) : s_(s) {
    hog_.setSVMDetector(cv::HOGDescriptor::getDefaultPeopleDetector());
  }
  const char* name() const override { return "hog"; }

  void detect(const ObjectInput& in, std::vector<Detection>& out) override {
    if (!in.frame || in.frame->empty()) return;
    const cv::Mat& frame = *in.frame;
    const cv::Rect whole(0, 0, frame.cols, frame.rows);
    const std::size_t first = out.size();
    auto run = [&](cv::Rect roi) {
      roi &= whole;
      if (roi.area() == 0) return;
      cv::Mat crop = frame(roi);
      if (crop.channels() == 3) {
        cv::cvtColor(crop, gray_, cv::COLOR_BGR2GRAY);
      } else if (crop.channels() == 4) {
        cv::cvtColor(crop, gray_, cv::COLOR_BGRA2GRAY);
      } else {
        crop.copyTo(gray_);
      }
      // The window is 64x128 (a person of ~96 px): small crops are enlarged to hold one.
      double up = std::max({1.0, 136.0 / gray_.rows, 72.0 / gray_.cols});
      if (up > 1.0) cv::resize(gray_, gray_, cv::Size(), up, up, cv::INTER_LINEAR);
      found_.clear();
      weights_.clear();
      hog_.detectMultiScale(gray_, found_, weights_, 0.0, cv::Size(8, 8), cv::Size(8, 8), 1.1, 2.0);
      for (std::size_t i = 0; i < found_.size(); ++i) {
        const double w = i < weights_.size() ? weights_[i] : 1.0;
        // SVM margin to a confidence: 0 -> 0.5, 1 -> ~0.73, 2 -> ~0.88
        const float conf = static_cast<float>(1.0 / (1.0 + std::exp(-w)));
        if (conf < s_.min_confidence) continue;
        const cv::Rect2d r(roi.x + found_[i].x / up, roi.y + found_[i].y / up, found_[i].width / up,
                           found_[i].height / up);
        Detection d;
        d.box = cv::Rect2f(
            static_cast<float>(r.x / frame.cols), static_cast<float>(r.y / frame.rows),
            static_cast<float>(r.width / frame.cols), static_cast<float>(r.height / frame.rows));
        d.cls = ObjectClass::kPerson;
        d.confidence = conf;
        out.push_back(d);
      }
    };
    if (in.regions.empty()) {
      run(whole);
    } else {
      for (const auto& r : in.regions) {
        run(cv::Rect(
            cv::Point(static_cast<int>(r.x * frame.cols), static_cast<int>(r.y * frame.rows)),
            cv::Point(static_cast<int>(std::ceil((r.x + r.width) * frame.cols)),
                      static_cast<int>(std::ceil((r.y + r.height) * frame.rows)))));
      }
    }
    if (out.size() > first + 1) {
      std::vector<Detection> mine(out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
      suppress_overlaps(mine, 0.4f);
      out.resize(first);
      out.insert(out.end(), mine.begin(), mine.end());
    }
  }

 private:
  ObjectSettings s_;
  cv::HOGDescriptor hog_;
  cv::Mat gray_;
  std::vector<cv::Rect> found_;
  std::vector<double> weights_;
};

}  // namespace

std::unique_ptr<ObjectDetector> make_hog_detector(const ObjectSettings& settings,
                                                  std::shared_ptr<DnnModel>) {
  return std::make_unique<HogDetector>(settings);
}

}  // namespace gridsight::analytics
