#pragma once
// Logging: spdlog to stderr (journald picks it up under systemd), one format for both sides.

#include <string>

namespace gridsight {

// level: trace|debug|info|warn|error. Throws std::invalid_argument for anything else.
void setup_logging(const std::string& name, const std::string& level);

}  // namespace gridsight
