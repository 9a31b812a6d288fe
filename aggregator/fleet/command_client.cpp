#include "aggregator/fleet/command_client.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "common/clock.h"
#include "protocol/ids.h"
#include "protocol/messages.h"

namespace gridsight::aggregator::fleet {

const char* to_string(CommandReply::Status s) {
  switch (s) {
    case CommandReply::kTimeout:
      return "timeout";
    case CommandReply::kNotSent:
      return "not_sent";
    case CommandReply::kOk:
      return "ok";
    case CommandReply::kError:
      return "error";
    case CommandReply::kRefused:
      return "refused";
  }
  return "?";
}

struct CommandClient::Pending {
  std::string device;
  bool done = false;
  CommandReply reply;
};

CommandClient::CommandClient(protocol::Topics topics, Publish publish, Clock& clock)
    : topics_(std::move(topics)), publish_(std::move(publish)), clock_(clock) {}

CommandReply CommandClient::call(const std::string& device, const std::string& name,
                                 const nlohmann::json& args, std::int64_t timeout_ms) {
  protocol::Command c;
  c.command_id = "c-" + protocol::new_event_id();
  c.name = name;
  c.args_json = args.is_object() ? args.dump() : "{}";
  c.issued_ms = clock_.now_ms();
  c.expires_ms = c.issued_ms + timeout_ms;
  auto p = std::make_shared<Pending>();
  p->device = device;
  p->reply.command_id = c.command_id;
  {
    std::lock_guard lock(mu_);
    pending_[c.command_id] = p;
  }
  std::unique_lock lock(mu_);
  lock.unlock();
  const bool published =
      publish_(topics_.device(device, protocol::TopicKind::kCommand), protocol::encode(c));
  lock.lock();
  if (!published) {
    pending_.erase(c.command_id);
    p->reply.status = CommandReply::kNotSent;
    p->reply.reason = "not connected to the broker";
    return p->reply;
  }
  ++sent_;
  cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return p->done; });
  pending_.erase(c.command_id);
  if (!p->done) {
    ++timeouts_;
    p->reply.status = CommandReply::kTimeout;
    p->reply.reason = p->reply.accepted ? "accepted but no result in time" : "no answer in time";
    spdlog::warn("fleet: command {} ({}) to {}: {}", name, c.command_id, device, p->reply.reason);
  }
  return p->reply;
}

void CommandClient::on_result(const std::string& device, std::string_view payload) {
  auto r = protocol::decode_command_result(payload);
  if (!r) {
    spdlog::warn("fleet: malformed command result from {}: {}", device, r.error.describe());
    return;
  }
  std::lock_guard lock(mu_);
  auto it = pending_.find(r.value->command_id);
  if (it == pending_.end() || it->second->device != device) return;
  Pending& p = *it->second;
  switch (r.value->status) {
    case protocol::CommandStatus::kAccepted:
      p.reply.accepted = true;
      return;
    case protocol::CommandStatus::kOk:
      p.reply.status = CommandReply::kOk;
      break;
    case protocol::CommandStatus::kError:
      p.reply.status = CommandReply::kError;
      break;
    case protocol::CommandStatus::kRefused:
      p.reply.status = CommandReply::kRefused;
      break;
  }
  p.reply.reason = r.value->reason;
  p.reply.result = nlohmann::json::parse(r.value->result_json, nullptr, false);
  if (p.reply.result.is_discarded()) p.reply.result = nlohmann::json::object();
  p.done = true;
  cv_.notify_all();
}

cases::RecheckAnswer RemoteRecheck::recheck(const cases::RecheckRequest& req) {
  if (req.device_id.empty() || req.camera_id.empty() || req.event_type.empty()) {
    return cases::RecheckAnswer::kUnavailable;
  }
  if (online_ && !online_(req.device_id)) {
    spdlog::info("fleet: recheck of case {}: {} is offline", req.case_id, req.device_id);
    return cases::RecheckAnswer::kUnavailable;
  }
  nlohmann::json args = {{"camera", req.camera_id}, {"type", req.event_type}, {"frame", false}};
  if (!req.zone.empty()) args["zone"] = req.zone;
  auto r = client_.call(req.device_id, "snapshot", args, timeout_ms_);
  if (r.status != CommandReply::kOk || !r.result.contains("still_present") ||
      !r.result["still_present"].is_boolean()) {
    spdlog::info("fleet: recheck of case {} on {}/{}: unavailable ({} {})", req.case_id,
                 req.device_id, req.camera_id, to_string(r.status), r.reason);
    return cases::RecheckAnswer::kUnavailable;
  }
  const bool present = r.result["still_present"].get<bool>();
  spdlog::info("fleet: recheck of case {} on {}/{}: {}", req.case_id, req.device_id, req.camera_id,
               present ? "still present" : "gone");
  return present ? cases::RecheckAnswer::kStillPresent : cases::RecheckAnswer::kGone;
}

}  // namespace gridsight::aggregator::fleet
