#include "aggregator/fleet/command_client.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <future>

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
  std::string name;
  std::string args_json;
  std::string requested_by;
  std::int64_t issued_ms = 0;
  std::chrono::steady_clock::time_point deadline;
  CommandReply reply;
  Done done;
};

CommandClient::CommandClient(protocol::Topics topics, Publish publish, Clock& clock, Audit audit)
    : topics_(std::move(topics)),
      publish_(std::move(publish)),
      clock_(clock),
      audit_(std::move(audit)) {
  expiry_ = std::thread([this] { expire_loop(); });
}

CommandClient::~CommandClient() {
  stop();
}

void CommandClient::stop() {
  std::map<std::string, std::shared_ptr<Pending>> waiting;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    waiting.swap(pending_);
  }
  cv_.notify_all();
  if (expiry_.joinable()) expiry_.join();
  // Whoever still waits hears "timeout", now, while the waiters are still alive.
  for (auto& [id, p] : waiting) {
    p->reply.status = CommandReply::kTimeout;
    p->reply.reason = "the command client stopped";
    finish(*p);
  }
}

void CommandClient::send(const std::string& device, const std::string& name,
                         const nlohmann::json& args, std::int64_t timeout_ms, Done done,
                         std::string requested_by) {
  protocol::Command c;
  c.command_id = "c-" + protocol::new_event_id();
  c.name = name;
  c.args_json = args.is_object() ? args.dump() : "{}";
  c.issued_ms = clock_.now_ms();
  c.expires_ms = c.issued_ms + timeout_ms;
  auto p = std::make_shared<Pending>();
  p->device = device;
  p->name = name;
  p->args_json = c.args_json;
  p->requested_by = std::move(requested_by);
  p->issued_ms = c.issued_ms;
  p->deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  p->reply.command_id = c.command_id;
  p->done = std::move(done);
  bool stopped = false;
  {
    std::lock_guard lock(mu_);
    stopped = stopping_;
    if (!stopped) pending_[c.command_id] = p;
  }
  if (stopped) {
    p->reply.status = CommandReply::kNotSent;
    p->reply.reason = "the command client stopped";
    finish(*p);
    return;
  }
  cv_.notify_all();  // a new, possibly earlier deadline
  const bool published =
      publish_(topics_.device(device, protocol::TopicKind::kCommand), protocol::encode(c));
  if (!published) {
    {
      std::lock_guard lock(mu_);
      if (pending_.erase(c.command_id) == 0) return;  // answered or expired meanwhile
    }
    p->reply.status = CommandReply::kNotSent;
    p->reply.reason = "not connected to the broker";
    finish(*p);
    return;
  }
  ++sent_;
}

void CommandClient::finish(Pending& p) {
  if (audit_) {
    CommandRecord r;
    r.command_id = p.reply.command_id;
    r.device_id = p.device;
    r.name = p.name;
    r.args_json = p.args_json;
    r.requested_by = p.requested_by;
    r.issued_ms = p.issued_ms;
    r.finished_ms = clock_.now_ms();
    r.status = to_string(p.reply.status);
    r.accepted = p.reply.accepted;
    r.reason = p.reply.reason;
    try {
      audit_(r);
    } catch (const std::exception& e) {
      spdlog::error("fleet: command {} not audited: {}", r.command_id, e.what());
    }
  }
  p.done(p.reply);
}

CommandReply CommandClient::call(const std::string& device, const std::string& name,
                                 const nlohmann::json& args, std::int64_t timeout_ms) {
  auto promise = std::make_shared<std::promise<CommandReply>>();
  auto future = promise->get_future();
  send(device, name, args, timeout_ms, [promise](const CommandReply& r) { promise->set_value(r); });
  return future.get();
}

void CommandClient::expire_loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    auto next = std::chrono::steady_clock::time_point::max();
    for (const auto& [id, p] : pending_) next = std::min(next, p->deadline);
    if (next == std::chrono::steady_clock::time_point::max()) {
      cv_.wait(lock);
    } else {
      cv_.wait_until(lock, next);
    }
    const auto now = std::chrono::steady_clock::now();
    std::vector<std::shared_ptr<Pending>> expired;
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->second->deadline <= now) {
        expired.push_back(it->second);
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
    if (expired.empty()) continue;
    lock.unlock();
    for (auto& p : expired) {
      ++timeouts_;
      p->reply.status = CommandReply::kTimeout;
      p->reply.reason = p->reply.accepted ? "accepted but no result in time" : "no answer in time";
      spdlog::warn("fleet: command {} ({}) to {}: {}", p->name, p->reply.command_id, p->device,
                   p->reply.reason);
      finish(*p);
    }
    lock.lock();
  }
}

void CommandClient::on_result(const std::string& device, std::string_view payload) {
  auto r = protocol::decode_command_result(payload);
  if (!r) {
    spdlog::warn("fleet: malformed command result from {}: {}", device, r.error.describe());
    return;
  }
  std::shared_ptr<Pending> p;
  {
    std::lock_guard lock(mu_);
    auto it = pending_.find(r.value->command_id);
    if (it == pending_.end() || it->second->device != device) return;
    if (r.value->status == protocol::CommandStatus::kAccepted) {
      it->second->reply.accepted = true;
      return;
    }
    p = it->second;
    pending_.erase(it);
  }
  switch (r.value->status) {
    case protocol::CommandStatus::kAccepted:
      break;
    case protocol::CommandStatus::kOk:
      p->reply.status = CommandReply::kOk;
      break;
    case protocol::CommandStatus::kError:
      p->reply.status = CommandReply::kError;
      break;
    case protocol::CommandStatus::kRefused:
      p->reply.status = CommandReply::kRefused;
      break;
  }
  p->reply.reason = r.value->reason;
  p->reply.result = nlohmann::json::parse(r.value->result_json, nullptr, false);
  if (p->reply.result.is_discarded()) p->reply.result = nlohmann::json::object();
  finish(*p);
}

void RemoteRecheck::ask(const cases::RecheckRequest& req, cases::RecheckReply reply) {
  if (req.device_id.empty() || req.camera_id.empty() || req.event_type.empty()) {
    reply(cases::RecheckAnswer::kUnavailable);
    return;
  }
  if (online_ && !online_(req.device_id)) {
    spdlog::info("fleet: recheck of case {}: {} is offline", req.case_id, req.device_id);
    reply(cases::RecheckAnswer::kUnavailable);
    return;
  }
  nlohmann::json args = {{"camera", req.camera_id}, {"type", req.event_type}, {"frame", false}};
  if (!req.zone.empty()) args["zone"] = req.zone;
  client_.send(
      req.device_id, "snapshot", args, timeout_ms_,
      [req, reply = std::move(reply)](const CommandReply& r) { reply(answer_of(req, r)); },
      "case " + std::to_string(req.case_id) + " (re-check)");
}

cases::RecheckAnswer RemoteRecheck::answer_of(const cases::RecheckRequest& req,
                                              const CommandReply& r) {
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
