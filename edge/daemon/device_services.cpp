#include "edge/daemon/device_services.h"

#include <spdlog/spdlog.h>

#include "common/config/section.h"
#include "common/tls/credential_check.h"
#include "edge/daemon/video_pipeline.h"
#include "edge/health/log_ring.h"
#include "edge/outbox/outbox.h"
#include "edge/uplink/uplink.h"

namespace gridsight::edge {

DeviceServices::DeviceServices(const EdgeConfig& running, Outbox& outbox, VideoPipeline& video,
                               Clock& clock, Metrics& metrics, Options options)
    : current_(running),
      outbox_(outbox),
      video_(video),
      clock_(clock),
      options_(std::move(options)),
      collector_(health::Identity{running.device_id, options_.version, options_.started_ms,
                                  running.data_dir, options_.config_path},
                 *this, clock) {
  handler_ = std::make_unique<commands::CommandHandler>(
      *this,
      [this](const std::string& payload) {
        if (!uplink_ || !uplink_->publish_command_result(payload)) {
          spdlog::warn("commands: not connected, a command result was not sent");
        }
      },
      clock, metrics);
}

DeviceServices::~DeviceServices() {
  stop();
}

void DeviceServices::attach(Uplink& uplink) {
  uplink_ = &uplink;
  uplink.on_command([this](std::string payload) { handler_->submit(std::move(payload)); });
}

void DeviceServices::start() {
  handler_->start();
}

void DeviceServices::stop() {
  handler_->stop();
}

std::string DeviceServices::telemetry() {
  auto j = collector_.collect().to_json();
  // When this box's certificate and fleet CA expire: the aggregator alerts well before.
  std::string cert_file, ca_file;
  {
    std::lock_guard lock(mu_);
    if (current_.mqtt.tls.enabled) {
      cert_file = current_.mqtt.tls.cert_file;
      ca_file = current_.mqtt.tls.ca_file;
    }
  }
  if (!cert_file.empty()) {
    std::int64_t cert = 0, ca = 0;
    tls::certificate_not_after(cert_file, cert);
    tls::certificate_not_after(ca_file, ca);
    j["tls"] = {{"certificate_expires_ms", cert * 1000}, {"ca_expires_ms", ca * 1000}};
  }
  return j.dump();
}

nlohmann::json DeviceServices::reload() {
  std::lock_guard serial(reload_mu_);
  if (options_.config_path.empty()) {
    throw commands::CommandError("no configuration file to reload (embedded defaults)");
  }
  EdgeConfig next;
  try {
    next = EdgeConfig::load(options_.config_path);
    if (options_.overrides) options_.overrides(next);
  } catch (const config::Error& e) {
    spdlog::error("reload: configuration refused, the running one stays: {}", e.what());
    throw commands::CommandError(std::string("configuration refused: ") + e.what());
  }
  nlohmann::json needs_restart = nlohmann::json::array();
  {
    std::lock_guard lock(mu_);
    auto differs = [&](const char* what, bool changed) {
      if (changed) needs_restart.push_back(what);
    };
    differs("device_id", next.device_id != current_.device_id);
    differs("data_dir", next.data_dir != current_.data_dir);
    differs("mqtt", next.mqtt.host != current_.mqtt.host || next.mqtt.port != current_.mqtt.port ||
                        next.mqtt.topic_root != current_.mqtt.topic_root);
    differs("synthetic", next.synthetic.enabled != current_.synthetic.enabled ||
                             next.synthetic.camera != current_.synthetic.camera);
  }
  auto sum = video_.apply(next);
  {
    std::lock_guard lock(mu_);
    // Keep what only a restart changes; take the cameras.
    current_.cameras = next.cameras;
  }
  collector_.config_reloaded();
  auto list = [](const std::vector<std::string>& v) { return nlohmann::json(v); };
  nlohmann::json r = {{"started", list(sum.started)},
                      {"stopped", list(sum.stopped)},
                      {"restarted", list(sum.restarted)},
                      {"reconfigured", list(sum.reconfigured)},
                      {"unchanged", list(sum.unchanged)},
                      {"needs_restart", needs_restart},
                      {"config_sha256", collector_.collect().config_sha256}};
  spdlog::info("reload: configuration applied: {}", r.dump());
  if (!needs_restart.empty()) {
    spdlog::warn("reload: {} changed; these take effect after a restart", needs_restart.dump());
  }
  return r;
}

std::vector<health::CameraStatus> DeviceServices::cameras() const {
  auto video = video_.status();
  std::vector<health::CameraStatus> out;
  std::lock_guard lock(mu_);
  for (const auto& c : current_.cameras) {
    auto it = std::find_if(video.begin(), video.end(),
                           [&](const health::CameraStatus& s) { return s.id == c.id; });
    if (it != video.end()) {
      out.push_back(std::move(*it));
    } else {
      health::CameraStatus s;
      s.id = c.id;
      out.push_back(std::move(s));
    }
  }
  return out;
}

OutboxStats DeviceServices::outbox() const {
  return outbox_.stats();
}

UplinkStatus DeviceServices::mqtt() const {
  return uplink_ ? uplink_->status() : UplinkStatus{};
}

std::uint64_t DeviceServices::commands_refused() const {
  return handler_ ? handler_->refused() : 0;
}

std::optional<CameraConfig> DeviceServices::camera_config(const std::string& id) const {
  std::lock_guard lock(mu_);
  if (id.empty()) {
    if (current_.cameras.empty()) return std::nullopt;
    return current_.cameras.front();
  }
  if (const CameraConfig* c = current_.camera(id)) return *c;
  return std::nullopt;
}

std::vector<CameraConfig> DeviceServices::camera_configs() const {
  std::lock_guard lock(mu_);
  return current_.cameras;
}

bool DeviceServices::has_camera(const std::string& camera) const {
  std::lock_guard lock(mu_);
  return current_.camera(camera) != nullptr;
}

commands::CameraLook DeviceServices::look(const std::string& camera) {
  return video_.look(camera);
}

void DeviceServices::restart_camera(const std::string& camera) {
  if (!video_.restart(camera)) {
    throw commands::CommandError("camera " + camera + " has no video pipeline to restart");
  }
}

std::vector<std::string> DeviceServices::log_lines(std::size_t n) {
  return health::LogRing::last(n);
}

}  // namespace gridsight::edge
