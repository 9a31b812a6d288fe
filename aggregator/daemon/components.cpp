#include "aggregator/daemon/components.h"

#include <spdlog/spdlog.h>

#include <exception>

namespace gridsight::aggregator {

void Components::start() {
  for (; started_ < list_.size(); ++started_) {
    const Component& c = list_[started_];
    try {
      if (c.start) c.start();
    } catch (const std::exception& e) {
      spdlog::error("{}: does not start: {}", c.name, e.what());
      stop();
      throw;
    }
    spdlog::debug("{}: started", c.name);
  }
}

void Components::stop() {
  while (started_ > 0) {
    const Component& c = list_[--started_];
    try {
      if (c.stop) c.stop();
    } catch (const std::exception& e) {
      spdlog::error("{}: stop failed: {}", c.name, e.what());
    }
    spdlog::debug("{}: stopped", c.name);
  }
}

std::vector<std::string> Components::reload() {
  std::vector<std::string> fixed;
  for (const Component& c : list_) {
    if (c.reload) {
      c.reload();
    } else {
      fixed.push_back(c.name);
    }
  }
  return fixed;
}

}  // namespace gridsight::aggregator
