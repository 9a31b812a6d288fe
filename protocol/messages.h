#pragma once
// Control messages of protocol v1: acknowledgements, notices, device state, telemetry,
// commands (docs/protocol.md).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/parse_error.h"

namespace gridsight::protocol {

// ---- aggregator -> edge: <root>/v1/<device>/ack --------------------------------------------
enum class AckStatus {
  kStored,      // committed (first time or again: duplicates are confirmed the same way)
  kDeadLetter,  // refused for good; `reason` says why. The edge stops re-sending it.
};
const char* to_string(AckStatus s);

struct EventAck {
  std::string event_id;
  std::uint64_t seq = 0;
  AckStatus status = AckStatus::kStored;
  std::string reason;  // for kDeadLetter
  bool operator==(const EventAck&) const = default;
};

struct NoticeAck {
  std::uint64_t notice_id = 0;
  bool operator==(const NoticeAck&) const = default;
};

// Progress of one evidence object at the aggregator: it holds the first `received` bytes.
// The edge resumes from there. `complete` once all bytes arrived and the hash matched.
struct EvidenceAck {
  std::string hash;
  std::uint64_t received = 0;
  bool complete = false;
  bool refused = false;  // quota exceeded, hash mismatch after retries, too large: stop sending
  std::string reason;
  bool operator==(const EvidenceAck&) const = default;
};

struct Ack {
  std::vector<EventAck> events;
  std::vector<NoticeAck> notices;
  std::vector<EvidenceAck> evidence;
  bool empty() const { return events.empty() && notices.empty() && evidence.empty(); }
  bool operator==(const Ack&) const = default;
};
std::string encode(const Ack& ack);
Parsed<Ack> decode_ack(std::string_view payload);

// ---- edge -> aggregator: <root>/v1/<device>/notice -----------------------------------------
// Events [first_seq, last_seq] were evicted from a full outbox and will never be sent.
struct EvictionNotice {
  std::uint64_t notice_id = 0;  // per-device, increasing
  std::string device_id;
  std::uint64_t first_seq = 0;
  std::uint64_t last_seq = 0;
  std::uint64_t count = 0;  // events evicted in the range (<= last_seq - first_seq + 1)
  std::string reason;       // "outbox_full_events" | "outbox_full_bytes"
  std::int64_t at_ms = 0;
  bool operator==(const EvictionNotice&) const = default;
};
std::string encode(const EvictionNotice& n);
Parsed<EvictionNotice> decode_notice(std::string_view payload);

// ---- edge -> all: <root>/v1/<device>/state (retained) --------------------------------------
struct DeviceState {
  std::string device_id;
  bool online = false;
  std::string reason;     // offline: "lost" (last will) or "shutdown"
  std::string version;    // software version, on birth
  std::string session;    // id of this run of the daemon, on birth
  std::int64_t at_ms = 0;  // edge clock when published (0 in the last will)
  bool clock_synced = false;
  bool operator==(const DeviceState&) const = default;
};
std::string encode(const DeviceState& s);
Parsed<DeviceState> decode_state(std::string_view payload);

// ---- edge -> aggregator: <root>/v1/<device>/telemetry --------------------------------------
// Telemetry is a JSON object with fixed envelope fields and free-form sections; the
// aggregator stores it as it came after checking the envelope.
struct TelemetryEnvelope {
  std::string device_id;
  std::int64_t at_ms = 0;
};
Parsed<TelemetryEnvelope> decode_telemetry_envelope(std::string_view payload);

// ---- aggregator -> edge: <root>/v1/<device>/cmd, results on .../cmd/result ----------------
struct Command {
  std::string command_id;  // unique per command
  std::string name;        // "reload_config" | "snapshot" | "restart_camera" | "diagnostics"
  std::string args_json;   // JSON object, "{}" when none
  std::int64_t issued_ms = 0;
  std::int64_t expires_ms = 0;  // 0: never; the edge refuses an expired command
  bool operator==(const Command&) const = default;
};
std::string encode(const Command& c);
Parsed<Command> decode_command(std::string_view payload);

// kAccepted: the edge took the command and is carrying it out; a final result follows.
enum class CommandStatus { kAccepted, kOk, kError, kRefused };
const char* to_string(CommandStatus s);
struct CommandResult {
  std::string command_id;
  CommandStatus status = CommandStatus::kOk;
  std::string reason;
  std::string result_json;  // JSON object, "{}" when none
  std::int64_t at_ms = 0;
  bool operator==(const CommandResult&) const = default;
};
std::string encode(const CommandResult& r);
Parsed<CommandResult> decode_command_result(std::string_view payload);

}  // namespace gridsight::protocol
