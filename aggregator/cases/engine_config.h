#pragma once
// Engine settings that are not per class: reminders, supervision rounds, escalation levels.

#include <cstdint>
#include <string>
#include <vector>

namespace gridsight::config {
class Section;
}

namespace gridsight::cases {

struct EngineConfig {
  double reminder_share = 0.75;  // reminder when this share of the time limit has passed
  int max_supervision_rounds = 3;
  // Round n escalates to escalation_levels[n-1]: grid (15-digit code), community (12),
  // street (9), district (6).
  std::vector<std::string> escalation_levels = {"grid", "street", "district"};
  std::int64_t supervision_interval_minutes = 240;  // working minutes between rounds
  std::int64_t keep_spots_ms = 8LL * 86'400'000;    // merge/recurrence memory
  std::string system_actor = "system";

  static EngineConfig read(config::Section& s);
};

// Digits of a cell code at an escalation level name; 0 for an unknown name.
std::size_t escalation_code_length(const std::string& level);

}  // namespace gridsight::cases
