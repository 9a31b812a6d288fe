#pragma once
// The aggregator's configuration: typed sections with defaults and bounds; unknown keys are
// refused and errors name the file, line and key (docs/configuration.md).

#include <string>

#include "aggregator/ingest/evidence_receiver.h"
#include "aggregator/ingest/ingest.h"
#include "common/mqtt/options.h"

namespace gridsight::config {
class Section;
}

namespace gridsight::aggregator {

struct AggregatorConfig {
  std::string data_dir = "gridsight-data/aggregator";
  std::string log_level = "info";
  mqtt::Options mqtt;
  IngestConfig ingest;
  EvidenceConfig evidence;

  static AggregatorConfig read(config::Section& root);
  static AggregatorConfig load(const std::string& path);
  static AggregatorConfig defaults();
};

}  // namespace gridsight::aggregator
