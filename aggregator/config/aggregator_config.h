#pragma once
// The aggregator's configuration: typed sections with defaults and bounds; unknown keys are
// refused and errors name the file, line and key (docs/configuration.md).

#include <string>

#include "aggregator/api/api_config.h"
#include "aggregator/cases/indicators.h"
#include "aggregator/dispatch/connector/connector_config.h"
#include "aggregator/fleet/fleet_config.h"
#include "aggregator/ingest/evidence_receiver.h"
#include "aggregator/ingest/ingest.h"
#include "common/mqtt/options.h"

namespace gridsight::config {
class Section;
}

namespace gridsight::aggregator {

// The grid engine: where its data lives (relative paths are taken from the config file's
// folder). Off unless enabled.
struct CasesConfig {
  bool enabled = false;
  std::string grid_file;      // GeoJSON grid cells (docs/grid-engine.md)
  std::string cameras_file;   // cameras and the spots their zones watch
  std::string classes_file;   // event classes, mapping from edge types, owners, time limits
  std::string calendar_file;  // working calendar
  std::string engine_file;    // engine settings (reminders, supervision); optional
  std::int64_t tick_interval_ms = 5'000;
  // An event the engine fails on this many times (while the store works) is dead-lettered;
  // the wait before the next attempt starts at poison_retry and doubles.
  int poison_attempts = 3;
  std::int64_t poison_retry_ms = 1'000;
  static CasesConfig read(config::Section& s);
};

struct AggregatorConfig {
  std::string data_dir = "gridsight-data/aggregator";
  std::string log_level = "info";
  mqtt::Options mqtt;
  IngestConfig ingest;
  EvidenceConfig evidence;
  CasesConfig cases;
  cases::IndicatorConfig indicators;     // rates shown by the API (docs/configuration.md)
  fleet::FleetConfig fleet;              // fleet table, alerts, remote commands (docs/fleet.md)
  connector::ConnectorConfig connector;  // docs/connector.md
  api::ApiConfig api;                    // the HTTP API (docs/api.md)

  static AggregatorConfig read(config::Section& root);
  static AggregatorConfig load(const std::string& path);
  static AggregatorConfig defaults();
};

}  // namespace gridsight::aggregator
