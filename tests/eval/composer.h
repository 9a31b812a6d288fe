#pragma once
// Builds the frames of a labelled clip (clips.yaml) from OpenCV's real sample footage:
// real stretches of vtest.avi, or one real frame held still, with scripted effects.
// Test code only: reads the footage with OpenCV videoio.

#include <cstdint>
#include <opencv2/core/mat.hpp>
#include <opencv2/videoio.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace gridsight::eval {

struct Effect {
  std::string kind;
  double from = 0, to = 1e9;
  std::vector<double> src, dst, dst_end, spots;
  double src_time = 0, g0 = 1, g1 = 1, period = 0, sigma = 0, level = 0, zoom = 1, x = 0, y = 0;
  int rain = 0;
  // cover: what is on the lens (see clips.yaml)
  std::vector<double> color;  // B, G, R
  std::string shape = "rect";
  double border = 0, texture = 0, blotch = 0;
};

struct Expected {
  std::string type, zone;
  double start = 0;
  std::vector<double> box;    // x, y, w, h (normalised) of the object, when the truth has one
  std::optional<double> end;  // when it ended (an object taken away), when the truth has one
};

struct Clip {
  std::string id, footage, note;
  bool still = false;
  double source_at = 0;  // video: start (s); still: the frame's time (s)
  double length = 0;
  double noise = 0;
  std::vector<Effect> effects;
  std::vector<Expected> expect;
};

struct ClipSet {
  double fps = 10;
  std::string camera;  // path of the analytics config
  std::vector<Clip> clips;
};

ClipSet load_clips(const std::string& path);

// Produces the clip's frames one by one.
class Composer {
 public:
  Composer(const std::string& video, const Clip& clip, double fps);
  // False at the end of the clip. `t` is seconds from the clip's start.
  bool next(cv::Mat& frame, double& t);
  // Passes over the next frame without making it (a frame that is not analysed).
  bool skip();

 private:
  cv::Mat read_at(double seconds);
  void apply(const Effect& e, cv::Mat& f, double t);
  cv::VideoCapture cap_;
  const Clip& clip_;
  double fps_;
  int index_ = 0;
  cv::Mat still_, frame_;
  std::vector<cv::Mat> patches_;               // per effect (paste/move)
  std::vector<cv::Mat> covers_, cover_masks_;  // per effect (cover): CV_32FC3 image, CV_32F mask
  void make_cover(const Effect& e, cv::Size size, cv::Mat& image, cv::Mat& mask);
  std::mt19937 rng_{12345};
};

}  // namespace gridsight::eval
