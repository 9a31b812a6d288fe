#include "edge/analytics/detectors/objects/objects_detector.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "edge/analytics/detectors/objects/static_regions.h"
#include "edge/analytics/detectors/shared/channel.h"
#include "edge/analytics/detectors/shared/foreground.h"
#include "edge/analytics/objects/object_detector.h"
#include "edge/analytics/objects/tracker.h"

namespace gridsight::analytics {
namespace {

std::vector<std::vector<Point>> zone_polygons(const AnalyticsConfig& c) {
  std::vector<std::vector<Point>> out;
  for (const auto& z : c.zones) out.push_back(z.polygon);
  return out;
}

constexpr float kVehicleTravel = 0.05f;

// The distance between a point and a box (0 inside), normalised units.
float distance_to(const cv::Rect2f& b, cv::Point2f p) {
  const float dx = std::max({b.x - p.x, 0.f, p.x - (b.x + b.width)});
  const float dy = std::max({b.y - p.y, 0.f, p.y - (b.y + b.height)});
  return std::hypot(dx, dy);
}

class ObjectsDetector final : public Detector {
 public:
  explicit ObjectsDetector(const DetectorSetup& setup)
      : s_(setup.config->objects),
        detector_(make_object_detector(s_, setup.model)),
        tracker_(s_, zone_polygons(*setup.config)),
        statics_(s_, setup.config->motion.shadow_uniformity),
        config_(setup.config),
        blobs_(detector_->uses_foreground()) {
    owned_.reserve(64);
    for (const Rule* rule : setup.rules) {
      std::vector<int> zones;
      for (const auto& id : rule->zones) {
        zones.push_back(static_cast<int>(setup.config->zone(id) - setup.config->zones.data()));
      }
      if (zones.empty()) zones.push_back(-1);
      for (int z : zones) {
        const Zone* zone = z >= 0 ? &setup.config->zones[static_cast<std::size_t>(z)] : nullptr;
        Watch w;
        w.rule = rule;
        w.zone = z;
        ChannelSpec spec = rule_channel(
            *rule, zone, setup,
            rule->detector == DetectorKind::kParking ? "vehicle"
            : rule->detector == DetectorKind::kLeftObject || rule->detector == DetectorKind::kStall
                ? "object"
                : "person");
        spec.attributes["detector"] = detector_->name();
        if (rule->detector == DetectorKind::kLeftObject) {
          // The event starts when the object was left; it is reported after the dwell.
          spec.attributes["dwell_s"] = std::to_string(rule->dwell_ms / 1000);
          owner_radius_ = std::max(owner_radius_, rule->near);
          owners_ = true;
        }
        w.channel = setup.engine->add_channel(std::move(spec));
        watches_.push_back(w);
        needs_statics_ |=
            rule->detector == DetectorKind::kLeftObject || rule->detector == DetectorKind::kStall;
      }
    }
  }

  const char* name() const override { return "objects"; }

  void reset() override {
    tracker_.reset();
    statics_.reset();
    last_scan_ms_ = last_detect_ms_ = -1;
    seen_n_ = 0;
    owned_.clear();
  }

  void process(const FrameContext& f, RuleEngine& engine) override {
    if (!f.foreground || !f.foreground_valid) {
      tracker_.predict(f.pts_ms);
      return;
    }
    const std::int64_t t = f.pts_ms;
    bool ran = false;
    dets_.clear();
    ObjectInput in;
    in.frame = f.image;
    in.foreground = f.foreground;
    if (detector_->uses_foreground()) {
      detector_->detect(in, dets_);
      ran = true;
    } else if (last_scan_ms_ < 0 || t - last_scan_ms_ >= s_.scan_interval_ms) {
      detector_->detect(in, dets_);  // the whole frame, on schedule
      last_scan_ms_ = last_detect_ms_ = t;
      ran = true;
    } else if (t - last_detect_ms_ >= s_.detect_interval_ms && motion_regions(*f.foreground, in)) {
      detector_->detect(in, dets_);
      last_detect_ms_ = t;
      ran = true;
    }
    if (ran) {
      tracker_.update(dets_, t);
    } else {
      tracker_.predict(t);
    }
    if (needs_statics_) {
      people_.clear();
      for (const auto& tr : tracker_.tracks()) {
        if (cls_of(tr) == ObjectClass::kPerson && tr.confirmed(s_.confirm_ms)) {
          people_.push_back(tr.box);
        }
      }
      statics_.update(*f.gray, f.foreground->mask(), f.foreground->background(), people_, t);
      if (owners_) associate_owners(t);
    }
    for (const Watch& w : watches_) evaluate(w, t, engine);
  }

 private:
  struct Watch {
    const Rule* rule = nullptr;
    int zone = -1;
    std::size_t channel = 0;
  };

  // Where people were in the last seconds (a ring, no allocation), to find who left an object.
  struct Seen {
    std::int64_t t = 0, track = 0;
    cv::Point2f foot;
  };
  static constexpr std::size_t kSeen = 1024;
  // A static region and the person who brought it (-1: nobody seen with it).
  struct Owned {
    std::int64_t region = 0, owner = -1;
  };
  static constexpr std::int64_t kOwnerBeforeMs = 3'000, kOwnerAfterMs = 1'500;

  // Records where people are, then gives each new static region its owner: the person whose
  // feet were closest to it (within the rules' `near`) around the time it was left.
  void associate_owners(std::int64_t t) {
    for (const auto& tr : tracker_.tracks()) {
      if (cls_of(tr) != ObjectClass::kPerson || tr.missing) continue;
      seen_[seen_n_++ % kSeen] = Seen{t, tr.id, tr.foot()};
    }
    for (std::size_t i = 0; i < owned_.size();) {  // regions gone: forget their owners
      const auto& regions = statics_.regions();
      const bool alive = std::any_of(regions.begin(), regions.end(),
                                     [&](const auto& r) { return r.id == owned_[i].region; });
      if (alive) {
        ++i;
      } else {
        owned_[i] = owned_.back();
        owned_.pop_back();
      }
    }
    for (const auto& r : statics_.regions()) {
      if (std::any_of(owned_.begin(), owned_.end(),
                      [&](const Owned& o) { return o.region == r.id; })) {
        continue;
      }
      Owned o{r.id, -1};
      float best = static_cast<float>(owner_radius_);
      const std::size_t n = std::min(seen_n_, kSeen);
      for (std::size_t k = 0; k < n; ++k) {
        const Seen& p = seen_[k];
        if (p.t < r.left_ms - kOwnerBeforeMs || p.t > r.left_ms + kOwnerAfterMs) continue;
        const float d = distance_to(r.box, p.foot);
        if (d <= best) {
          best = d;
          o.owner = p.track;
        }
      }
      if (owned_.size() < 64) owned_.push_back(o);  // bounded (reserved)
    }
  }

  // The person who left the region is still with it (within `near`). Nobody seen bringing
  // it: attended while anybody is near it (a person standing still, a vendor's stock).
  bool attended_by_owner(const StaticRegions::Region& r, double near) const {
    for (const Owned& o : owned_) {
      if (o.region != r.id) continue;
      if (o.owner < 0) return people_near(r.box, near) > 0;
      for (const auto& tr : tracker_.tracks()) {
        if (tr.id == o.owner) return distance_to(r.box, tr.foot()) <= near;
      }
      return false;  // the owner's track is gone: they left
    }
    return false;
  }

  // Regions with motion: foreground blobs enlarged by half their size (context for the
  // detector); more than max_regions: their union.
  bool motion_regions(const Foreground& fg, ObjectInput& in) const {
    const cv::Size size = fg.mask().size();
    const float w = static_cast<float>(size.width), h = static_cast<float>(size.height);
    for (const auto& b : fg.blobs()) {
      cv::Rect2f r(b.box.x / w, b.box.y / h, b.box.width / w, b.box.height / h);
      const float gx = r.width * 0.5f + 0.02f, gy = r.height * 0.5f + 0.02f;
      r = cv::Rect2f(r.x - gx, r.y - gy, r.width + 2 * gx, r.height + 2 * gy) &
          cv::Rect2f(0, 0, 1, 1);
      bool merged = false;
      for (auto& o : in.regions) {
        if ((o & r).area() > 0) {
          o |= r;
          merged = true;
          break;
        }
      }
      if (!merged) in.regions.push_back(r);
    }
    if (static_cast<int>(in.regions.size()) > s_.max_regions) {
      cv::Rect2f u = in.regions.front();
      for (const auto& r : in.regions) u |= r;
      in.regions.assign(1, u);
    }
    return !in.regions.empty();
  }

  // Blobs know size and shape only: a "vehicle" that has never moved is a static object
  // (vehicles are seen arriving); a model's class is taken as it is.
  ObjectClass cls_of(const Track& tr) const {
    if (blobs_ && tr.cls == ObjectClass::kVehicle && tr.travelled < kVehicleTravel) {
      return ObjectClass::kOther;
    }
    return tr.cls;
  }
  int people_near(const cv::Rect2f& box, double near) const {
    int people = 0;
    for (const auto& tr : tracker_.tracks()) {
      if (cls_of(tr) == ObjectClass::kPerson && tr.confirmed(s_.confirm_ms) &&
          distance_to(box, tr.centre()) <= near) {
        ++people;
      }
    }
    return people;
  }

  bool in_zone(const Track& tr, int zone) const {
    return zone < 0 || (static_cast<std::size_t>(zone) < tr.zone_since.size() &&
                        tr.zone_since[static_cast<std::size_t>(zone)] >= 0);
  }
  std::int64_t zone_time(const Track& tr, int zone, std::int64_t t) const {
    return zone < 0 ? tr.dwell_ms(t) : t - tr.zone_since[static_cast<std::size_t>(zone)];
  }
  bool region_in_zone(const StaticRegions::Region& r, int zone) const {
    if (zone < 0) return true;
    const auto& poly = config_->zones[static_cast<std::size_t>(zone)].polygon;
    return inside_polygon(poly, r.box.x + r.box.width / 2, r.box.y + r.box.height / 2);
  }
  // A static region is an object (not a person or vehicle standing still).
  bool is_object(const StaticRegions::Region& r) const {
    for (const auto& tr : tracker_.tracks()) {
      if (cls_of(tr) != ObjectClass::kPerson && cls_of(tr) != ObjectClass::kVehicle) continue;
      if (!tr.confirmed(s_.confirm_ms)) continue;
      const float inter = (tr.box & r.box).area();
      if (inter > 0.3f * r.box.area()) return false;
    }
    return true;
  }

  void add_box(const cv::Rect2f& b, float conf, std::int64_t id) {
    if (n_ == boxes_.size()) return;
    NormBox& nb = boxes_[n_++];
    nb.x = b.x;
    nb.y = b.y;
    nb.w = b.width;
    nb.h = b.height;
    nb.confidence = conf;
    nb.track_id = id;
  }

  void evaluate(const Watch& w, std::int64_t t, RuleEngine& engine) {
    const Rule& rule = *w.rule;
    n_ = 0;
    double conf = 0;
    int count = 0;
    switch (rule.detector) {
      case DetectorKind::kLoitering:
      case DetectorKind::kCrowd:
        for (const auto& tr : tracker_.tracks()) {
          if (cls_of(tr) != ObjectClass::kPerson || !tr.confirmed(s_.confirm_ms)) continue;
          if (!in_zone(tr, w.zone)) continue;
          // Loitering: this person has stayed the dwell; crowd: people who stay, not pass.
          if (zone_time(tr, w.zone, t) < rule.dwell_ms) continue;
          ++count;
          conf += tr.confidence;
          add_box(tr.box, tr.confidence, tr.id);
        }
        if (count >= (rule.detector == DetectorKind::kCrowd ? rule.min_count : 1)) {
          engine.observe(w.channel, conf / count, boxes_.data(), n_);
        }
        return;
      case DetectorKind::kParking:
        for (const auto& tr : tracker_.tracks()) {
          if (!(rule.classes >> static_cast<int>(cls_of(tr)) & 1) || !tr.confirmed(s_.confirm_ms)) {
            continue;
          }
          if (!in_zone(tr, w.zone) || tr.stationary_ms(t) < rule.dwell_ms) continue;
          if (w.zone >= 0 && zone_time(tr, w.zone, t) < rule.dwell_ms) continue;
          ++count;
          conf += tr.confidence;
          add_box(tr.box, tr.confidence, tr.id);
        }
        if (count > 0) engine.observe(w.channel, conf / count, boxes_.data(), n_);
        return;
      case DetectorKind::kLeftObject:
      case DetectorKind::kStall: {
        std::int64_t left_ms = -1;
        for (const auto& r : statics_.regions()) {
          if (!r.reportable() || r.age_ms(t) < rule.dwell_ms || !region_in_zone(r, w.zone) ||
              !is_object(r)) {
            continue;
          }
          if (rule.detector == DetectorKind::kStall) {
            if (people_near(r.box, rule.near) < rule.min_count) continue;  // a vendor beside it
          } else if (attended_by_owner(r, rule.near)) {
            continue;  // left object: unattended once the person who brought it has gone
          }
          ++count;
          add_box(r.box, 0.6f, -1);
          if (left_ms < 0 || r.left_ms < left_ms) left_ms = r.left_ms;
        }
        if (count > 0) {
          engine.observe(w.channel, 0.6, boxes_.data(), n_,
                         rule.detector == DetectorKind::kLeftObject ? left_ms : -1);
        }
        return;
      }
      default:
        return;
    }
  }

  ObjectSettings s_;
  std::unique_ptr<ObjectDetector> detector_;
  Tracker tracker_;
  StaticRegions statics_;
  const AnalyticsConfig* config_;
  std::vector<Watch> watches_;
  bool blobs_ = false;
  bool needs_statics_ = false;
  std::vector<Detection> dets_;
  std::vector<cv::Rect2f> people_;
  std::int64_t last_scan_ms_ = -1, last_detect_ms_ = -1;
  std::array<NormBox, RuleEngine::kMaxBoxes> boxes_{};
  std::size_t n_ = 0;
  bool owners_ = false;  // a left_object rule: who brought each object
  double owner_radius_ = 0;
  std::array<Seen, kSeen> seen_{};
  std::size_t seen_n_ = 0;
  std::vector<Owned> owned_;
};

}  // namespace

std::unique_ptr<Detector> make_objects_detector(const DetectorSetup& setup) {
  return std::make_unique<ObjectsDetector>(setup);
}

}  // namespace gridsight::analytics
