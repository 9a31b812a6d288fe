#include "aggregator/cases/engine_config.h"

#include "common/config/section.h"

namespace gridsight::cases {

std::size_t escalation_code_length(const std::string& level) {
  if (level == "grid") return 15;
  if (level == "community") return 12;
  if (level == "street") return 9;
  if (level == "district") return 6;
  return 0;
}

EngineConfig EngineConfig::read(config::Section& s) {
  EngineConfig c;
  c.reminder_share = s.number("reminder_share", c.reminder_share, 0.05, 0.99);
  c.max_supervision_rounds =
      static_cast<int>(s.integer("max_supervision_rounds", c.max_supervision_rounds, 0, 10));
  if (s.has("escalation_levels")) {
    c.escalation_levels = s.strings("escalation_levels");
    for (const auto& l : c.escalation_levels) {
      if (escalation_code_length(l) == 0) {
        s.fail("escalation_levels", "\"" + l + "\" is not grid, community, street or district");
      }
    }
  }
  if (static_cast<int>(c.escalation_levels.size()) < c.max_supervision_rounds) {
    s.fail("escalation_levels", "needs one level per supervision round");
  }
  c.supervision_interval_minutes =
      s.integer("supervision_interval_working_minutes", c.supervision_interval_minutes, 1, 100'000);
  c.keep_spots_ms = s.duration_ms("keep_spots", c.keep_spots_ms, 60'000, 400LL * 86'400'000);
  c.system_actor = s.string("system_actor", c.system_actor);
  s.finish();
  return c;
}

}  // namespace gridsight::cases
