#pragma once
// Remote commands from the aggregator to one edge (docs/fleet.md): publishes a command with a
// fresh id on <root>/v1/<device>/cmd and waits for its result on .../cmd/result. The edge
// first answers "accepted", then "ok" or "error"; or "refused" with a reason.
//
//   CommandClient client(topics, publish, clock);     // publish: the aggregator's session
//   // feed every .../cmd/result message: client.on_result(device, payload)
//   CommandReply r = client.call("edge-01", "snapshot", {{"camera", "cam-1"}}, 10'000);
//   if (r.status == CommandReply::kOk) ... r.result["frame"]["jpeg_base64"] ...
//   client.send(device, name, args, timeout_ms, [](const CommandReply& r) { ... });  // async
//
// RemoteRecheck implements the grid engine's RecheckChannel over it, asynchronously: it asks
// the source edge whether an incident of the case's type (and zone) is open on that camera
// right now; the reply (or "unavailable" on timeout / an offline box) comes back later.

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
#include <thread>

#include "aggregator/cases/recheck.h"
#include "aggregator/fleet/fleet_view.h"
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
  // Called once with the final reply (or kTimeout / kNotSent), on the MQTT thread, the
  // client's timer thread or the sender's.
  using Done = std::function<void(const CommandReply&)>;
  // Every command's final outcome (also kNotSent), on the thread that finished it.
  using Audit = std::function<void(const CommandRecord&)>;
  CommandClient(protocol::Topics topics, Publish publish, Clock& clock, Audit audit = {});
  ~CommandClient();
  CommandClient(const CommandClient&) = delete;
  CommandClient& operator=(const CommandClient&) = delete;

  // Sends `name` with `args` to `device` and returns at once; `done` gets the final result or
  // kTimeout after `timeout_ms`. The command expires at the edge at that time too.
  // `requested_by` names who asked, for the audit ("case 42 (re-check)").
  void send(const std::string& device, const std::string& name, const nlohmann::json& args,
            std::int64_t timeout_ms, Done done, std::string requested_by = "aggregator");

  // send() and wait for the reply (any thread but the MQTT thread; calls may overlap).
  CommandReply call(const std::string& device, const std::string& name, const nlohmann::json& args,
                    std::int64_t timeout_ms);

  // Answers every waiter kTimeout and refuses nothing more (send() after stop() answers
  // kNotSent). Called by the owner while the waiters still exist; the destructor calls it too.
  void stop();

  // A message from <root>/v1/<device>/cmd/result (the MQTT thread). Results for unknown ids
  // (late, or another aggregator's) are ignored.
  void on_result(const std::string& device, std::string_view payload);

  std::uint64_t sent() const { return sent_; }
  std::uint64_t timeouts() const { return timeouts_; }

 private:
  struct Pending;
  void expire_loop();
  void finish(Pending& p);  // audit, then the waiter
  protocol::Topics topics_;
  Publish publish_;
  Clock& clock_;
  Audit audit_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::shared_ptr<Pending>> pending_;  // command id -> waiter
  std::atomic<std::uint64_t> sent_{0}, timeouts_{0};
  bool stopping_ = false;
  std::thread expiry_;  // replies kTimeout at each deadline
};

class RemoteRecheck final : public cases::RecheckChannel {
 public:
  // `online` (optional, e.g. from the fleet table): a box known to be offline is answered
  // kUnavailable at once instead of after the timeout.
  RemoteRecheck(CommandClient& client, std::int64_t timeout_ms,
                std::function<bool(const std::string& device)> online = {})
      : client_(client), timeout_ms_(timeout_ms), online_(std::move(online)) {}
  void ask(const cases::RecheckRequest& request, cases::RecheckReply reply) override;

 private:
  static cases::RecheckAnswer answer_of(const cases::RecheckRequest& req, const CommandReply& r);
  CommandClient& client_;
  std::int64_t timeout_ms_;
  std::function<bool(const std::string&)> online_;
};

}  // namespace gridsight::aggregator::fleet
