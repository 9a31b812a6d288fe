#pragma once
// A discovery scan: WS-Discovery probes (and/or known device addresses), then each device's
// services read one after the other. Used by `gridsight-edge discover`.

#include <cstdint>
#include <string>
#include <vector>

#include "edge/discovery/onvif_device.h"
#include "edge/discovery/ws_discovery.h"

namespace gridsight::edge::discovery {

struct ScanOptions {
  ProbeOptions probe;
  bool use_ws_discovery = true;          // false: only `device_urls`
  std::vector<std::string> device_urls;  // device service URLs read without a probe
  Credentials credentials;
  std::int64_t call_timeout_ms = 5'000;  // each SOAP call (connect and whole answer)
};

struct FoundCamera {
  std::string id;        // proposed camera id for the configuration
  std::string name;      // the device's name scope, else manufacturer and model
  std::string endpoint;  // WS-Discovery endpoint ("urn:uuid:..."); empty for --device
  std::string host;      // address of the device service
  DeviceInfo device;
};

struct ScanResult {
  std::vector<FoundCamera> cameras;
  ProbeResult probe;
};

ScanResult scan(const ScanOptions& options);

}  // namespace gridsight::edge::discovery
