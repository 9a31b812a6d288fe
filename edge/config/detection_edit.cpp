#include "edge/config/detection_edit.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <regex>
#include <sstream>
#include <vector>

#include "common/config/section.h"

namespace gridsight::edge {
namespace {

bool plain_key(const std::string& k) {
  static const std::regex re("[A-Za-z_][A-Za-z0-9_]*");
  return std::regex_match(k, re);
}

std::string key_text(const std::string& k) {
  return plain_key(k) ? k : nlohmann::json(k).dump();
}

// A JSON scalar as YAML: JSON's double-quoted strings and numbers are YAML too.
std::string scalar(const nlohmann::json& v) {
  return v.is_null() ? "null" : v.dump();
}

bool flat(const nlohmann::json& v) {
  if (!v.is_array() && !v.is_object()) return true;
  for (const auto& e : v) {
    if (e.is_array() || e.is_object()) return false;
  }
  return true;
}

std::string flow(const nlohmann::json& v) {
  if (v.is_array()) {
    std::string out = "[";
    for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + scalar(v[i]);
    return out + "]";
  }
  if (v.is_object()) {
    std::string out = "{";
    bool first = true;
    for (const auto& [k, e] : v.items()) {
      out += (first ? "" : ", ") + key_text(k) + ": " + scalar(e);
      first = false;
    }
    return out + "}";
  }
  return scalar(v);
}

void emit_map(const nlohmann::json& map, int indent, std::string& out, bool first_inline);

// A list of maps (or of lists) in block style.
void emit_list(const nlohmann::json& list, int indent, std::string& out) {
  for (const auto& e : list) {
    out += std::string(static_cast<std::size_t>(indent), ' ') + "- ";
    if (e.is_object() && !e.empty()) {
      emit_map(e, indent + 2, out, true);
    } else {
      out += flow(e) + "\n";
    }
  }
}

void emit_map(const nlohmann::json& map, int indent, std::string& out, bool first_inline) {
  bool first = true;
  for (const auto& [k, v] : map.items()) {
    if (!(first && first_inline)) out += std::string(static_cast<std::size_t>(indent), ' ');
    first = false;
    out += key_text(k) + ":";
    if (flat(v) || v.empty()) {
      out += " " + flow(v) + "\n";
    } else if (v.is_object()) {
      out += "\n";
      emit_map(v, indent + 2, out, false);
    } else {
      out += "\n";
      emit_list(v, indent + 2, out);
    }
  }
}

nlohmann::json to_json(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json o = nlohmann::json::object();
      for (const auto& kv : n) o[kv.first.as<std::string>()] = to_json(kv.second);
      return o;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json a = nlohmann::json::array();
      for (const auto& e : n) a.push_back(to_json(e));
      return a;
    }
    case YAML::NodeType::Scalar: {
      const std::string s = n.Scalar();
      if (n.Tag() == "!") return s;  // quoted: a string whatever it looks like
      if (s == "true" || s == "false") return s == "true";
      if (!s.empty()) {
        char* end = nullptr;
        const double d = std::strtod(s.c_str(), &end);
        if (end && *end == '\0') return d;
      }
      return s;
    }
    default:
      return nullptr;
  }
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::string line;
  std::istringstream in(text);
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// Indentation of a line with content; -1 for blank lines and comment-only lines.
int content_indent(const std::string& line) {
  const auto p = line.find_first_not_of(' ');
  if (p == std::string::npos || line[p] == '#') return -1;
  return static_cast<int>(p);
}

// One past the last content line of the block that starts at `from` and holds lines indented
// more than `indent` (comments and blank lines before the next key stay with that key).
std::size_t block_end(const std::vector<std::string>& lines, std::size_t from, int indent) {
  std::size_t end = from + 1;
  for (std::size_t i = from + 1; i < lines.size(); ++i) {
    const int ind = content_indent(lines[i]);
    if (ind < 0) continue;
    if (ind <= indent) break;
    end = i + 1;
  }
  return end;
}

}  // namespace

std::string detection_yaml_from_json(const nlohmann::json& detection) {
  if (!detection.is_object()) throw config::Error("detection: want an object");
  if (detection.empty()) return "{}\n";  // every default: the whole frame, no rules
  std::string out;
  emit_map(detection, 0, out, false);
  return out;
}

nlohmann::json detection_json_from_yaml(const std::string& yaml) {
  if (yaml.empty()) return nlohmann::json::object();
  const YAML::Node n = YAML::Load(yaml);
  return n.IsMap() ? to_json(n) : nlohmann::json::object();
}

std::string with_detection(const std::string& text, const std::string& file,
                           const std::string& camera_id, const std::string& block) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw config::Error(file + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  const YAML::Node cameras = root["cameras"];
  YAML::Node cam;
  bool have = false;
  if (cameras && cameras.IsSequence()) {
    for (std::size_t i = 0; i < cameras.size(); ++i) {
      const YAML::Node c = cameras[i];
      if (c.IsMap() && c["id"] && c["id"].IsScalar() && c["id"].Scalar() == camera_id) {
        cam = c;
        have = true;
        break;
      }
    }
  }
  if (!have) throw config::Error(file + ": no camera \"" + camera_id + "\" in cameras");
  auto lines = split_lines(text);
  const int key_col = cam.Mark().column;  // the column of the camera's keys
  const auto cam_line = static_cast<std::size_t>(cam.Mark().line);
  if (cam.Mark().is_null() || key_col < 0 || cam_line >= lines.size()) {
    throw config::Error(file + ": cannot locate camera \"" + camera_id + "\" in the text");
  }
  if (cam.Style() == YAML::EmitterStyle::Flow ||
      lines[cam_line].compare(static_cast<std::size_t>(key_col), 1, "{") == 0) {
    throw config::Error(file + ":" + std::to_string(cam.Mark().line + 1) + ": camera \"" +
                        camera_id +
                        "\" is written in flow style ({...}); write it as a block "
                        "to edit its zones here");
  }
  std::size_t from = 0, to = 0;
  bool found = false;
  for (const auto& kv : cam) {
    if (kv.first.Scalar() == "detection") {
      from = static_cast<std::size_t>(kv.first.Mark().line);
      if (static_cast<int>(kv.first.Mark().column) != key_col) {
        throw config::Error(file + ":" + std::to_string(from + 1) +
                            ": cannot find where camera \"" + camera_id + "\"'s detection ends");
      }
      to = block_end(lines, from, key_col);
      found = true;
    }
  }
  // No section yet: append it after the camera's last key (lines indented at least key_col).
  if (!found) from = to = block_end(lines, cam_line, key_col - 1);
  std::string pad(static_cast<std::size_t>(key_col), ' ');
  std::vector<std::string> replacement{pad + "detection:"};
  const auto block_lines = split_lines(block);
  if (block_lines.size() == 1 && (block[0] == '{' || block[0] == '[')) {
    replacement.front() += " " + block_lines.front();  // a flow value stays on the key's line
  } else {
    for (const auto& l : block_lines) replacement.push_back(pad + "  " + l);
  }
  lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(from),
              lines.begin() + static_cast<std::ptrdiff_t>(to));
  lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(from), replacement.begin(),
               replacement.end());
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

}  // namespace gridsight::edge
