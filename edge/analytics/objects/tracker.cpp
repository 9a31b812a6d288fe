#include "edge/analytics/objects/tracker.h"

#include <algorithm>
#include <cmath>

namespace gridsight::analytics {

bool inside_polygon(const std::vector<Point>& poly, double x, double y) {
  bool in = false;
  for (std::size_t i = 0, j = poly.size() - 1; i < poly.size(); j = i++) {
    const Point& a = poly[i];
    const Point& b = poly[j];
    if ((a.y > y) != (b.y > y) && x < (b.x - a.x) * (y - a.y) / (b.y - a.y) + a.x) in = !in;
  }
  return in;
}

float Track::speed() const {
  return std::hypot(velocity.x, velocity.y);
}

Tracker::Tracker(const ObjectSettings& settings, std::vector<std::vector<Point>> zones)
    : s_(settings), zones_(std::move(zones)) {}

void Tracker::reset() {
  tracks_.clear();
  now_ = -1;
}

void Tracker::advance(std::int64_t t_ms) {
  const float dt = now_ < 0 ? 0.f : static_cast<float>(t_ms - now_) / 1000.f;
  now_ = t_ms;
  if (dt <= 0) return;
  for (auto& t : tracks_) {
    t.box.x += t.velocity.x * dt;
    t.box.y += t.velocity.y * dt;
  }
}

void Tracker::update_zones(Track& t) {
  t.zone_since.resize(zones_.size(), -1);
  const cv::Point2f f = t.foot();
  for (std::size_t z = 0; z < zones_.size(); ++z) {
    const bool in = inside_polygon(zones_[z], f.x, std::min(f.y, 0.999f));
    if (in && t.zone_since[z] < 0) t.zone_since[z] = now_;
    if (!in) t.zone_since[z] = -1;
  }
}

void Tracker::predict(std::int64_t t_ms) {
  advance(t_ms);
  std::erase_if(tracks_, [&](const Track& t) { return t_ms - t.last_seen_ms > s_.max_missed_ms; });
  for (auto& t : tracks_) {
    t.missing = true;
    update_zones(t);
  }
}

void Tracker::update(const std::vector<Detection>& dets, std::int64_t t_ms) {
  const std::int64_t prev = now_;
  // Predicted positions at t_ms (keep the pre-prediction boxes for velocity).
  std::vector<cv::Rect2f>& before = before_;  // kept: no allocation per frame
  before.clear();
  for (const auto& t : tracks_) before.push_back(t.box);
  advance(t_ms);

  pairs_.clear();
  const float max_d = static_cast<float>(s_.match_distance);
  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    const cv::Point2f c = tracks_[i].centre();
    for (std::size_t j = 0; j < dets.size(); ++j) {
      const auto& b = dets[j].box;
      const cv::Point2f dc(b.x + b.width / 2 - c.x, b.y + b.height / 2 - c.y);
      const float dist = std::hypot(dc.x, dc.y);
      const float ov = iou(tracks_[i].box, b);
      // Far from the prediction and no overlap: not the same object.
      const float reach = std::max(max_d, 0.75f * std::max(b.height, tracks_[i].box.height));
      if (ov <= 0 && dist > reach) continue;
      float score = ov + 0.5f * std::max(0.f, 1.f - dist / reach);
      if (dets[j].cls != tracks_[i].cls) score *= 0.8f;
      pairs_.push_back({score, i, j});
    }
  }
  std::sort(pairs_.begin(), pairs_.end(), [](const Pair& a, const Pair& b) {
    return a.score != b.score ? a.score > b.score
                              : (a.track != b.track ? a.track < b.track : a.det < b.det);
  });
  det_used_.assign(dets.size(), 0);
  track_used_.assign(tracks_.size(), 0);
  const float dt = prev < 0 ? 0.f : static_cast<float>(t_ms - prev) / 1000.f;
  for (const Pair& p : pairs_) {
    if (det_used_[p.det] || track_used_[p.track]) continue;
    det_used_[p.det] = track_used_[p.track] = 1;
    Track& t = tracks_[p.track];
    const Detection& d = dets[p.det];
    const cv::Point2f old_c(before[p.track].x + before[p.track].width / 2,
                            before[p.track].y + before[p.track].height / 2);
    const cv::Point2f new_c(d.box.x + d.box.width / 2, d.box.y + d.box.height / 2);
    if (dt > 0) {
      // Observed displacement since the last seen position over the time since then.
      const float since = std::max(dt, static_cast<float>(t_ms - t.last_seen_ms) / 1000.f);
      const cv::Point2f v = (new_c - old_c) * (1.f / since);
      t.velocity = 0.6f * t.velocity + 0.4f * v;
    }
    t.box = d.box;
    t.confidence = 0.7f * t.confidence + 0.3f * d.confidence;
    t.last_seen_ms = t_ms;
    t.missing = false;
    for (auto& v : t.votes) v *= 0.9f;  // recent frames count most (blobs split and merge)
    t.votes[static_cast<std::size_t>(d.cls)] += d.confidence;
    t.cls = static_cast<ObjectClass>(std::max_element(t.votes.begin(), t.votes.end()) -
                                     t.votes.begin());
    t.travelled = std::max(t.travelled, std::hypot(new_c.x - t.origin.x, new_c.y - t.origin.y));
    if (std::hypot(new_c.x - t.anchor.x, new_c.y - t.anchor.y) > s_.still_radius) {
      t.anchor = new_c;
      t.still_since_ms = t_ms;
    }
  }
  // Before each track's box was moved by its prediction; coasting ones keep the prediction,
  // but a track that was not seen stops drifting after half its allowed gap.
  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    if (track_used_[i]) continue;
    Track& t = tracks_[i];
    t.missing = true;
    if (t_ms - t.last_seen_ms > s_.max_missed_ms / 2) t.velocity = {0, 0};
  }
  std::erase_if(tracks_, [&](const Track& t) { return t_ms - t.last_seen_ms > s_.max_missed_ms; });
  for (std::size_t j = 0; j < dets.size(); ++j) {
    if (det_used_[j]) continue;
    Track t;
    t.id = next_id_++;
    t.cls = dets[j].cls;
    t.box = dets[j].box;
    t.confidence = dets[j].confidence;
    t.first_ms = t.last_seen_ms = t.still_since_ms = t_ms;
    t.anchor = t.origin = t.centre();
    t.votes[static_cast<std::size_t>(t.cls)] = dets[j].confidence;
    tracks_.push_back(std::move(t));
  }
  for (auto& t : tracks_) update_zones(t);
}

}  // namespace gridsight::analytics
