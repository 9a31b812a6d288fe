#include "edge/analytics/detectors/line_crossing/line_crossing_detector.h"

#include <array>
#include <cmath>

#include "edge/analytics/detectors/shared/foreground.h"

namespace gridsight::analytics {
namespace {

constexpr std::size_t kMaxTracks = 64;
constexpr std::size_t kMaxLines = 16;
constexpr std::int64_t kTrackTimeoutMs = 1'000;
constexpr std::int64_t kRefractoryMs = 3'000;  // one track crosses one line once per 3 s
constexpr int kMinAge = 2;                     // frames before a track may count

// > 0: p is right of a->b (image coordinates, y down), < 0: left.
double side(double ax, double ay, double bx, double by, double px, double py) {
  return (bx - ax) * (py - ay) - (by - ay) * (px - ax);
}

class LineCrossingDetector final : public Detector {
 public:
  explicit LineCrossingDetector(const DetectorSetup& setup) : size_(setup.work_size) {
    for (const Rule* rule : setup.rules) {
      std::vector<const Line*> lines;
      for (const auto& id : rule->lines) lines.push_back(setup.config->line(id));
      if (lines.empty()) {
        for (const auto& l : setup.config->lines) lines.push_back(&l);
      }
      for (const Line* line : lines) {
        if (wires_.size() == kMaxLines) break;
        Wire w;
        w.ax = line->from.x * size_.width;
        w.ay = line->from.y * size_.height;
        w.bx = line->to.x * size_.width;
        w.by = line->to.y * size_.height;
        w.direction = line->direction;
        ChannelSpec spec;
        spec.rule_id = rule->id;
        spec.type = rule->type;
        spec.zone = line->id;
        spec.box_label = "object";
        spec.instant = true;
        spec.cooldown_ms = rule->cooldown_ms;
        spec.min_confidence = rule->min_confidence;
        spec.location = line->location;
        if (!rule->schedule.empty()) spec.schedule = *setup.config->schedule(rule->schedule);
        spec.utc_offset_min = setup.config->utc_offset_min;
        spec.attributes["line"] = line->id;
        w.channel = setup.engine->add_channel(std::move(spec));
        wires_.push_back(w);
      }
    }
    max_jump_ = 0.12 * size_.width;
  }

  const char* name() const override { return "line_crossing"; }

  void reset() override { n_tracks_ = 0; }

  void process(const FrameContext& f, RuleEngine& engine) override {
    if (!f.foreground || !f.foreground_valid) return;
    for (std::size_t i = 0; i < n_tracks_; ++i) tracks_[i].matched = false;
    for (const auto& b : f.foreground->blobs()) {
      // Nearest unmatched track.
      std::size_t best = kMaxTracks;
      double best_d = max_jump_;
      for (std::size_t i = 0; i < n_tracks_; ++i) {
        if (tracks_[i].matched) continue;
        const double d = std::hypot(tracks_[i].x - b.foot_x, tracks_[i].y - b.foot_y);
        if (d < best_d) {
          best_d = d;
          best = i;
        }
      }
      if (best == kMaxTracks) {
        if (n_tracks_ == kMaxTracks) continue;
        Track& t = tracks_[n_tracks_++];
        t = Track{};
        t.id = next_track_++;
        t.x = b.foot_x;
        t.y = b.foot_y;
        t.seen_ms = f.pts_ms;
        t.matched = true;
        continue;
      }
      Track& t = tracks_[best];
      t.matched = true;
      ++t.age;
      const double px = t.x, py = t.y;
      t.x = b.foot_x;
      t.y = b.foot_y;
      t.seen_ms = f.pts_ms;
      if (t.age < kMinAge) continue;
      for (std::size_t k = 0; k < wires_.size(); ++k) {
        const Wire& w = wires_[k];
        const double s0 = side(w.ax, w.ay, w.bx, w.by, px, py);
        const double s1 = side(w.ax, w.ay, w.bx, w.by, t.x, t.y);
        if ((s0 < 0) == (s1 < 0) || s0 == 0) continue;
        // The movement must cross the segment itself, not its extension.
        const double q0 = side(px, py, t.x, t.y, w.ax, w.ay);
        const double q1 = side(px, py, t.x, t.y, w.bx, w.by);
        if ((q0 < 0) == (q1 < 0)) continue;
        const bool to_right = s1 > 0;
        if (w.direction == Direction::kLeftToRight && !to_right) continue;
        if (w.direction == Direction::kRightToLeft && to_right) continue;
        if (f.pts_ms - t.crossed_ms[k] < kRefractoryMs) continue;
        t.crossed_ms[k] = f.pts_ms;
        NormBox nb;
        nb.x = static_cast<float>(b.box.x) / size_.width;
        nb.y = static_cast<float>(b.box.y) / size_.height;
        nb.w = static_cast<float>(b.box.width) / size_.width;
        nb.h = static_cast<float>(b.box.height) / size_.height;
        nb.confidence = 0.7f;
        nb.track_id = t.id;
        engine.observe(w.channel, 0.7, &nb, 1);
      }
    }
    // Drop tracks not seen for a while (swap-remove, no allocation).
    for (std::size_t i = 0; i < n_tracks_;) {
      if (f.pts_ms - tracks_[i].seen_ms > kTrackTimeoutMs) {
        tracks_[i] = tracks_[--n_tracks_];
      } else {
        ++i;
      }
    }
  }

 private:
  struct Wire {
    double ax = 0, ay = 0, bx = 0, by = 0;
    Direction direction = Direction::kAny;
    std::size_t channel = 0;
  };
  struct Track {
    std::int64_t id = 0;
    double x = 0, y = 0;
    std::int64_t seen_ms = 0;
    int age = 0;
    bool matched = false;
    std::array<std::int64_t, kMaxLines> crossed_ms;
    Track() { crossed_ms.fill(INT64_MIN / 2); }
  };
  cv::Size size_;
  double max_jump_ = 0;
  std::vector<Wire> wires_;
  std::array<Track, kMaxTracks> tracks_{};
  std::size_t n_tracks_ = 0;
  std::int64_t next_track_ = 1;
};

}  // namespace

std::unique_ptr<Detector> make_line_crossing_detector(const DetectorSetup& setup) {
  return std::make_unique<LineCrossingDetector>(setup);
}

}  // namespace gridsight::analytics
