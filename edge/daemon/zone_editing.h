#pragma once
// The zone editor's checks and saves for the daemon (docs/status-page.md, "Zone editor"). A
// camera's detection section, sent as JSON, is spliced into the configuration file's text
// (edge/config/detection_edit.h: the other lines and comments stay), validated by
// EdgeConfig::read on the edited text (the code --check-config runs), and on save written back
// in place and applied by a reload (only cameras whose sections changed are touched).

#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

namespace gridsight::edge {

class DeviceServices;

class ZoneEditing {
 public:
  // `backup_dir`: where the file's previous text is kept (edge.yaml.before-zone-edit).
  ZoneEditing(std::string config_path, std::filesystem::path backup_dir, DeviceServices& services);

  // {cameras: [{id, name, location, detection}], file}: the running configuration.
  nlohmann::json cameras() const;
  // {ok, problems: [...], yaml}: whether the file with this section would be accepted.
  nlohmann::json check(const std::string& camera, const nlohmann::json& detection);
  // As check; when accepted also written and reloaded: + {file, reload}.
  nlohmann::json save(const std::string& camera, const nlohmann::json& detection);

 private:
  struct Edit;
  Edit prepare(const std::string& camera, const nlohmann::json& detection) const;

  std::string config_path_;
  std::filesystem::path backup_dir_;
  DeviceServices& services_;
  std::mutex mu_;  // one save at a time
};

}  // namespace gridsight::edge
