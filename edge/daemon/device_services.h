#pragma once
// The edge's maintenance side, wired by the daemon: the health report (telemetry and
// diagnostics), remote commands, and configuration reload (SIGHUP or the reload_config
// command). A reload re-reads the file; an invalid one is refused (the error names
// file:line:key) and the running configuration stays. Camera changes are applied by the video
// pipeline; changes to other sections (device id, MQTT, outbox, uplink, evidence, data dir)
// are reported as needing a restart.

#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "edge/commands/command_handler.h"
#include "edge/config/edge_config.h"
#include "edge/health/health.h"

namespace gridsight {
class Clock;
class Metrics;
}  // namespace gridsight

namespace gridsight::edge {

class Outbox;
class Uplink;
class VideoPipeline;

class DeviceServices final : public health::HealthSource, public commands::CommandTarget {
 public:
  struct Options {
    std::string config_path;                     // empty: embedded defaults (no reload)
    std::function<void(EdgeConfig&)> overrides;  // command-line overrides, re-applied
    std::string version;
    std::int64_t started_ms = 0;
  };
  DeviceServices(const EdgeConfig& running, Outbox& outbox, VideoPipeline& video, Clock& clock,
                 Metrics& metrics, Options options);
  ~DeviceServices() override;

  // Commands arrive through the uplink and their results leave through it.
  void attach(Uplink& uplink);
  void start();
  void stop();

  // The telemetry body (the health report as JSON).
  std::string telemetry();
  health::HealthReport report() const { return collector_.collect(); }
  const health::Collector& collector() const { return collector_; }

  // The running configuration of camera `id` (empty: the first one); nullopt if none.
  std::optional<CameraConfig> camera_config(const std::string& id) const;
  std::vector<CameraConfig> camera_configs() const;

  // Re-reads the configuration file (see above). Throws commands::CommandError if refused.
  nlohmann::json reload();

  // health::HealthSource
  std::vector<health::CameraStatus> cameras() const override;
  OutboxStats outbox() const override;
  UplinkStatus mqtt() const override;
  std::uint64_t commands_refused() const override;

  // commands::CommandTarget
  bool has_camera(const std::string& camera) const override;
  nlohmann::json reload_config() override { return reload(); }
  commands::CameraLook look(const std::string& camera) override;
  void restart_camera(const std::string& camera) override;
  nlohmann::json health() override { return collector_.collect().to_json(); }
  std::vector<std::string> log_lines(std::size_t n) override;

 private:
  EdgeConfig current_;
  Outbox& outbox_;
  VideoPipeline& video_;
  Clock& clock_;
  Options options_;
  Uplink* uplink_ = nullptr;
  mutable std::mutex mu_;  // current_
  std::mutex reload_mu_;   // one reload at a time
  health::Collector collector_;
  std::unique_ptr<commands::CommandHandler> handler_;
};

}  // namespace gridsight::edge
