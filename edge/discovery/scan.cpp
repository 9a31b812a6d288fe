#include "edge/discovery/scan.h"

#include <map>

#include "common/http/client.h"
#include "edge/discovery/config_writer.h"

namespace gridsight::edge::discovery {
namespace {

// The device service address to call among a device's XAddrs: the first http:// one whose
// host answered the probe (a camera may list addresses of other subnets), else the first.
std::string pick_xaddr(const ProbeMatch& m) {
  const std::string from_host = m.from.substr(0, m.from.rfind(':'));
  std::string first;
  for (const auto& x : m.xaddrs) {
    auto url = http::Url::parse(x);
    if (!url || url->tls()) continue;
    if (first.empty()) first = x;
    if (url->host == from_host) return x;
  }
  return first;
}

FoundCamera read_camera(const std::string& device_url, const ScanOptions& options) {
  FoundCamera cam;
  auto url = http::Url::parse(device_url);
  cam.host = url ? url->host : device_url;
  cam.id = camera_id_for(cam.host);
  http::ClientOptions client;
  client.connect_timeout_ms = options.call_timeout_ms;
  client.timeout_ms = options.call_timeout_ms;
  client.max_response_bytes = 1 << 20;  // SOAP answers are a few kilobytes
  OnvifDevice device(device_url, options.credentials, client);
  cam.device = device.read();
  return cam;
}

}  // namespace

ScanResult scan(const ScanOptions& options) {
  ScanResult result;
  if (options.use_ws_discovery) {
    result.probe = probe(options.probe);
    for (const auto& m : result.probe.matches) {
      const std::string xaddr = pick_xaddr(m);
      if (xaddr.empty()) continue;  // only HTTPS or unparsable addresses: not callable here
      FoundCamera cam = read_camera(xaddr, options);
      cam.endpoint = m.endpoint;
      cam.name = scope_value(m.scopes, "name");
      result.cameras.push_back(std::move(cam));
    }
  }
  for (const auto& url : options.device_urls) result.cameras.push_back(read_camera(url, options));
  for (auto& cam : result.cameras) {
    if (cam.name.empty()) {
      cam.name = cam.device.manufacturer;
      if (!cam.device.model.empty()) cam.name += (cam.name.empty() ? "" : " ") + cam.device.model;
    }
    if (cam.name.empty()) cam.name = cam.id;
  }
  // Two devices behind one address (ports differ): ids stay unique.
  std::map<std::string, int> seen;
  for (auto& cam : result.cameras) {
    if (int n = ++seen[cam.id]; n > 1) cam.id += "-" + std::to_string(n);
  }
  return result;
}

}  // namespace gridsight::edge::discovery
