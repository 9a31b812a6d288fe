#include "edge/analytics/rules/rule_engine.h"

#include <algorithm>
#include <cstdio>

namespace gridsight::analytics {

const char* to_string(Phase phase) {
  switch (phase) {
    case Phase::kOpened:
      return "opened";
    case Phase::kUpdated:
      return "updated";
    case Phase::kClosed:
      return "closed";
  }
  return "?";
}

protocol::Event to_event(const Incident& incident, const std::string& camera_id,
                         bool clock_synced) {
  protocol::Event e;
  e.camera_id = camera_id;
  e.type = incident.type;
  e.start_ms = incident.start_ms;
  e.end_ms = incident.end_ms;
  e.clock_synced = clock_synced;
  e.confidence = std::clamp(incident.confidence, 0.0, 1.0);
  e.zone = incident.zone;
  e.boxes = incident.boxes;
  e.location = incident.location;
  e.attributes = incident.attributes;
  e.attributes["rule"] = incident.rule_id;
  e.attributes["route"] = incident.route == Route::kFleet ? "fleet" : "grid";
  return e;
}

std::size_t RuleEngine::add_channel(ChannelSpec spec) {
  Channel c;
  c.spec = std::move(spec);
  channels_.push_back(std::move(c));
  return channels_.size() - 1;
}

void RuleEngine::observe(std::size_t channel, double confidence, const NormBox* boxes,
                         std::size_t n_boxes, std::int64_t began_ms) {
  Channel& c = channels_[channel];
  if (confidence < c.spec.min_confidence) return;
  c.seen = true;
  if (began_ms >= 0 && (c.frame_began_ms < 0 || began_ms < c.frame_began_ms)) {
    c.frame_began_ms = began_ms;
  }
  c.frame_confidence = std::max(c.frame_confidence, confidence);
  for (std::size_t i = 0; i < n_boxes && c.frame_n < kMaxBoxes; ++i) {
    c.frame_boxes[c.frame_n++] = boxes[i];
  }
}

Incident RuleEngine::record(Channel& c, Phase phase) const {
  Incident r;
  r.id = c.incident_id;
  r.phase = phase;
  r.route = c.spec.route;
  r.rule_id = c.spec.rule_id;
  r.type = c.spec.type;
  r.zone = c.spec.zone;
  r.start_ms = c.since_ms;
  if (phase == Phase::kClosed || c.spec.instant) r.end_ms = c.last_ms;
  r.confidence = c.peak_confidence;
  r.location = c.spec.location;
  r.attributes = c.spec.attributes;
  for (std::size_t i = 0; i < c.n; ++i) {
    const NormBox& b = c.boxes[i];
    protocol::Box box;
    auto clamp01 = [](double v) { return std::clamp(v, 0.0, 1.0); };
    box.x = clamp01(b.x);
    box.y = clamp01(b.y);
    box.w = std::min(clamp01(b.w), 1.0 - box.x);
    box.h = std::min(clamp01(b.h), 1.0 - box.y);
    box.label = c.spec.box_label;
    box.confidence = clamp01(b.confidence);
    if (b.track_id >= 0) box.track_id = b.track_id;
    r.boxes.push_back(std::move(box));
  }
  if (phase != Phase::kOpened || c.spec.instant) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld",
                  static_cast<long long>((c.last_ms - c.since_ms + 500) / 1000));
    r.attributes["duration_s"] = buf;
  }
  return r;
}

void RuleEngine::step(std::int64_t t_ms, std::vector<Incident>& out) {
  for (Channel& c : channels_) {
    bool seen = c.seen;
    if (seen && c.spec.schedule && !c.spec.schedule->active(t_ms, c.spec.utc_offset_min)) {
      seen = false;
    }
    const bool quiet = c.quiet_until && t_ms < *c.quiet_until;
    if (seen) {
      if (!c.holding) {
        c.holding = true;
        c.since_ms = c.frame_began_ms >= 0 ? std::min(c.frame_began_ms, t_ms) : t_ms;
        c.peak_confidence = 0;
        c.n = 0;
      }
      c.last_ms = t_ms;
      c.peak_confidence = std::max(c.peak_confidence, c.frame_confidence);
      if (c.frame_n > 0) {  // the latest boxes describe the incident
        c.boxes = c.frame_boxes;
        c.n = c.frame_n;
      }
      if (c.spec.instant) {
        if (!quiet) {
          c.incident_id = next_id_++;
          out.push_back(record(c, Phase::kOpened));
          out.push_back(record(c, Phase::kClosed));
          if (c.spec.cooldown_ms > 0) c.quiet_until = t_ms + c.spec.cooldown_ms;
        }
        c.holding = false;
      } else if (!c.open) {
        if (!quiet && t_ms - c.since_ms >= c.spec.min_duration_ms) {
          c.open = true;
          c.incident_id = next_id_++;
          c.last_record_ms = t_ms;
          out.push_back(record(c, Phase::kOpened));
        }
      } else if (c.spec.update_interval_ms > 0 &&
                 t_ms - c.last_record_ms >= c.spec.update_interval_ms) {
        c.last_record_ms = t_ms;
        out.push_back(record(c, Phase::kUpdated));
      }
    } else if (c.holding && t_ms - c.last_ms > c.spec.end_hold_ms) {
      c.holding = false;
      if (c.open) {
        c.open = false;
        out.push_back(record(c, Phase::kClosed));
        if (c.spec.cooldown_ms > 0) c.quiet_until = c.last_ms + c.spec.cooldown_ms;
      }
    }
    c.seen = false;
    c.frame_confidence = 0;
    c.frame_began_ms = -1;
    c.frame_n = 0;
  }
}

void RuleEngine::flush(std::vector<Incident>& out) {
  for (Channel& c : channels_) {
    if (c.open) {
      c.open = false;
      out.push_back(record(c, Phase::kClosed));
      if (c.spec.cooldown_ms > 0) c.quiet_until = c.last_ms + c.spec.cooldown_ms;
    }
    c.holding = false;
    c.seen = false;
    c.frame_n = 0;
  }
}

std::size_t RuleEngine::open_count() const {
  return static_cast<std::size_t>(
      std::count_if(channels_.begin(), channels_.end(), [](const Channel& c) { return c.open; }));
}

}  // namespace gridsight::analytics
