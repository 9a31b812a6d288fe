#pragma once
// The aggregator's parts, made from its configuration, as one declared list of components
// (components.h): the case service (replays, then takes pushed events), the platform
// connector, the HTTP API, the fleet monitor, ingest and the MQTT session, started in that
// order and stopped in reverse. See docs/architecture.md for the threads and an event's way.

#include <memory>

#include "aggregator/config/aggregator_config.h"
#include "aggregator/daemon/components.h"

namespace gridsight {
class Clock;
class Metrics;
}  // namespace gridsight

namespace gridsight::aggregator {

class Assembly {
 public:
  // Throws (config::Error, std::runtime_error) when a part cannot be made.
  Assembly(const AggregatorConfig& config, Clock& clock, Metrics& metrics);
  ~Assembly();
  Assembly(const Assembly&) = delete;
  Assembly& operator=(const Assembly&) = delete;

  Components& components();
  // The summary line the daemon logs every 10 s (when something changed).
  void log_summary();

 private:
  struct Parts;
  std::unique_ptr<Parts> p_;
};

}  // namespace gridsight::aggregator
