#pragma once
// The rule engine: turns per-frame conditions into incidents, on stream time.
//
// A channel is one (rule, zone / line / tamper subtype). Each analysed frame, detectors call
// observe() for the channels whose condition holds in that frame; step(t) then advances
// every channel:
//  - an incident opens once the condition has held for the rule's minimum duration (gaps up
//    to end_hold do not interrupt it); its start is when the condition began;
//  - while it lasts, an update record every update_interval (if set);
//  - it closes when the condition has been absent for longer than end_hold; its end is the
//    last frame the condition held;
//  - after it closes, the channel stays quiet for the cool-down;
//  - an instant channel (line crossing) opens and closes on the frame it is observed.
// No allocation per frame unless an incident record is produced.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "edge/analytics/config/analytics_config.h"
#include "edge/analytics/rules/incident.h"

namespace gridsight::analytics {

// A box in normalised coordinates, without strings (kept per frame without allocating).
struct NormBox {
  float x = 0, y = 0, w = 0, h = 0;
  float confidence = 0;
  std::int64_t track_id = -1;
};

struct ChannelSpec {
  std::string rule_id;
  std::string type;
  std::string zone;  // zone / line id, or empty
  std::string box_label = "object";
  Route route = Route::kGrid;
  bool instant = false;
  std::int64_t min_duration_ms = 0;
  std::int64_t end_hold_ms = 0;
  std::int64_t cooldown_ms = 0;
  std::int64_t update_interval_ms = 0;
  double min_confidence = 0;
  std::optional<Schedule> schedule;  // inactive outside it
  int utc_offset_min = 0;
  std::optional<protocol::GeoPoint> location;
  std::map<std::string, std::string> attributes;  // copied into every record
};

class RuleEngine {
 public:
  static constexpr std::size_t kMaxBoxes = 16;

  std::size_t add_channel(ChannelSpec spec);
  std::size_t channels() const { return channels_.size(); }
  const ChannelSpec& spec(std::size_t channel) const { return channels_[channel].spec; }

  // The condition of `channel` holds in the frame being analysed. `began_ms` (optional): the
  // detector knows the condition began earlier than it can first be reported (a left object:
  // when it was left, reported after its dwell); the incident's start is then that time.
  void observe(std::size_t channel, double confidence, const NormBox* boxes = nullptr,
               std::size_t n_boxes = 0, std::int64_t began_ms = -1);
  // Ends the frame at stream time t_ms: appends records to `out` (not cleared).
  void step(std::int64_t t_ms, std::vector<Incident>& out);
  // Closes every open incident (end of stream, reconfiguration) at its last held time.
  void flush(std::vector<Incident>& out);

  bool is_open(std::size_t channel) const { return channels_[channel].open; }
  std::size_t open_count() const;

 private:
  struct Channel {
    ChannelSpec spec;
    bool seen = false;  // observed in the current frame
    double frame_confidence = 0;
    std::int64_t frame_began_ms = -1;
    std::array<NormBox, kMaxBoxes> frame_boxes{};
    std::size_t frame_n = 0;

    bool holding = false;  // the condition is (still) considered to hold
    std::int64_t since_ms = 0;
    std::int64_t last_ms = 0;
    bool open = false;
    std::uint64_t incident_id = 0;
    std::int64_t last_record_ms = 0;
    double peak_confidence = 0;
    std::array<NormBox, kMaxBoxes> boxes{};
    std::size_t n = 0;
    std::optional<std::int64_t> quiet_until;
  };
  Incident record(Channel& c, Phase phase) const;

  std::vector<Channel> channels_;
  std::uint64_t next_id_ = 1;
};

}  // namespace gridsight::analytics
