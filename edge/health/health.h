#pragma once
// The edge's health at one instant: cameras, outbox, MQTT, disk, CPU, memory, temperature,
// clock sync, version, uptime and configuration checksum (docs/fleet.md).
//
// One report serves three readers: the periodic telemetry message (protocol, "Telemetry"),
// the `diagnostics` remote command, and the on-device status page. Use:
//
//   edge::health::Collector collector(identity, source, clock);  // source: a HealthSource
//   edge::health::HealthReport r = collector.collect();          // any thread
//   std::string body = r.to_json().dump();
//
// The daemon implements HealthSource (its cameras, outbox and uplink); the collector adds
// what it reads from the system itself (/proc, /sys/class/thermal, statvfs, ntp_adjtime).

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "edge/capture/health.h"
#include "edge/outbox/outbox.h"
#include "edge/uplink/uplink.h"

namespace gridsight {
class Clock;
}

namespace gridsight::edge::health {

// An event the aggregator confirmed, as the report and the control socket show it.
nlohmann::json confirmed_json(const ConfirmedEvent& c);

// One camera. `capture` is the capture supervisor's view (absent for a camera without video,
// e.g. an events-only or synthetic camera).
struct CameraStatus {
  std::string id;
  std::optional<capture::CameraHealth> capture;
  std::int64_t state_since_ms = 0;          // wall clock of the last state change (0: unknown)
  std::uint64_t pipeline_starts = 0;        // times its pipeline was (re)built by this daemon
  std::int64_t pipeline_started_ms = 0;     // wall clock of the latest (re)build
  bool analytics = false;                   // has a rule set
  bool analytics_paused = false;            // tampered or off preset
  std::vector<std::string> rules;           // ids of the rules in force
  std::uint64_t rule_sets = 0;              // rule sets applied since the pipeline was built
  std::vector<std::string> open_incidents;  // "<type>@<zone>" currently open
};

struct DiskStatus {
  std::string path;
  std::uint64_t total_bytes = 0;
  std::uint64_t available_bytes = 0;
  double used_fraction = 0;  // 0..1
};

struct SystemStatus {
  double load1 = 0, load5 = 0, load15 = 0;
  int cpus = 0;
  std::uint64_t rss_bytes = 0;  // this process
  std::uint64_t mem_total_bytes = 0;
  std::uint64_t mem_available_bytes = 0;
  std::optional<double> temperature_c;  // hottest thermal zone, when the board has one
};

struct ClockStatus {
  bool synced = false;           // kernel says synchronised (STA_UNSYNC clear)
  std::int64_t maxerror_us = 0;  // kernel's maximum error estimate
  std::int64_t esterror_us = 0;
};

struct HealthReport {
  std::string device_id;
  std::int64_t at_ms = 0;
  std::string version;
  std::int64_t started_ms = 0;
  std::int64_t uptime_s = 0;
  std::string config_sha256;  // "sha256:<hex>" of the config file bytes ("" for embedded)
  std::uint64_t config_reloads = 0;
  std::vector<CameraStatus> cameras;
  OutboxStats outbox;
  std::optional<std::int64_t> oldest_unconfirmed_age_ms;  // now - oldest pending event
  UplinkStatus mqtt;
  DiskStatus disk;
  SystemStatus system;
  ClockStatus clock;
  std::uint64_t commands_refused = 0;

  // The telemetry body: {"schema","device_id","at_ms",...} (docs/protocol.md, "Telemetry").
  nlohmann::json to_json() const;
};

// What the daemon knows about itself; the collector asks on every collect().
class HealthSource {
 public:
  virtual ~HealthSource() = default;
  virtual std::vector<CameraStatus> cameras() const = 0;
  virtual OutboxStats outbox() const = 0;
  virtual UplinkStatus mqtt() const = 0;
  virtual std::uint64_t commands_refused() const { return 0; }
};

struct Identity {
  std::string device_id;
  std::string version;
  std::int64_t started_ms = 0;
  std::filesystem::path data_dir;
  std::string config_path;  // empty: embedded defaults
};

class Collector {
 public:
  Collector(Identity identity, const HealthSource& source, Clock& clock);
  HealthReport collect() const;
  // After a configuration reload: the new checksum (re-read from the file).
  void config_reloaded();
  // Overrides where temperatures are read (tests); default /sys/class/thermal.
  void set_thermal_root(std::filesystem::path root) { thermal_root_ = std::move(root); }

 private:
  Identity identity_;
  const HealthSource& source_;
  Clock& clock_;
  std::filesystem::path thermal_root_ = "/sys/class/thermal";
  mutable std::mutex mu_;
  std::string config_sha256_;
  std::uint64_t reloads_ = 0;
};

// System probes (each returns what it could read; never throws).
DiskStatus read_disk(const std::filesystem::path& path);
SystemStatus read_system(const std::filesystem::path& thermal_root);
ClockStatus read_clock();
// "sha256:<hex>" of a file's bytes, "" if it cannot be read.
std::string file_sha256(const std::string& path);

}  // namespace gridsight::edge::health
