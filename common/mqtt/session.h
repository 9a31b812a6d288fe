#pragma once
// One MQTT v5 connection (Paho C++ async client) with a persistent session, a last will,
// and its own reconnect loop with exponential backoff and jitter. Paho's automatic reconnect
// and offline buffering stay off: callers own their queues (the edge outbox).

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/mqtt/options.h"

namespace gridsight {
class Metrics;
}

namespace gridsight::mqtt {

struct Will {
  std::string topic;
  std::string payload;
  bool retained = true;
};

// Outcome of a QoS 1 publish: the broker's PUBACK (ok) or a refusal/failure.
struct PublishResult {
  bool ok = false;
  int reason_code = 0;  // MQTT v5 reason code (135 = not authorized)
  std::string error;
  // The broker answered with a failure reason code (>= 0x80). Otherwise a failed publish was
  // never acknowledged (e.g. the connection dropped first): the caller sends it again.
  [[nodiscard]] bool refused() const { return !ok && reason_code >= 0x80; }
};

class Session {
 public:
  struct Handlers {
    // On every (re)connect, on the session's own thread. Subscribe and publish births here.
    std::function<void(bool session_present)> on_connected;
    std::function<void(const std::string& cause)> on_connection_lost;
    // Incoming messages, on Paho's thread: hand them off quickly.
    std::function<void(std::string topic, std::string payload)> on_message;
  };

  Session(Options options, std::optional<Will> will, Handlers handlers, Metrics& metrics,
          std::string metric_prefix);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start();
  // Publishes `final_message` (if any, e.g. a clean "offline" state) and disconnects normally
  // so the broker does not send the will.
  void stop(std::optional<Will> final_message = std::nullopt);

  bool connected() const { return connected_.load(); }

  // Asynchronous publish. `done` runs on Paho's thread once the broker acknowledged (QoS 1)
  // or the publish failed. Returns false (and never calls `done`) when not connected.
  bool publish(const std::string& topic, const std::string& payload, int qos, bool retained,
               std::function<void(const PublishResult&)> done = {});

  // Subscribes and waits for the SUBACK. Returns the filters the broker refused (with their
  // reason codes, e.g. 135 not authorized), logged as errors. Throws std::runtime_error on a
  // timeout (the connection is then dropped and made again).
  std::vector<std::pair<std::string, int>> subscribe(const std::vector<std::string>& filters,
                                                     int qos);

  const Options& options() const { return options_; }

 private:
  class Impl;
  void run();
  // Logs problems of this client's TLS files and certificates expiring within 30 days.
  void check_tls_files();
  // Why a TLS connect failed: problems of this client's files, else a probe of the broker.
  std::string describe_tls_failure() const;

  Options options_;
  std::optional<Will> will_;
  Handlers handlers_;
  std::unique_ptr<Impl> impl_;
  std::atomic<bool> connected_{false};
  std::atomic<bool> running_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace gridsight::mqtt
