#include "aggregator/config/aggregator_config.h"

#include "common/config/section.h"

namespace gridsight::aggregator {

AggregatorConfig AggregatorConfig::read(config::Section& root) {
  AggregatorConfig c;
  c.data_dir = root.string("data_dir", c.data_dir);
  c.log_level = root.choice("log_level", c.log_level, {"trace", "debug", "info", "warn", "error"});
  auto m = root.section("mqtt");
  c.mqtt = mqtt::Options::read(m);
  if (c.mqtt.client_id.empty()) c.mqtt.client_id = "gridsight-aggregator";
  auto i = root.section("ingest");
  c.ingest = IngestConfig::read(i);
  auto e = root.section("evidence");
  c.evidence.device_quota_bytes = e.bytes("device_quota", c.evidence.device_quota_bytes, 0, 1ULL << 44);
  c.evidence.max_hash_failures =
      static_cast<int>(e.integer("max_hash_failures", c.evidence.max_hash_failures, 1, 100));
  e.finish();
  root.finish();
  return c;
}

AggregatorConfig AggregatorConfig::load(const std::string& path) {
  auto root = config::load_file(path);
  return read(root);
}

AggregatorConfig AggregatorConfig::defaults() {
  auto root = config::load_string("{}", "<embedded defaults>");
  return read(root);
}

}  // namespace gridsight::aggregator
