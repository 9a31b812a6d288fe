#include "tests/eval/composer.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <opencv2/imgproc.hpp>
#include <stdexcept>

namespace gridsight::eval {
namespace {

std::vector<double> nums(const YAML::Node& n) {
  std::vector<double> v;
  if (n) {
    for (const auto& x : n) v.push_back(x.as<double>());
  }
  return v;
}

cv::Rect rect_of(const std::vector<double>& r, cv::Size s) {
  return cv::Rect(static_cast<int>(std::lround(r.at(0) * s.width)),
                  static_cast<int>(std::lround(r.at(1) * s.height)),
                  static_cast<int>(std::lround(r.at(2) * s.width)),
                  static_cast<int>(std::lround(r.at(3) * s.height))) &
         cv::Rect(0, 0, s.width, s.height);
}

void draw_patch(cv::Mat& f, const cv::Mat& patch, cv::Point at) {
  cv::Rect dst(at, patch.size());
  cv::Rect clipped = dst & cv::Rect(0, 0, f.cols, f.rows);
  if (clipped.empty()) return;
  patch(cv::Rect(clipped.x - dst.x, clipped.y - dst.y, clipped.width, clipped.height))
      .copyTo(f(clipped));
}

}  // namespace

ClipSet load_clips(const std::string& path) {
  YAML::Node root = YAML::LoadFile(path);
  ClipSet set;
  set.fps = root["fps"].as<double>();
  set.camera = root["camera"].as<std::string>();
  for (const auto& c : root["clips"]) {
    Clip clip;
    clip.id = c["id"].as<std::string>();
    clip.footage = c["footage"].as<std::string>();
    if (c["note"]) clip.note = c["note"].as<std::string>();
    const auto src = c["source"];
    if (src["still"]) {
      clip.still = true;
      clip.source_at = src["still"].as<double>();
    } else {
      clip.source_at = src["video"].as<double>();
    }
    clip.length = src["length"].as<double>();
    if (src["noise"]) clip.noise = src["noise"].as<double>();
    for (const auto& e : c["effects"]) {
      Effect ef;
      ef.kind = e["effect"].as<std::string>();
      ef.from = e["from"] ? e["from"].as<double>() : 0;
      ef.to = e["to"] ? e["to"].as<double>() : 1e9;
      ef.src = nums(e["src"]);
      ef.dst = nums(e["dst"]);
      ef.dst_end = nums(e["dst_end"]);
      ef.spots = nums(e["spots"]);
      auto num = [&](const char* k, double d) { return e[k] ? e[k].as<double>() : d; };
      ef.src_time = num("src_time", 0);
      ef.g0 = num("g0", 1);
      ef.g1 = num("g1", 1);
      ef.period = num("period", 0);
      ef.sigma = num("sigma", 0);
      ef.level = num("level", 0);
      ef.zoom = num("zoom", 1);
      ef.x = num("x", 0);
      ef.y = num("y", 0);
      ef.rain = static_cast<int>(num("rain", 0));
      ef.color = nums(e["color"]);
      if (e["shape"]) ef.shape = e["shape"].as<std::string>();
      ef.border = num("border", 0);
      ef.texture = num("texture", 0);
      ef.blotch = num("blotch", 0);
      clip.effects.push_back(ef);
    }
    for (const auto& x : c["expect"]) {
      clip.expect.push_back(
          {x["type"].as<std::string>(), x["zone"].as<std::string>(), x["start"].as<double>(),
           nums(x["box"]), x["end"] ? std::optional<double>(x["end"].as<double>()) : std::nullopt});
    }
    set.clips.push_back(std::move(clip));
  }
  return set;
}

Composer::Composer(const std::string& video, const Clip& clip, double fps)
    : cap_(video), clip_(clip), fps_(fps) {
  if (!cap_.isOpened()) throw std::runtime_error("cannot open " + video);
  for (const auto& e : clip_.effects) {
    if (e.kind == "paste" || e.kind == "move" || e.kind == "place") {
      cv::Mat src = read_at(e.src_time);
      patches_.push_back(src(rect_of(e.src, src.size())).clone());
    } else {
      patches_.emplace_back();
    }
    covers_.emplace_back();
    cover_masks_.emplace_back();
  }
  cap_.set(cv::CAP_PROP_POS_FRAMES, 0);
  if (clip_.still) {
    still_ = read_at(clip_.source_at);
  } else {
    // Sequential reads from the start: exact frames, no seeking inaccuracy.
    const int skip = static_cast<int>(std::lround(clip_.source_at * fps_));
    cap_.set(cv::CAP_PROP_POS_FRAMES, 0);
    for (int i = 0; i < skip; ++i) cap_.grab();
  }
}

cv::Mat Composer::read_at(double seconds) {
  cap_.set(cv::CAP_PROP_POS_FRAMES, 0);
  const int n = static_cast<int>(std::lround(seconds * fps_));
  for (int i = 0; i < n; ++i) cap_.grab();
  cv::Mat f;
  if (!cap_.read(f)) throw std::runtime_error("footage too short");
  return f.clone();
}

bool Composer::skip() {
  if (index_ / fps_ >= clip_.length) return false;
  if (!clip_.still && !cap_.grab()) return false;
  ++index_;
  return true;
}

bool Composer::next(cv::Mat& frame, double& t) {
  t = index_ / fps_;
  if (t >= clip_.length) return false;
  if (clip_.still) {
    still_.copyTo(frame_);
  } else if (!cap_.read(frame_)) {
    return false;
  }
  ++index_;
  if (clip_.noise > 0) {
    cv::Mat n(frame_.size(), CV_16SC3);
    cv::randn(n, 0, clip_.noise);
    cv::Mat f16;
    frame_.convertTo(f16, CV_16SC3);
    f16 += n;
    f16.convertTo(frame_, CV_8UC3);
  }
  for (std::size_t i = 0; i < clip_.effects.size(); ++i) {
    const Effect& e = clip_.effects[i];
    if (t < e.from || t > e.to) {
      if (!(e.kind == "move" || e.kind == "paste") || t < e.from) continue;
      if (e.kind == "move" || e.kind == "place") continue;  // walked away / taken away
    }
    if (e.kind == "paste" || e.kind == "place") {
      draw_patch(frame_, patches_[i], rect_of(e.dst, frame_.size()).tl());
    } else if (e.kind == "move") {
      const double k = std::clamp((t - e.from) / std::max(1e-6, e.to - e.from), 0.0, 1.0);
      std::vector<double> d = {e.dst[0] + k * (e.dst_end[0] - e.dst[0]),
                               e.dst[1] + k * (e.dst_end[1] - e.dst[1]), e.dst[2], e.dst[3]};
      draw_patch(frame_, patches_[i], rect_of(d, frame_.size()).tl());
    } else {
      apply(e, frame_, t);
    }
  }
  frame = frame_;
  return true;
}

void Composer::apply(const Effect& e, cv::Mat& f, double t) {
  if (e.kind == "gain") {
    const double k = std::clamp((t - e.from) / std::max(1e-6, e.to - e.from), 0.0, 1.0);
    f.convertTo(f, -1, e.g0 + k * (e.g1 - e.g0));
  } else if (e.kind == "exposure") {
    const int step = static_cast<int>(std::floor((t - e.from) / e.period));
    if (step % 2 == 0) f.convertTo(f, -1, e.g1);
  } else if (e.kind == "lights") {
    f.convertTo(f, -1, e.g1);
    cv::Mat glow(f.size(), CV_8UC3, cv::Scalar(0, 0, 0));
    for (std::size_t i = 0; i + 1 < e.spots.size(); i += 2) {
      cv::circle(glow,
                 cv::Point(static_cast<int>(e.spots[i] * f.cols),
                           static_cast<int>(e.spots[i + 1] * f.rows)),
                 f.cols / 40, cv::Scalar(120, 170, 200), cv::FILLED);
    }
    cv::GaussianBlur(glow, glow, cv::Size(0, 0), f.cols / 60.0);
    cv::add(f, glow, f);
  } else if (e.kind == "noise") {
    if (e.sigma > 0) {
      cv::Mat n(f.size(), CV_16SC3);
      cv::randn(n, 0, e.sigma);
      cv::Mat f16;
      f.convertTo(f16, CV_16SC3);
      f16 += n;
      f16.convertTo(f, CV_8UC3);
    }
    std::uniform_int_distribution<int> ux(0, f.cols - 1), uy(0, f.rows - 1), ul(8, 22), us(-4, 4);
    for (int i = 0; i < e.rain; ++i) {
      const cv::Point a(ux(rng_), uy(rng_));
      const int len = ul(rng_);
      cv::line(f, a, a + cv::Point(us(rng_), len), cv::Scalar(210, 210, 210), 1, cv::LINE_AA);
    }
  } else if (e.kind == "blank") {
    // An encoder's "no video" screen: one flat colour, no sensor noise.
    f.setTo(cv::Scalar(e.color.at(0), e.color.at(1), e.color.at(2)));
  } else if (e.kind == "cover" && (!e.dst.empty() || e.border > 0 || e.texture > 0 ||
                                   e.blotch > 0 || !e.color.empty() || e.shape != "rect")) {
    const std::size_t i = static_cast<std::size_t>(&e - clip_.effects.data());
    if (covers_[i].empty()) make_cover(e, f.size(), covers_[i], cover_masks_[i]);
    cv::Mat ff, noise(f.size(), CV_32FC3), out;
    f.convertTo(ff, CV_32FC3);
    cv::randn(noise, 0, 3);
    cv::Mat c = covers_[i] + noise;
    cv::Mat m3;
    cv::merge(std::vector<cv::Mat>{cover_masks_[i], cover_masks_[i], cover_masks_[i]}, m3);
    out = c.mul(m3) + ff.mul(cv::Scalar::all(1) - m3);
    out.convertTo(f, CV_8UC3);
  } else if (e.kind == "cover") {
    // A hand or cloth over the lens: dark, a soft uneven light leak, sensor noise.
    cv::Mat c(f.size(), CV_32FC1);
    for (int y = 0; y < c.rows; ++y) {
      float* row = c.ptr<float>(y);
      for (int x = 0; x < c.cols; ++x) {
        const double dx = (x - c.cols * 0.7) / c.cols, dy = (y - c.rows * 0.3) / c.rows;
        row[x] = static_cast<float>(e.level * (1.0 + 0.5 * std::exp(-(dx * dx + dy * dy) * 4)));
      }
    }
    cv::Mat n(f.size(), CV_32FC1);
    cv::randn(n, 0, 3);
    c += n;
    cv::Mat g;
    c.convertTo(g, CV_8UC1);
    cv::cvtColor(g, f, cv::COLOR_GRAY2BGR);
  } else if (e.kind == "shadow") {
    // A soft-edged band half the frame wide, its centre moving from x to dst_end[0].
    const double k = std::clamp((t - e.from) / std::max(1e-6, e.to - e.from), 0.0, 1.0);
    const double cx = (e.x + k * (e.dst_end.at(0) - e.x)) * f.cols;
    const double half = 0.25 * f.cols, soft = 0.15 * f.cols;
    for (int y = 0; y < f.rows; ++y) {
      auto* row = f.ptr<cv::Vec3b>(y);
      for (int x = 0; x < f.cols; ++x) {
        const double d = std::abs(x + 0.3 * y - cx);  // slanted edges
        const double w = std::clamp((half + soft - d) / soft, 0.0, 1.0);
        const double g = 1.0 - w * (1.0 - e.g1);
        for (int c = 0; c < 3; ++c) row[x][c] = cv::saturate_cast<uchar>(row[x][c] * g);
      }
    }
  } else if (e.kind == "blur") {
    cv::GaussianBlur(f, f, cv::Size(0, 0), e.sigma);
  } else if (e.kind == "shift") {
    const cv::Rect r(static_cast<int>(e.x * f.cols), static_cast<int>(e.y * f.rows),
                     static_cast<int>(f.cols / e.zoom), static_cast<int>(f.rows / e.zoom));
    cv::Mat crop = f(r & cv::Rect(0, 0, f.cols, f.rows)).clone();
    cv::resize(crop, f, f.size(), 0, 0, cv::INTER_LINEAR);
  } else {
    throw std::runtime_error("unknown effect " + e.kind);
  }
}

// What covers the lens, made once per effect: its area (`dst` rectangle, default the whole
// frame; `border` px left live around it; `shape: ellipse` within that rectangle, a hand),
// edges softened by `sigma` (something at the lens is out of focus), a colour (`color`, or
// grey `level`) with a soft light leak, a woven `texture` (period px, a textured cloth) and
// `blotch` (blotchy spray paint, amplitude in grey levels).
void Composer::make_cover(const Effect& e, cv::Size size, cv::Mat& image, cv::Mat& mask) {
  mask = cv::Mat::zeros(size, CV_32F);
  cv::Rect area = e.dst.empty() ? cv::Rect(0, 0, size.width, size.height) : rect_of(e.dst, size);
  const int b = static_cast<int>(e.border);
  area = cv::Rect(area.x + b, area.y + b, area.width - 2 * b, area.height - 2 * b);
  if (e.shape == "ellipse") {  // may reach past the frame (not clipped like a rectangle)
    const cv::Point2f c(static_cast<float>((e.dst.at(0) + e.dst.at(2) / 2) * size.width),
                        static_cast<float>((e.dst.at(1) + e.dst.at(3) / 2) * size.height));
    const cv::Size2f axes(static_cast<float>(e.dst.at(2) * size.width),
                          static_cast<float>(e.dst.at(3) * size.height));
    cv::ellipse(mask, cv::RotatedRect(c, axes, 0), cv::Scalar(1), cv::FILLED);
  } else {
    mask(area).setTo(1);
  }
  if (e.sigma > 0) {
    cv::GaussianBlur(mask, mask, cv::Size(0, 0), e.sigma);
    if (b > 0) {  // the live border stays live
      cv::Mat keep = cv::Mat::zeros(size, CV_32F);
      keep(area).setTo(1);
      mask = mask.mul(keep);
    }
  }
  const cv::Scalar base = e.color.size() == 3 ? cv::Scalar(e.color[0], e.color[1], e.color[2])
                                              : cv::Scalar::all(e.level);
  cv::Mat shade(size, CV_32F);
  for (int y = 0; y < size.height; ++y) {
    float* row = shade.ptr<float>(y);
    for (int x = 0; x < size.width; ++x) {
      const double dx = (x - size.width * 0.7) / size.width,
                   dy = (y - size.height * 0.3) / size.height;
      double v = 1.0 + 0.3 * std::exp(-(dx * dx + dy * dy) * 4);
      if (e.texture > 0) {  // a weave: threads both ways and a coarser check
        const double p = e.texture;
        v *= 1.0 + 0.25 * std::sin(2 * M_PI * x / p) * std::sin(2 * M_PI * y / p) +
             0.15 * (std::sin(2 * M_PI * (x + y) / (3 * p)) > 0 ? 1 : -1);
      }
      row[x] = static_cast<float>(v);
    }
  }
  if (e.blotch > 0) {
    cv::Mat low(9, 12, CV_32F), big;
    cv::randn(low, 0, 1);
    cv::resize(low, big, size, 0, 0, cv::INTER_CUBIC);
    shade += big * (e.blotch / std::max(1.0, base[1]));
  }
  std::vector<cv::Mat> ch;
  for (int c = 0; c < 3; ++c) ch.push_back(shade * base[c]);
  cv::merge(ch, image);
  if (e.texture > 0 && e.sigma > 0) cv::GaussianBlur(image, image, cv::Size(0, 0), e.sigma / 8);
}

}  // namespace gridsight::eval
