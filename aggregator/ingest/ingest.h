#pragma once
// The ingest pipeline: messages from every edge are validated, stored in batches (one
// transaction, one fsync) and only then confirmed to their device. Malformed or forged
// messages are dead-lettered with the reason and counted; the service never stops on input.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "aggregator/ingest/device_limiter.h"
#include "aggregator/store/event_store.h"
#include "common/bounded_queue.h"
#include "protocol/messages.h"
#include "protocol/topics.h"

namespace gridsight {
class Clock;
class Metrics;
class Counter;
namespace config {
class Section;
}
}  // namespace gridsight

namespace gridsight::aggregator {

class EvidenceReceiver;

struct IngestConfig {
  std::size_t queue_capacity = 50'000;  // messages; a full queue pushes back on the broker
  std::size_t batch_max = 2'000;        // messages per transaction
  std::int64_t batch_wait_ms = 5;       // wait for more messages before committing
  bool log_events = false;              // log every stored event at info (demo)
  DeviceLimitsConfig device_limits;     // per-device events/s and evidence bytes/s
  static IngestConfig read(config::Section& s);
};

struct IngestStats {
  std::uint64_t received = 0;
  std::uint64_t stored = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t dead_letters = 0;
  std::uint64_t batches = 0;
};

class Ingest {
 public:
  // `publish_ack(device_id, payload)` sends an acknowledgement to a device (QoS 1).
  // `on_stored(event, received_ms, row)` runs after the commit for every newly stored event,
  // in row order, on the ingest thread (the case service takes them from there).
  using OnStored =
      std::function<void(protocol::Event&&, std::int64_t received_ms, std::int64_t row)>;
  Ingest(IngestConfig config, protocol::Topics topics, EventStore& store,
         EvidenceReceiver& evidence, Clock& clock, Metrics& metrics,
         std::function<void(const std::string&, const std::string&)> publish_ack,
         OnStored on_stored = {});
  ~Ingest();

  void start();
  void stop();  // processes what is queued, then stops

  // Thread-safe. Blocks while the queue is full. Events and evidence beyond their device's
  // limits are refused here (counted, logged with code rate_limited, not acknowledged).
  void submit(std::string topic, std::string payload);

  IngestStats stats() const;

 private:
  struct Message {
    std::string topic;
    std::string payload;
    std::int64_t received_ms;
  };
  struct Batch;
  struct Metrics_;
  void run();
  void process(std::vector<Message>& messages);
  void handle(Message& m, Batch& b);
  void handle_event(Message& m, const std::string& device, Batch& b);
  void handle_notice(Message& m, const std::string& device, Batch& b);
  void handle_evidence(Message& m, const std::string& device, Batch& b);
  void handle_state(Message& m, const std::string& device, Batch& b);
  void handle_telemetry(Message& m, const std::string& device, Batch& b);
  void dead_letter(const Message& m, const std::string& device, const protocol::ParseError& e,
                   Batch& b);

  IngestConfig config_;
  protocol::Topics topics_;
  EventStore& store_;
  EvidenceReceiver& evidence_;
  Clock& clock_;
  std::unique_ptr<Metrics_> m_;
  std::function<void(const std::string&, const std::string&)> publish_ack_;
  OnStored on_stored_;
  DeviceLimiter limiter_;
  BoundedQueue<Message> queue_;
  std::map<std::string, SequenceState> sequences_;
  std::atomic<bool> running_{false};
  std::thread thread_;
};

}  // namespace gridsight::aggregator
