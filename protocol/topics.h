#pragma once
// MQTT topic layout of protocol v1: <root>/v1/<device_id>/<kind>[/...] (docs/protocol.md).

#include <optional>
#include <string>
#include <string_view>

namespace gridsight::protocol {

enum class TopicKind {
  kEvents,     // edge -> aggregator, QoS 1: one event per message
  kEvidence,   // edge -> aggregator, QoS 1: evidence chunks (evidence_frame.h)
  kNotice,     // edge -> aggregator, QoS 1: outbox notices (evicted ranges)
  kAck,        // aggregator -> edge, QoS 1: confirmations of events, notices, evidence
  kState,      // edge -> all, QoS 1 retained: birth "online" / last-will "offline"
  kTelemetry,  // edge -> aggregator, QoS 0: periodic health
  kCommand,    // aggregator -> edge, QoS 1: commands
  kCommandResult,  // edge -> aggregator, QoS 1: command results
};

const char* to_string(TopicKind kind);

class Topics {
 public:
  explicit Topics(std::string root = "gridsight");

  std::string device(std::string_view device_id, TopicKind kind) const;
  // Subscription filter matching `kind` for every device.
  std::string all_devices(TopicKind kind) const;
  // The aggregator's presence, <root>/aggregator/state (QoS 1, retained): its birth "online"
  // and its last will "offline", in the state message format.
  std::string aggregator_state() const { return root_ + "/aggregator/state"; }

  struct Parsed {
    std::string device_id;
    TopicKind kind;
  };
  // Splits a topic of this layout; nullopt for anything else (including invalid device ids).
  std::optional<Parsed> parse(std::string_view topic) const;

  const std::string& root() const { return root_; }

 private:
  std::string root_;
  std::string prefix_;  // "<root>/v1/"
};

}  // namespace gridsight::protocol
