#pragma once
// The most recent log lines, kept in memory for the `diagnostics` command and the status
// page. install() adds a ring sink to the default logger (call once, after setup_logging and
// before other threads log).

#include <cstddef>
#include <string>
#include <vector>

namespace gridsight::edge::health {

class LogRing {
 public:
  // Keeps the last `capacity` formatted lines of the default logger.
  static void install(std::size_t capacity);
  // The last `n` lines, oldest first (empty if install() was never called).
  static std::vector<std::string> last(std::size_t n);
};

}  // namespace gridsight::edge::health
