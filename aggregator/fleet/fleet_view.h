#pragma once
// Read side of the fleet table (docs/fleet.md): devices with their last telemetry and
// cameras, and fleet alerts. For the HTTP API and the live feed:
//
//   fleet::FleetView& view = monitor;                 // a FleetMonitor
//   for (const auto& d : view.devices()) ...          // copies, safe on any thread
//   auto id = view.subscribe([](const fleet::Alert& a) { push a to the live feed });
//   view.unsubscribe(id);
//
// Listeners run on the fleet monitor's thread; keep them short and never call back into
// subscribe/unsubscribe from one.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace gridsight::aggregator::fleet {

struct CameraRow {
  std::string camera_id;
  std::string state;                // capture state from telemetry ("streaming", ...)
  std::int64_t state_since_ms = 0;  // aggregator time the state was first seen
  std::string last_error;
  std::uint64_t reconnects = 0;
  bool tampered = false;
  std::string tamper_type;     // latest tamper event type, e.g. "camera.tamper.covered"
  std::int64_t tamper_ms = 0;  // its start (edge time)
};

struct DeviceRow {
  std::string device_id;
  bool online = false;
  std::string offline_reason;  // "lost" (last will), "shutdown", "silent"
  std::string version;
  std::string session;
  std::int64_t state_changed_ms = 0;  // aggregator time of the latest online/offline change
  std::int64_t last_seen_ms = 0;      // aggregator time of the latest message from it
  bool clock_synced = false;
  std::optional<std::int64_t> clock_skew_ms;  // edge at_ms - aggregator receive time
  std::string telemetry;                      // the latest telemetry message (JSON) as it came
  std::int64_t telemetry_received_ms = 0;
  std::vector<CameraRow> cameras;
};

struct Alert {
  std::int64_t id = 0;
  std::string kind;  // box_offline | camera_down | camera_tampered | outbox_growing |
                     // disk_nearly_full | clock_unsynchronised
  std::string device_id;
  std::string camera_id;  // camera alerts only
  bool active = true;
  std::int64_t raised_ms = 0;
  std::int64_t cleared_ms = 0;  // 0 while active
  std::string detail;
};

// One remote command as the audit keeps it: who asked for it, what, to which box, when, and
// how it ended (docs/fleet.md, "Command audit").
struct CommandRecord {
  std::int64_t id = 0;  // audit row id (0 until stored)
  std::string command_id;
  std::string device_id;
  std::string name;
  std::string args_json;
  std::string requested_by;  // e.g. "case 42 (re-check)", "operator"
  std::int64_t issued_ms = 0;
  std::int64_t finished_ms = 0;
  std::string status;     // ok | error | refused | timeout | not_sent
  bool accepted = false;  // the box acknowledged it
  std::string reason;
};

class FleetView {
 public:
  virtual ~FleetView() = default;
  virtual std::vector<DeviceRow> devices() const = 0;
  virtual std::optional<DeviceRow> device(const std::string& device_id) const = 0;
  // Active alerts, or also the latest `limit` cleared ones.
  virtual std::vector<Alert> alerts(bool include_cleared = false,
                                    std::size_t limit = 500) const = 0;
  using AlertListener = std::function<void(const Alert&)>;
  // Called for every raised and every cleared alert. Returns an id for unsubscribe.
  virtual std::uint64_t subscribe(AlertListener listener) = 0;
  virtual void unsubscribe(std::uint64_t id) = 0;
  // The latest `limit` remote commands, newest first (device_id: only that box's).
  virtual std::vector<CommandRecord> commands(std::size_t limit = 200,
                                              const std::string& device_id = "") const = 0;
};

}  // namespace gridsight::aggregator::fleet
