#include "edge/discovery/report.h"

#include <nlohmann/json.hpp>
#include <string>

namespace gridsight::edge::discovery {
namespace {

const char* role_of(const DeviceInfo& d, const StreamProfile& p) {
  if (&p == d.main_stream()) return "main";
  if (&p == d.sub_stream()) return "sub";
  return "";
}

std::string resolution(const StreamProfile& p) {
  return std::to_string(p.width) + "x" + std::to_string(p.height);
}

std::string fps_text(double fps) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", fps);
  return b;
}

}  // namespace

nlohmann::json to_json(const ScanResult& r) {
  nlohmann::json cams = nlohmann::json::array();
  for (const auto& c : r.cameras) {
    const DeviceInfo& d = c.device;
    nlohmann::json profiles = nlohmann::json::array();
    for (const auto& p : d.profiles) {
      nlohmann::json j = {{"token", p.token},    {"name", p.name},   {"role", role_of(d, p)},
                          {"codec", p.encoding}, {"width", p.width}, {"height", p.height},
                          {"fps", p.fps},        {"uri", p.uri}};
      if (!p.error.empty()) j["error"] = p.error;
      profiles.push_back(std::move(j));
    }
    nlohmann::json j = {{"id", c.id},
                        {"name", c.name},
                        {"endpoint", c.endpoint},
                        {"host", c.host},
                        {"device_url", d.device_url},
                        {"manufacturer", d.manufacturer},
                        {"model", d.model},
                        {"firmware", d.firmware},
                        {"serial", d.serial},
                        {"media_url", d.media_url},
                        {"ok", d.ok()},
                        {"profiles", std::move(profiles)}};
    if (!d.ok()) j["error"] = d.error;
    cams.push_back(std::move(j));
  }
  return {{"cameras", std::move(cams)},
          {"probe",
           {{"answers", r.probe.matches.size()},
            {"malformed", r.probe.malformed},
            {"unrelated", r.probe.unrelated},
            {"errors", r.probe.errors}}}};
}

void print_table(std::FILE* out, const ScanResult& r) {
  for (const auto& e : r.probe.errors) std::fprintf(out, "discovery error: %s\n", e.c_str());
  if (r.cameras.empty()) {
    std::fprintf(out, "no ONVIF camera answered\n");
    return;
  }
  std::fprintf(out, "%zu camera(s) found\n", r.cameras.size());
  for (const auto& c : r.cameras) {
    const DeviceInfo& d = c.device;
    std::fprintf(out, "\n%s  \"%s\"  %s %s  serial %s  firmware %s\n", c.id.c_str(), c.name.c_str(),
                 d.manufacturer.c_str(), d.model.c_str(), d.serial.c_str(), d.firmware.c_str());
    std::fprintf(out, "  device %s\n", d.device_url.c_str());
    if (!d.ok()) {
      std::fprintf(out, "  error: %s\n", d.error.c_str());
      continue;
    }
    std::fprintf(out, "  %-14s %-5s %-6s %-11s %-5s %s\n", "PROFILE", "ROLE", "CODEC", "RESOLUTION",
                 "FPS", "RTSP URI");
    for (const auto& p : d.profiles) {
      std::fprintf(out, "  %-14s %-5s %-6s %-11s %-5s %s\n", p.name.c_str(), role_of(d, p),
                   p.encoding.c_str(), resolution(p).c_str(), fps_text(p.fps).c_str(),
                   p.uri.empty() ? ("(" + p.error + ")").c_str() : p.uri.c_str());
    }
  }
}

}  // namespace gridsight::edge::discovery
