#include "edge/daemon/zone_editing.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/config/section.h"
#include "edge/config/detection_edit.h"
#include "edge/config/edge_config.h"
#include "edge/daemon/device_services.h"
#include "protocol/event.h"

namespace gridsight::edge {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// In place (the file may be the only writable path in its folder), then fsync.
void write_text(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string err = std::strerror(errno);
      ::close(fd);
      throw std::runtime_error("writing " + path + ": " + err);
    }
    done += static_cast<std::size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) throw std::runtime_error("fsync " + path + ": " + std::strerror(errno));
}

nlohmann::json location_json(const CameraConfig& c) {
  if (!c.location) return nullptr;
  return {{"lon", c.location->lon},
          {"lat", c.location->lat},
          {"crs", protocol::to_string(c.location->crs)}};
}

}  // namespace

struct ZoneEditing::Edit {
  std::string yaml;      // the section
  std::string text;      // the whole file with it
  std::string previous;  // the file before
  std::string problem;   // empty: accepted
};

ZoneEditing::ZoneEditing(std::string config_path, std::filesystem::path backup_dir,
                         DeviceServices& services)
    : config_path_(std::move(config_path)),
      backup_dir_(std::move(backup_dir)),
      services_(services) {}

nlohmann::json ZoneEditing::cameras() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& c : services_.camera_configs()) {
    nlohmann::json detection;
    try {
      detection = detection_json_from_yaml(c.detection_yaml);
    } catch (const std::exception&) {
      detection = nlohmann::json::object();
    }
    list.push_back(
        {{"id", c.id}, {"name", c.name}, {"location", location_json(c)}, {"detection", detection}});
  }
  return {{"cameras", list}, {"file", config_path_}, {"editable", !config_path_.empty()}};
}

ZoneEditing::Edit ZoneEditing::prepare(const std::string& camera,
                                       const nlohmann::json& detection) const {
  Edit e;
  if (config_path_.empty()) {
    e.problem = "the daemon runs on its embedded defaults: there is no configuration file to edit";
    return e;
  }
  try {
    e.yaml = detection_yaml_from_json(detection);
    e.previous = read_text(config_path_);
    e.text = with_detection(e.previous, config_path_, camera, e.yaml);
    // The check --check-config makes, on the edited text under the file's own name.
    auto root = config::load_string(e.text, config_path_);
    EdgeConfig::read(root);
  } catch (const std::exception& ex) {
    e.problem = ex.what();
  }
  return e;
}

nlohmann::json ZoneEditing::check(const std::string& camera, const nlohmann::json& detection) {
  const Edit e = prepare(camera, detection);
  nlohmann::json problems = nlohmann::json::array();
  if (!e.problem.empty()) problems.push_back(e.problem);
  return {{"ok", e.problem.empty()}, {"problems", problems}, {"yaml", e.yaml}};
}

nlohmann::json ZoneEditing::save(const std::string& camera, const nlohmann::json& detection) {
  std::lock_guard lock(mu_);
  Edit e = prepare(camera, detection);
  nlohmann::json r = {{"ok", false},
                      {"problems", nlohmann::json::array()},
                      {"yaml", e.yaml},
                      {"file", config_path_}};
  if (e.problem.empty()) {
    try {
      std::filesystem::create_directories(backup_dir_);
      std::ofstream(backup_dir_ / "edge.yaml.before-zone-edit", std::ios::binary | std::ios::trunc)
          << e.previous;
      write_text(config_path_, e.text);
      spdlog::info("zones: camera {}'s detection section written to {} (the previous file is {})",
                   camera, config_path_, (backup_dir_ / "edge.yaml.before-zone-edit").string());
      r["reload"] = services_.reload();
      r["ok"] = true;
    } catch (const std::exception& ex) {
      e.problem = ex.what();
    }
  }
  if (!e.problem.empty()) {
    spdlog::warn("zones: camera {}'s detection section refused: {}", camera, e.problem);
    r["problems"].push_back(e.problem);
  }
  return r;
}

}  // namespace gridsight::edge
