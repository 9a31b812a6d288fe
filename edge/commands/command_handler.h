#pragma once
// Remote commands from the aggregator (<root>/v1/<device>/cmd, docs/fleet.md): each valid
// command is acknowledged at once ("accepted") and answered with a final result ("ok" or
// "error") on .../cmd/result. Unknown, malformed, expired commands and bad arguments are
// refused with a reason, logged and counted; nothing else happens for them.
//
//   reload_config                  re-read the configuration file (as SIGHUP)
//   snapshot {camera, max_bytes?, quality?, frame?, zone?, type?}
//                                  JPEG of the camera's latest analytics frame, inline base64
//                                  (at most max_bytes, default and limit 192 KiB), its state
//                                  and open incidents; with `type` (and `zone`), whether such
//                                  an incident is open now ("still_present", only for a
//                                  camera with video and a rule of that type); frame: false
//                                  leaves the picture out
//   restart_camera {camera}        end the camera's capture session and reconnect at once
//   diagnostics {log_lines?}       the health report and the last log lines (default 100)
//
// Commands run one at a time on the handler's own thread, so a slow one never blocks the MQTT
// client's thread.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "protocol/messages.h"

namespace gridsight {
class Clock;
class Metrics;
class Counter;
}  // namespace gridsight

namespace gridsight::edge::commands {

// A camera's latest analytics frame and what its analytics have open.
struct CameraLook {
  std::string state;  // capture state, or "no_video"
  std::int64_t frame_ms = 0;
  int width = 0, height = 0, channels = 0, stride = 0;
  std::vector<std::uint8_t> pixels;  // BGR24 or GRAY8 rows; empty when no frame yet
  struct Open {
    std::string type, zone;
    std::int64_t since_ms = 0;
  };
  std::vector<Open> open_incidents;
  std::vector<std::string> rule_types;  // event types the camera's rules raise
};

// Why a command could not be carried out (becomes status "error" with this reason).
class CommandError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What commands act on; the daemon implements it. Called on the handler's thread.
class CommandTarget {
 public:
  virtual ~CommandTarget() = default;
  virtual bool has_camera(const std::string& camera) const = 0;
  // Throws CommandError when the new configuration is refused (the old one keeps running).
  virtual nlohmann::json reload_config() = 0;
  virtual CameraLook look(const std::string& camera) = 0;
  // Throws CommandError when the camera has no video pipeline.
  virtual void restart_camera(const std::string& camera) = 0;
  virtual nlohmann::json health() = 0;
  virtual std::vector<std::string> log_lines(std::size_t n) = 0;
};

class CommandHandler {
 public:
  // `publish` sends one encoded CommandResult on the device's cmd/result topic (QoS 1).
  using Publish = std::function<void(const std::string& payload)>;
  CommandHandler(CommandTarget& target, Publish publish, Clock& clock, Metrics& metrics);
  ~CommandHandler();
  CommandHandler(const CommandHandler&) = delete;
  CommandHandler& operator=(const CommandHandler&) = delete;

  void start();
  void stop();
  // Any thread (the uplink's message callback): queues the raw payload.
  void submit(std::string payload);

  // Handles one payload now: publishes and returns the results in order (accepted, then the
  // final one; or a single refusal). Used by the worker thread and by tests.
  std::vector<protocol::CommandResult> handle(std::string_view payload);

  std::uint64_t refused() const { return refused_; }
  std::uint64_t executed() const { return executed_; }

  static constexpr std::size_t kMaxInlineBytes = 192 * 1024;  // under the 256 KiB control limit

 private:
  void run();
  protocol::CommandResult refuse(std::string command_id, const std::string& reason);
  nlohmann::json execute(const protocol::Command& c, const nlohmann::json& args);

  CommandTarget& target_;
  Publish publish_;
  Clock& clock_;
  Counter& refused_counter_;
  Counter& executed_counter_;
  std::atomic<std::uint64_t> refused_{0};
  std::atomic<std::uint64_t> executed_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  bool running_ = false;
  std::thread thread_;
};

std::string base64(std::string_view bytes);

}  // namespace gridsight::edge::commands
