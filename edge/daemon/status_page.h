#pragma once
// Wires the on-device status page (edge/status, docs/status-page.md) to the daemon: its
// health report, each camera's latest frame, the metrics, recent events and the health check.

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>

#include "edge/status/recent_events.h"
#include "edge/status/status_server.h"

namespace gridsight {
class Metrics;
}

namespace gridsight::edge {

class Outbox;
class VideoPipeline;
struct EdgeConfig;

// Starts the status page when enabled (nullptr otherwise, or when it cannot bind: the box
// goes on delivering events and the error is logged). `report` gives the health report;
// `routes` are further pages behind its login (the zone editor).
std::unique_ptr<status::StatusServer> start_status_page(const EdgeConfig& config, Outbox& outbox,
                                                        VideoPipeline& video, Metrics& metrics,
                                                        status::RecentEvents& recent,
                                                        std::function<nlohmann::json()> report,
                                                        std::vector<status::Route> routes = {});

}  // namespace gridsight::edge
