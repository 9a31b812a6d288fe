#pragma once
// Multi-object tracking (docs/analytics.md "Tracking"): detections of successive frames are
// joined into tracks by greedy assignment on overlap and centroid distance against each
// track's constant-velocity prediction; a track missing for up to max_missed keeps its id
// (short occlusions) and coasts on its velocity. Per track: dwell time, speed, time
// stationary, and per-zone time since entering.

#include <cstdint>
#include <opencv2/core/types.hpp>
#include <vector>

#include "edge/analytics/config/analytics_config.h"
#include "edge/analytics/objects/object_detector.h"

namespace gridsight::analytics {

struct Track {
  std::int64_t id = 0;
  ObjectClass cls = ObjectClass::kOther;  // the class most of its detections had
  cv::Rect2f box;                         // normalised, last estimate
  cv::Point2f velocity;                   // frame widths / heights per second
  float confidence = 0;
  std::int64_t first_ms = 0, last_seen_ms = 0;
  std::int64_t still_since_ms = 0;       // stationary (within still_radius) since
  cv::Point2f anchor;                    // where it has stood since still_since_ms
  cv::Point2f origin;                    // where it was first seen
  float travelled = 0;                   // farthest it has been from its origin (normalised)
  std::vector<std::int64_t> zone_since;  // per zone: inside since (ms), or -1
  std::array<float, kObjectClasses> votes{};
  bool missing = false;  // not detected in the last update (coasting)

  cv::Point2f centre() const { return {box.x + box.width / 2, box.y + box.height / 2}; }
  cv::Point2f foot() const { return {box.x + box.width / 2, box.y + box.height}; }
  std::int64_t dwell_ms(std::int64_t now) const { return now - first_ms; }
  std::int64_t stationary_ms(std::int64_t now) const { return now - still_since_ms; }
  float speed() const;  // normalised units per second
  bool confirmed(std::int64_t confirm_ms) const { return last_seen_ms - first_ms >= confirm_ms; }
};

class Tracker {
 public:
  // `zones`: the polygons membership is computed for (foot point inside), in this order.
  Tracker(const ObjectSettings& settings, std::vector<std::vector<Point>> zones);

  // One detection run at stream time t_ms.
  void update(const std::vector<Detection>& detections, std::int64_t t_ms);
  // No detection ran in this frame: tracks coast on their prediction (zones still updated).
  void predict(std::int64_t t_ms);
  void reset();

  const std::vector<Track>& tracks() const { return tracks_; }
  std::size_t zones() const { return zones_.size(); }
  std::int64_t now() const { return now_; }

 private:
  void advance(std::int64_t t_ms);
  void update_zones(Track& t);
  ObjectSettings s_;
  std::vector<std::vector<Point>> zones_;
  std::vector<Track> tracks_;
  std::int64_t next_id_ = 1;
  std::int64_t now_ = -1;
  struct Pair {
    float score;
    std::size_t track, det;
  };
  std::vector<Pair> pairs_;
  std::vector<char> det_used_, track_used_;
  std::vector<cv::Rect2f> before_;
};

bool inside_polygon(const std::vector<Point>& polygon, double x, double y);

}  // namespace gridsight::analytics
