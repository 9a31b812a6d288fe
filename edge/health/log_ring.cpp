#include "edge/health/log_ring.h"

#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <memory>

namespace gridsight::edge::health {

namespace {
std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt>& ring() {
  static std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> r;
  return r;
}
}  // namespace

void LogRing::install(std::size_t capacity) {
  if (ring()) return;
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(capacity);
  sink->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %v");
  spdlog::default_logger()->sinks().push_back(sink);
  ring() = sink;
}

std::vector<std::string> LogRing::last(std::size_t n) {
  if (!ring()) return {};
  return ring()->last_formatted(n);
}

}  // namespace gridsight::edge::health
