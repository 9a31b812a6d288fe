#pragma once
// The uplink drains the outbox to the broker and applies the aggregator's confirmations.
// Events are published oldest first within a bounded window of unconfirmed events; a PUBACK
// only frees a slot of the MQTT in-flight window, the event stays in the outbox until the
// aggregator's ack. Unconfirmed events are re-sent when the aggregator confirmed nothing for
// a timeout that backs off, or after a reconnect to a broker that lost this box's session.
// While the aggregator's presence says it is offline nothing the broker took (PUBACK) is
// sent again: the broker holds it for the aggregator's session (docs/protocol.md). Evidence
// follows its confirmed event in chunks, resumable, within a byte rate budget.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/mqtt/options.h"
#include "protocol/messages.h"
#include "protocol/topics.h"

namespace gridsight {
class Clock;
class Metrics;
class Counter;
class Gauge;
namespace config {
class Section;
}
namespace mqtt {
class Session;
struct PublishResult;
}  // namespace mqtt
}  // namespace gridsight

namespace gridsight::edge {

class Outbox;

struct UplinkConfig {
  std::size_t unconfirmed_window = 2000;  // published, awaiting the aggregator's ack
  std::int64_t resend_timeout_ms = 30'000;
  std::int64_t resend_timeout_max_ms = 600'000;  // the timeout doubles up to this
  std::int64_t telemetry_interval_ms = 30'000;
  std::size_t evidence_chunk_bytes = 64 * 1024;
  std::uint64_t evidence_rate_bytes_per_s = 0;  // 0: unlimited
  std::size_t evidence_inflight_chunks = 8;
  static UplinkConfig read(config::Section& s);
};

// What the aggregator's retained presence message says.
enum class AggregatorPresence { kUnknown, kOnline, kOffline };
const char* to_string(AggregatorPresence p);

struct UplinkStatus {
  bool connected = false;
  AggregatorPresence aggregator = AggregatorPresence::kUnknown;
  std::size_t unconfirmed = 0;
  std::size_t awaiting_puback = 0;
  std::uint64_t published_total = 0;
  std::uint64_t resent_total = 0;
  std::uint64_t refused_total = 0;  // publishes the broker refused (e.g. not authorized)
  std::uint64_t evidence_bytes_sent = 0;
  std::string last_error;
};

class Uplink {
 public:
  // `telemetry` returns the device's telemetry message body (JSON), published periodically.
  Uplink(std::string device_id, mqtt::Options mqtt, UplinkConfig config, Outbox& outbox,
         Clock& clock, Metrics& metrics, std::function<std::string()> telemetry,
         std::string version);
  ~Uplink();
  Uplink(const Uplink&) = delete;
  Uplink& operator=(const Uplink&) = delete;

  void start();
  // Publishes a clean "offline" state and disconnects.
  void stop();
  // New events are in the outbox.
  void wake();

  UplinkStatus status() const;
  const protocol::Topics& topics() const { return topics_; }

  // Commands arriving on <root>/v1/<device>/cmd, handed to this callback (edge/commands).
  void on_command(std::function<void(std::string payload)> handler);
  // Publishes a command result on <root>/v1/<device>/cmd/result (QoS 1). False when offline
  // (results are not queued: the aggregator times the command out).
  bool publish_command_result(const std::string& payload);
  // Steady-clock time of the sending loop's latest turn (the service watchdog's liveness).
  std::int64_t heartbeat_ms() const { return heartbeat_ms_.load(); }

 private:
  struct Metrics_;
  void run();
  void on_connected(bool session_present);
  void on_reconnected(bool session_present);
  void apply_presence(AggregatorPresence p, std::int64_t now);
  void resend_if_due(std::int64_t now);
  void on_message(const std::string& topic, std::string payload);
  void handle_acks(const std::vector<protocol::Ack>& acks);
  void fill_window(std::int64_t now);
  void send_notices(std::int64_t now);
  void send_evidence(std::int64_t now);
  void send_telemetry(std::int64_t now);
  std::string state_message(bool online, const std::string& reason) const;
  void report_refusal(const std::string& what, const mqtt::PublishResult& res);

  std::string device_id_;
  mqtt::Options mqtt_options_;
  UplinkConfig config_;
  Outbox& outbox_;
  Clock& clock_;
  std::unique_ptr<Metrics_> m_;
  std::function<std::string()> telemetry_;
  std::string version_;
  std::string session_id_;
  protocol::Topics topics_;
  std::unique_ptr<mqtt::Session> session_;

  // Shared with Paho's thread.
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<protocol::Ack> acks_;
  std::vector<std::uint64_t> pubacked_;  // seqs of this connection the broker took
  std::optional<AggregatorPresence> presence_update_;
  bool session_present_ = false;
  std::uint64_t connect_generation_ = 0;
  // The connection whose birth message the broker took. Nothing else is sent on a connection
  // before: a broker refusing this identity answers the birth alone, and mosquitto, which
  // drops the connection after refusing a publish, has no later publish to lose the answer in.
  std::uint64_t admitted_generation_ = 0;
  bool woken_ = false;
  std::function<void(std::string)> command_handler_;
  // Publishes awaiting PUBACK on the current connection (a new counter per connection).
  std::shared_ptr<std::atomic<std::size_t>> awaiting_puback_ =
      std::make_shared<std::atomic<std::size_t>>(0);
  std::atomic<std::uint64_t> refused_total_{0};
  std::string last_error_;

  // Owned by the uplink thread.
  struct Sent {
    std::int64_t at_ms = 0;
    bool pubacked = false;  // the broker took it (PUBACK on the current connection)
  };
  std::map<std::uint64_t, Sent> unconfirmed_;  // seq -> when sent
  std::uint64_t cursor_ = 0;                   // highest seq published this round
  AggregatorPresence aggregator_ = AggregatorPresence::kUnknown;
  std::int64_t last_progress_ms_ = 0;  // last confirmation (or the aggregator's return)
  std::int64_t resend_after_ms_ = 0;   // the current, backed-off, re-send timeout
  std::uint64_t seen_generation_ = 0;
  std::int64_t last_notice_ms_ = 0;
  std::int64_t last_telemetry_ms_ = 0;
  std::int64_t last_debug_ms_ = 0;
  struct EvidenceSend {
    std::string hash;
    std::string event_id;
    std::string media_type;
    std::string path;
    std::uint64_t size = 0;
    std::uint64_t next_offset = 0;
    std::uint64_t acked = 0;
    std::int64_t last_progress_ms = 0;
  };
  std::map<std::string, EvidenceSend> evidence_;  // in progress
  double evidence_tokens_ = 0;
  std::int64_t evidence_tokens_ms_ = 0;
  std::atomic<std::uint64_t> published_total_{0};
  std::atomic<std::uint64_t> resent_total_{0};
  std::atomic<std::uint64_t> evidence_bytes_sent_{0};
  std::atomic<std::size_t> unconfirmed_count_{0};
  std::atomic<std::size_t> awaiting_count_{0};
  std::atomic<AggregatorPresence> aggregator_seen_{AggregatorPresence::kUnknown};

  std::atomic<std::int64_t> heartbeat_ms_{0};
  std::atomic<bool> running_{false};
  std::thread thread_;
};

}  // namespace gridsight::edge
