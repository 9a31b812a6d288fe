#pragma once
// The daemon's local control socket: commands given on the box itself, by root or a member of
// the service's group (the socket is <data_dir>/control.sock, mode 0660). The protocol is one
// JSON request line in, JSON answer lines out (docs/fleet.md, "Control socket"):
//
//   {"command": "test-event", "camera": "<id or empty: the first>", "timeout_ms": N}
//   -> {"raised": {"seq", "event_id", "camera_id", "created_ms"}}
//   -> {"confirmed": {... "confirmed_ms"}} | {"refused": {... "reason"}}
//      | {"timeout": {"uplink_connected", "uplink_error", "pending"}}
//   -> {"error": "..."} for a request it cannot serve
//
// Requests are served one at a time on the socket's own thread; a test event is confirmed when
// the outbox applies the aggregator's acknowledgement (Outbox::on_settled pushes it here).

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "edge/config/edge_config.h"
#include "edge/outbox/outbox.h"

namespace gridsight {
class Clock;
}

namespace gridsight::edge {

struct UplinkStatus;

namespace control {

// Where the daemon listens for a given data directory.
std::filesystem::path socket_path(const std::filesystem::path& data_dir);

// The longest a test event may be waited for (a request asking more is cut to this).
constexpr std::int64_t kMaxWaitMs = 600'000;

class ControlSocket {
 public:
  struct Sources {
    // The configured camera with this id (empty: the first one); nullopt if none.
    std::function<std::optional<CameraConfig>(const std::string& id)> camera;
    std::function<UplinkStatus()> uplink;
  };
  // Takes over the outbox's on_settled callback.
  ControlSocket(std::filesystem::path path, Outbox& outbox, Clock& clock, Sources sources);
  ~ControlSocket();
  ControlSocket(const ControlSocket&) = delete;
  ControlSocket& operator=(const ControlSocket&) = delete;

  // Binds (replacing a stale socket file). Throws std::runtime_error naming the path.
  void start();
  void stop();

 private:
  void run();
  void serve(int fd);
  std::string test_event(int fd, const std::string& camera, std::int64_t timeout_ms);
  void settled(const AckOutcome& outcome);

  std::filesystem::path path_;
  Outbox& outbox_;
  Clock& clock_;
  Sources sources_;
  int listen_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: stop()
  std::atomic<bool> running_{false};
  std::thread thread_;

  // The test event being waited for, and its outcome (set by the outbox's callback).
  std::mutex mu_;
  std::condition_variable cv_;
  std::uint64_t waiting_seq_ = 0;
  std::optional<ConfirmedEvent> confirmed_;
  std::optional<std::string> refused_;
  std::uint64_t test_events_ = 0;
};

}  // namespace control
}  // namespace gridsight::edge
