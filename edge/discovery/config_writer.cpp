#include "edge/discovery/config_writer.h"

#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "common/config/section.h"
#include "edge/config/edge_config.h"

namespace gridsight::edge::discovery {
namespace {

std::string percent_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

void write_file(const std::string& path, const std::string& text, mode_t mode) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) throw std::runtime_error(tmp + ": cannot write: " + std::strerror(errno));
    out << text;
    out.flush();
    if (!out) throw std::runtime_error(tmp + ": cannot write: " + std::strerror(errno));
  }
  ::chmod(tmp.c_str(), mode);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    throw std::runtime_error(path + ": cannot replace: " + why);
  }
}

}  // namespace

std::string with_credentials(const std::string& uri, const std::string& user,
                             const std::string& password) {
  const auto scheme_end = uri.find("://");
  if (user.empty() || scheme_end == std::string::npos) return uri;
  const auto authority = scheme_end + 3;
  const auto path = uri.find('/', authority);
  const auto at = uri.find('@', authority);
  if (at != std::string::npos && (path == std::string::npos || at < path)) return uri;
  return uri.substr(0, authority) + percent_encode(user) + ":" + percent_encode(password) + "@" +
         uri.substr(authority);
}

std::string camera_id_for(const std::string& host) {
  std::string id = "cam-";
  for (char c : host) {
    id.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '-');
  }
  return id.substr(0, 64);
}

WriteResult add_cameras(const std::string& path, const std::vector<CameraEntry>& cameras) {
  if (!std::filesystem::exists(path)) {
    // The box's configuration comes with its provisioning bundle (broker, certificates);
    // cameras are added to it, never to a configuration made up here.
    throw config::Error(path +
                        ": no such file: cameras are added to the box's provisioned "
                        "configuration");
  }
  // A configuration that is already refused is reported with its own lines, untouched.
  EdgeConfig::load(path);
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    throw config::Error(path + ":" + std::to_string(e.mark.line + 1) + ":" +
                        std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  struct stat st {};
  const mode_t mode = ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0640;
  if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) throw config::Error(path + ": the configuration is not a YAML map");
  YAML::Node list = root["cameras"];
  if (!list || list.IsNull()) {
    root["cameras"] = YAML::Node(YAML::NodeType::Sequence);
    list = root["cameras"];
  }
  if (!list.IsSequence()) {
    throw config::Error(path + ":" + std::to_string(list.Mark().line + 1) +
                        ": cameras: must be a list");
  }

  WriteResult result;
  for (const auto& cam : cameras) {
    YAML::Node existing;
    bool found = false;
    for (std::size_t i = 0; i < list.size() && !found; ++i) {
      YAML::Node item = list[i];
      if (item.IsMap() && item["id"] && item["id"].as<std::string>("") == cam.id) {
        existing.reset(item);
        found = true;
      }
    }
    if (found) {
      const bool changed = existing["url"].as<std::string>("") != cam.url ||
                           existing["sub_url"].as<std::string>("") != cam.sub_url;
      existing["url"] = cam.url;
      if (cam.sub_url.empty()) {
        existing.remove("sub_url");
      } else {
        existing["sub_url"] = cam.sub_url;
      }
      if (changed) result.updated.push_back(cam.id);
      continue;
    }
    YAML::Node n(YAML::NodeType::Map);
    n["id"] = cam.id;
    n["name"] = cam.name.empty() ? cam.id : cam.name;
    n["url"] = cam.url;
    if (!cam.sub_url.empty()) n["sub_url"] = cam.sub_url;
    list.push_back(n);
    result.added.push_back(cam.id);
  }

  YAML::Emitter out;
  out << root;
  std::string text = out.c_str();
  text += "\n";
  // Refuse what the daemon would refuse (and write nothing); the lines named are those of the
  // rewritten text.
  auto section = config::load_string(text, path + " (with the cameras added)");
  EdgeConfig::read(section);

  std::filesystem::copy_file(path, path + ".bak",
                             std::filesystem::copy_options::overwrite_existing);
  write_file(path, text, mode);
  return result;
}

}  // namespace gridsight::edge::discovery
