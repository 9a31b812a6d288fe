#pragma once
// Remote commands from the aggregator to one edge (docs/fleet.md): publishes a command with a
// fresh id on <root>/v1/<device>/cmd and waits for its result on .../cmd/result. The edge
// first answers "accepted", then "ok" or "error"; or "refused" with a reason.
//
//   CommandClient client(topics, publish, clock);     // publish: the aggregator's session
//   // feed every .../cmd/result message: client.on_result(device, payload)
//   CommandReply r = client.call("edge-01", "snapshot", {{"camera", "cam-1"}}, 10'000);
//   if (r.status == CommandReply::kOk) ... r.result["frame"]["jpeg_base64"] ...
//
// RemoteRecheck implements the grid engine's RecheckChannel over it: it asks the source edge
// whether an incident of the case's type (and zone) is open on that camera right now.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "aggregator/cases/recheck.h"
#include "protocol/topics.h"

namespace gridsight {
class Clock;
}

namespace gridsight::aggregator::fleet {

struct CommandReply {
  enum Status { kTimeout, kNotSent, kOk, kError, kRefused };
  Status status = kTimeout;
  bool accepted = false;  // the edge acknowledged it
  std::string command_id;
  std::string reason;
  nlohmann::json result = nlohmann::json::object();
};
const char* to_string(CommandReply::Status s);

class CommandClient {
 public:
  // Publishes QoS 1, not retained; returns false when not connected.
  using Publish = std::function<bool(const std::string& topic, const std::string& payload)>;
  CommandClient(protocol::Topics topics, Publish publish, Clock& clock);

  // Sends `name` with `args` (a JSON object) to `device` and waits up to `timeout_ms` for the
  // final result. Any thread; calls may overlap. The command expires at the edge when the
  // wait ends, so a late box does not act on it.
  CommandReply call(const std::string& device, const std::string& name, const nlohmann::json& args,
                    std::int64_t timeout_ms);

  // A message from <root>/v1/<device>/cmd/result (the MQTT thread). Results for unknown ids
  // (late, or another aggregator's) are ignored.
  void on_result(const std::string& device, std::string_view payload);

  std::uint64_t sent() const { return sent_; }
  std::uint64_t timeouts() const { return timeouts_; }

 private:
  struct Pending;
  protocol::Topics topics_;
  Publish publish_;
  Clock& clock_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::shared_ptr<Pending>> pending_;  // command id -> waiter
  std::atomic<std::uint64_t> sent_{0}, timeouts_{0};
};

class RemoteRecheck final : public cases::RecheckChannel {
 public:
  // `online` (optional, e.g. from the fleet table): a box known to be offline is answered
  // kUnavailable at once instead of waiting for the timeout on the engine's thread.
  RemoteRecheck(CommandClient& client, std::int64_t timeout_ms,
                std::function<bool(const std::string& device)> online = {})
      : client_(client), timeout_ms_(timeout_ms), online_(std::move(online)) {}
  cases::RecheckAnswer recheck(const cases::RecheckRequest& request) override;

 private:
  CommandClient& client_;
  std::int64_t timeout_ms_;
  std::function<bool(const std::string&)> online_;
};

}  // namespace gridsight::aggregator::fleet
