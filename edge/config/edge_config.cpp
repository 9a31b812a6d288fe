#include "edge/config/edge_config.h"

#include <filesystem>

#include "common/config/location.h"
#include "common/config/section.h"
#include "protocol/ids.h"

namespace gridsight::edge {

CameraConfig CameraConfig::read(config::Section& s) {
  CameraConfig c;
  c.id = s.required_string("id");
  if (!protocol::is_camera_id(c.id)) {
    s.fail("id", "must be a name of 1-64 [A-Za-z0-9._-] or a 20-digit GB/T 28181 code");
  }
  c.name = s.string("name", c.id);
  c.source_yaml = s.dump("detection");
  if (s.has("detection")) c.detection_yaml = s.section("detection").dump();
  c.location = config::read_location(s, "location");
  if (s.has("detection")) {
    auto d = s.section("detection");
    c.detection = analytics::AnalyticsConfig::read(d);
  }
  if (s.has("url")) {
    c.capture = capture::CameraConfig::read(s);  // reads id, url, ... and finishes the section
  } else {
    if (c.detection) s.fail("detection", "needs a video source: set url");
    s.finish();
  }
  return c;
}

SyntheticConfig SyntheticConfig::read(config::Section& s) {
  SyntheticConfig c;
  c.enabled = s.boolean("enabled", c.enabled);
  c.camera = s.string("camera", "");
  c.rate_hz = s.number("rate", c.rate_hz, 0.001, 100'000);
  c.count = static_cast<std::uint64_t>(s.integer("count", 0, 0, 1'000'000'000));
  c.evidence_bytes = s.bytes("evidence_bytes", 0, 0, 64 * 1024 * 1024);
  c.type = s.string("type", c.type);
  s.finish();
  return c;
}

EdgeConfig EdgeConfig::read(config::Section& root) {
  EdgeConfig c;
  c.device_id = root.string("device_id", c.device_id);
  if (!protocol::is_device_id(c.device_id)) {
    root.fail("device_id", "must be 1-64 of [A-Za-z0-9._-]");
  }
  c.data_dir = root.string("data_dir", c.data_dir);
  c.log_level = root.choice("log_level", c.log_level, {"trace", "debug", "info", "warn", "error"});
  auto m = root.section("mqtt");
  c.mqtt = mqtt::Options::read(m);
  auto o = root.section("outbox");
  c.outbox = OutboxConfig::read(o);
  auto u = root.section("uplink");
  c.uplink = UplinkConfig::read(u);
  for (auto& cam : root.list("cameras")) {
    c.cameras.push_back(CameraConfig::read(cam));
    for (std::size_t i = 0; i + 1 < c.cameras.size(); ++i) {
      if (c.cameras[i].id == c.cameras.back().id) cam.fail("id", "duplicate camera id");
    }
  }
  {
    auto ev = root.section("evidence");
    if (!ev.has("directory")) {
      c.evidence.directory = (std::filesystem::path(c.data_dir) / "evidence-work").string();
      // Read the rest with a directory in place: a copy of the section with defaults.
      auto defaults = config::load_string("directory: " + c.evidence.directory, ev.file());
      if (ev.has("pre_roll") || ev.has("post_roll") || ev.has("ring_max_bytes") || ev.has("clip") ||
          ev.has("snapshot") || ev.has("jpeg_quality") || ev.has("max_wait") ||
          ev.has("max_pending")) {
        ev.fail("directory", "is required when evidence settings are given");
      }
      c.evidence = evidence::EvidenceConfig::read(defaults);
      ev.finish();
    } else {
      c.evidence = evidence::EvidenceConfig::read(ev);
    }
  }
  auto syn = root.section("synthetic");
  c.synthetic = SyntheticConfig::read(syn);
  if (c.synthetic.enabled) {
    if (c.cameras.empty()) syn.fail("enabled", "the synthetic source needs a configured camera");
    if (c.synthetic.camera.empty()) c.synthetic.camera = c.cameras.front().id;
    if (!c.camera(c.synthetic.camera)) syn.fail("camera", "no camera with this id is configured");
  }
  root.finish();
  return c;
}

EdgeConfig EdgeConfig::load(const std::string& path) {
  auto root = config::load_file(path);
  return read(root);
}

EdgeConfig EdgeConfig::defaults() {
  auto root = config::load_string(std::string(mqtt::kEmbeddedDefaultsYaml) + R"yaml(
cameras:
  - id: cam-demo
    name: Demo walkway
    location: {lon: 120.15507, lat: 30.27408, crs: WGS84}
)yaml",
                                  "<embedded defaults>");
  return read(root);
}

const CameraConfig* EdgeConfig::camera(const std::string& id) const {
  for (const auto& c : cameras) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

}  // namespace gridsight::edge
