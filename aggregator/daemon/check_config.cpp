#include "aggregator/daemon/check_config.h"

#include <exception>
#include <functional>

#include "aggregator/cases/class_catalog.h"
#include "aggregator/cases/engine_config.h"
#include "aggregator/cases/working_calendar.h"
#include "aggregator/config/aggregator_config.h"
#include "aggregator/grid/camera_registry.h"
#include "aggregator/grid/grid_model.h"
#include "common/config/section.h"
#include "common/tls/credential_check.h"

namespace gridsight::aggregator {

std::vector<std::string> check_config_files(const AggregatorConfig& cfg, std::int64_t now_s) {
  std::vector<std::string> problems;
  if (cfg.mqtt.tls.enabled) {
    problems = tls::check_client_files(
        {cfg.mqtt.tls.ca_file, cfg.mqtt.tls.cert_file, cfg.mqtt.tls.key_file}, now_s);
  }
  if (!cfg.cases.enabled) return problems;
  auto attempt = [&](const std::string& key, const std::string& file,
                     const std::function<void()>& load) {
    try {
      load();
    } catch (const std::exception& e) {
      problems.push_back("cases." + key + " " + file + ": " + e.what());
    }
  };
  attempt("grid_file", cfg.cases.grid_file,
          [&] { static_cast<void>(grid::GridModel::load_file(cfg.cases.grid_file, {})); });
  attempt("cameras_file", cfg.cases.cameras_file, [&] {
    auto s = config::load_file(cfg.cases.cameras_file);
    static_cast<void>(grid::CameraRegistry::read(s));
  });
  attempt("classes_file", cfg.cases.classes_file, [&] {
    auto s = config::load_file(cfg.cases.classes_file);
    static_cast<void>(cases::ClassCatalog::read(s));
  });
  attempt("calendar_file", cfg.cases.calendar_file, [&] {
    auto s = config::load_file(cfg.cases.calendar_file);
    static_cast<void>(cases::WorkingCalendar::read(s));
  });
  if (!cfg.cases.engine_file.empty()) {
    attempt("engine_file", cfg.cases.engine_file, [&] {
      auto s = config::load_file(cfg.cases.engine_file);
      static_cast<void>(cases::EngineConfig::read(s));
    });
  }
  return problems;
}

}  // namespace gridsight::aggregator
