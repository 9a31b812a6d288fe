#pragma once
// The fleet table: who is online (retained birth / last will), their latest telemetry and
// cameras, tamper events, clock skew; fleet alerts raised and cleared by configurable
// thresholds (FleetConfig), stored in SQLite, published on <root>/dispatch/v1/fleet and handed
// to FleetView listeners. Messages are queued by the MQTT thread and handled on the monitor's
// own thread, which also evaluates time-based alerts every check_interval.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <tuple>

#include "aggregator/fleet/fleet_config.h"
#include "aggregator/fleet/fleet_view.h"
#include "protocol/topics.h"

namespace gridsight {
class Clock;
class Metrics;
namespace sqlite {
class Database;
}
}  // namespace gridsight

namespace gridsight::aggregator::fleet {

class FleetMonitor final : public FleetView {
 public:
  // `publish` sends one alert message (JSON) on the fleet dispatch topic; may be empty.
  using Publish = std::function<void(const std::string& payload)>;
  FleetMonitor(FleetConfig config, const std::string& db_path, protocol::Topics topics,
               Clock& clock, Metrics& metrics, Publish publish);
  ~FleetMonitor() override;

  void start();
  void stop();
  // Any thread (the MQTT callback): state, telemetry and event messages; others are ignored.
  void submit(const std::string& topic, const std::string& payload);
  // Handles every queued message now (the thread does it as they come; tests without it).
  void drain();
  // Evaluates time-based alerts now (the thread does it every check_interval).
  void check();
  static std::string topic(const std::string& root) { return root + "/dispatch/v1/fleet"; }

  std::vector<DeviceRow> devices() const override;
  std::optional<DeviceRow> device(const std::string& device_id) const override;
  std::vector<Alert> alerts(bool include_cleared, std::size_t limit) const override;
  std::uint64_t subscribe(AlertListener listener) override;
  void unsubscribe(std::uint64_t id) override;
  // Any thread (the command client's audit): logged, counted, stored in fleet_commands by the
  // monitor's thread (also the records that arrive while it stops).
  void record_command(CommandRecord record);
  std::vector<CommandRecord> commands(std::size_t limit = 200,
                                      const std::string& device_id = "") const override;

 private:
  struct Message {
    std::string topic, payload;
    std::int64_t received_ms = 0;
  };
  void run();
  void handle(const Message& m);
  void on_state(const std::string& device, const std::string& payload, std::int64_t at);
  void on_telemetry(const std::string& device, const std::string& payload, std::int64_t at);
  void on_event(const std::string& device, const std::string& payload, std::int64_t at);
  void evaluate(const std::string& device, std::int64_t now);
  // Raises (or keeps) / clears the alert (kind, device, camera); `detail` on raise.
  void set_alert(const std::string& kind, const std::string& device, const std::string& camera,
                 bool active, const std::string& detail, std::int64_t now);
  void save_device(const DeviceRow& d);
  void store_commands(std::deque<CommandRecord>& records);
  void load();
  void announce(const Alert& a);

  FleetConfig config_;
  protocol::Topics topics_;
  Clock& clock_;
  Publish publish_;
  std::unique_ptr<sqlite::Database> db_;  // the monitor thread only (and the constructor)
  Metrics& metrics_;
  std::mutex work_mu_;  // handle() and check(): one at a time (db_, telemetry_)
  std::map<std::string, nlohmann::json> telemetry_;  // latest parsed telemetry per device

  mutable std::mutex mu_;  // devices_, alerts_, listeners_
  std::map<std::string, DeviceRow> devices_;
  std::map<std::string, std::int64_t> camera_down_since_;  // "device/camera" -> aggregator ms
  std::map<std::tuple<std::string, std::string, std::string>, Alert> active_;  // kind,dev,cam
  std::map<std::uint64_t, AlertListener> listeners_;
  std::uint64_t next_listener_ = 1;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<Message> queue_;
  std::deque<CommandRecord> commands_queue_;
  bool running_ = false;
  std::thread thread_;
};

}  // namespace gridsight::aggregator::fleet
