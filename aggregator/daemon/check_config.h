#pragma once
// What `gridsight-aggregator --check-config` validates beyond the configuration file itself:
// the MQTT client's TLS files, and the grid engine's files loaded with the daemon's own
// loaders (grid, cameras, classes, calendar, engine settings).

#include <cstdint>
#include <string>
#include <vector>

namespace gridsight::aggregator {

struct AggregatorConfig;

// Every problem, one line each naming its file; empty when the daemon would load it all.
std::vector<std::string> check_config_files(const AggregatorConfig& cfg, std::int64_t now_s);

}  // namespace gridsight::aggregator
