#include "aggregator/config/aggregator_config.h"

#include <filesystem>

#include "common/config/section.h"

namespace gridsight::aggregator {

CasesConfig CasesConfig::read(config::Section& s) {
  CasesConfig c;
  c.enabled = s.boolean("enabled", false);
  // Relative to the folder of the file the section came from.
  const std::filesystem::path base = std::filesystem::path(s.file()).parent_path();
  auto path = [&](const char* key, bool required) {
    std::string v = s.string(key, "");
    if (v.empty()) {
      if (c.enabled && required) s.fail(key, "is required when cases are enabled");
      return v;
    }
    std::filesystem::path p(v);
    if (p.is_relative() && !s.file().empty() && s.file().front() != '<') p = base / p;
    if (c.enabled && !std::filesystem::exists(p)) s.fail(key, "no such file: " + p.string());
    return p.string();
  };
  c.grid_file = path("grid_file", true);
  c.cameras_file = path("cameras_file", true);
  c.classes_file = path("classes_file", true);
  c.calendar_file = path("calendar_file", true);
  c.engine_file = path("engine_file", false);
  c.tick_interval_ms = s.duration_ms("tick_interval", c.tick_interval_ms, 100, 600'000);
  c.poison_attempts = static_cast<int>(s.integer("poison_attempts", c.poison_attempts, 1, 100));
  c.poison_retry_ms = s.duration_ms("poison_retry", c.poison_retry_ms, 10, 600'000);
  s.finish();
  return c;
}

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
  c.evidence.device_quota_bytes =
      e.bytes("device_quota", c.evidence.device_quota_bytes, 0, 1ULL << 44);
  c.evidence.max_hash_failures =
      static_cast<int>(e.integer("max_hash_failures", c.evidence.max_hash_failures, 1, 100));
  e.finish();
  auto cs = root.section("cases");
  c.cases = CasesConfig::read(cs);
  auto ind = root.section("indicators");
  c.indicators = cases::IndicatorConfig::read(ind);
  auto fl = root.section("fleet");
  c.fleet = fleet::FleetConfig::read(fl);
  auto cn = root.section("connector");
  c.connector = connector::ConnectorConfig::read(cn);
  if (c.connector.enabled && !c.cases.enabled) cn.fail("enabled", "needs cases.enabled");
  auto as = root.section("api");
  c.api = api::ApiConfig::read(as);
  root.finish();
  return c;
}

AggregatorConfig AggregatorConfig::load(const std::string& path) {
  auto root = config::load_file(path);
  return read(root);
}

AggregatorConfig AggregatorConfig::defaults() {
  auto root = config::load_string(mqtt::kEmbeddedDefaultsYaml, "<embedded defaults>");
  return read(root);
}

}  // namespace gridsight::aggregator
