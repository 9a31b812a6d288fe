#pragma once
// The edge daemon's configuration: typed sections with defaults and bounds; unknown keys are
// refused and errors name the file, line and key (docs/configuration.md).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/mqtt/options.h"
#include "edge/analytics/config/analytics_config.h"
#include "edge/capture/config.h"
#include "edge/evidence/recorder.h"
#include "edge/outbox/outbox.h"
#include "edge/uplink/uplink.h"
#include "protocol/event.h"

namespace gridsight::config {
class Section;
}

namespace gridsight::edge {

struct CameraConfig {
  std::string id;  // a name or a 20-digit GB/T 28181 device code
  std::string name;
  std::optional<protocol::GeoPoint> location;  // where the camera looks (its default zone)
  // Video: present when the camera has a `url` (docs/capture.md); its keys sit beside id.
  std::optional<capture::CameraConfig> capture;
  // Zones, lines, rules (the `detection:` section, docs/analytics.md).
  std::optional<analytics::AnalyticsConfig> detection;
  // The camera's YAML without / with only its `detection:` part, to tell on a reload whether
  // its capture or its rules changed.
  std::string source_yaml;
  std::string detection_yaml;
  static CameraConfig read(config::Section& s);
};

// A synthetic event source bound to one configured camera: for tests, benchmarks and demos
// without video. Off unless explicitly enabled (config or --synthetic).
struct SyntheticConfig {
  bool enabled = false;
  std::string camera;                // id of a configured camera; default: the first one
  double rate_hz = 1.0;              // events per second
  std::uint64_t count = 0;           // stop after this many (0: never)
  std::uint64_t evidence_bytes = 0;  // attach a synthetic snapshot of this size (0: none)
  std::string type = "synthetic.test";
  static SyntheticConfig read(config::Section& s);
};

struct EdgeConfig {
  std::string device_id = "edge-demo";
  std::string data_dir = "gridsight-data/edge";
  std::string log_level = "info";
  mqtt::Options mqtt;
  OutboxConfig outbox;
  UplinkConfig uplink;
  std::vector<CameraConfig> cameras;
  SyntheticConfig synthetic;
  evidence::EvidenceConfig evidence;  // directory defaults to <data_dir>/evidence-work

  static EdgeConfig read(config::Section& root);
  static EdgeConfig load(const std::string& path);
  // The embedded defaults: a local broker, one demo camera.
  static EdgeConfig defaults();
  const CameraConfig* camera(const std::string& id) const;
};

}  // namespace gridsight::edge
