#include "edge/commands/command_handler.h"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/clock.h"
#include "common/metrics.h"
#include "edge/evidence/media.h"
#include "protocol/ids.h"

namespace gridsight::edge::commands {

namespace {

constexpr std::size_t kQueueLimit = 64;

class BadArgs : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string camera_arg(const nlohmann::json& args) {
  auto it = args.find("camera");
  if (it == args.end() || !it->is_string()) throw BadArgs("camera: required string");
  std::string id = it->get<std::string>();
  if (!protocol::is_camera_id(id)) throw BadArgs("camera: not a camera id");
  return id;
}

std::int64_t int_arg(const nlohmann::json& args, const char* key, std::int64_t fallback,
                     std::int64_t lo, std::int64_t hi) {
  auto it = args.find(key);
  if (it == args.end()) return fallback;
  if (!it->is_number_integer()) throw BadArgs(std::string(key) + ": must be an integer");
  const auto v = it->get<std::int64_t>();
  if (v < lo || v > hi) {
    throw BadArgs(std::string(key) + ": must be within [" + std::to_string(lo) + ", " +
                  std::to_string(hi) + "]");
  }
  return v;
}

std::string string_arg(const nlohmann::json& args, const char* key) {
  auto it = args.find(key);
  if (it == args.end()) return {};
  if (!it->is_string()) throw BadArgs(std::string(key) + ": must be a string");
  return it->get<std::string>();
}

void only_keys(const nlohmann::json& args, std::initializer_list<const char*> keys) {
  for (auto it = args.begin(); it != args.end(); ++it) {
    bool known = false;
    for (const char* k : keys) known = known || it.key() == k;
    if (!known) throw BadArgs(it.key() + ": unknown argument");
  }
}

}  // namespace

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

CommandHandler::CommandHandler(CommandTarget& target, Publish publish, Clock& clock,
                               Metrics& metrics)
    : target_(target),
      publish_(std::move(publish)),
      clock_(clock),
      refused_counter_(metrics.counter("gridsight_edge_commands_refused_total",
                                       "Remote commands refused (unknown, malformed, expired)")),
      executed_counter_(metrics.counter("gridsight_edge_commands_executed_total",
                                        "Remote commands carried out (ok or error)")) {}

CommandHandler::~CommandHandler() {
  stop();
}

void CommandHandler::start() {
  std::lock_guard lock(mu_);
  if (running_) return;
  running_ = true;
  thread_ = std::thread([this] { run(); });
}

void CommandHandler::stop() {
  {
    std::lock_guard lock(mu_);
    if (!running_) return;
    running_ = false;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void CommandHandler::submit(std::string payload) {
  std::lock_guard lock(mu_);
  if (queue_.size() >= kQueueLimit) {
    // Refused on the caller's thread: publish is asynchronous and cheap.
    (void)refuse("", "busy: too many commands waiting");
    return;
  }
  queue_.push_back(std::move(payload));
  cv_.notify_all();
}

void CommandHandler::run() {
  while (true) {
    std::string payload;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return !running_ || !queue_.empty(); });
      if (!running_) return;
      payload = std::move(queue_.front());
      queue_.pop_front();
    }
    (void)handle(payload);
  }
}

protocol::CommandResult CommandHandler::refuse(std::string command_id, const std::string& reason) {
  ++refused_;
  refused_counter_.inc();
  spdlog::warn("commands: refused command {}: {}", command_id.empty() ? "(no id)" : command_id,
               reason);
  protocol::CommandResult r;
  // A refusal must carry an id the aggregator can match; a malformed command may have none.
  r.command_id = protocol::is_device_id(command_id) ? std::move(command_id) : "malformed";
  r.status = protocol::CommandStatus::kRefused;
  r.reason = reason;
  r.result_json = "{}";
  r.at_ms = clock_.now_ms();
  publish_(protocol::encode(r));
  return r;
}

std::vector<protocol::CommandResult> CommandHandler::handle(std::string_view payload) {
  auto parsed = protocol::decode_command(payload);
  if (!parsed) {
    std::string id;
    try {
      auto j = nlohmann::json::parse(payload);
      if (j.is_object() && j.contains("command_id") && j["command_id"].is_string()) {
        id = j["command_id"].get<std::string>();
      }
    } catch (const std::exception&) {
    }
    return {refuse(id, "malformed: " + parsed.error.describe())};
  }
  const protocol::Command& c = *parsed.value;
  const std::int64_t now = clock_.now_ms();
  if (c.expires_ms != 0 && now > c.expires_ms) return {refuse(c.command_id, "expired")};
  static const char* const kKnown[] = {"reload_config", "snapshot", "restart_camera",
                                       "diagnostics"};
  if (std::find(std::begin(kKnown), std::end(kKnown), c.name) == std::end(kKnown)) {
    return {refuse(c.command_id, "unknown_command: " + c.name)};
  }
  nlohmann::json args = nlohmann::json::parse(c.args_json);
  // Arguments are checked before the command is accepted.
  try {
    if (c.name == "reload_config") {
      only_keys(args, {});
    } else if (c.name == "snapshot") {
      only_keys(args, {"camera", "max_bytes", "zone", "type", "quality", "frame"});
      if (args.contains("frame") && !args["frame"].is_boolean()) {
        throw BadArgs("frame: must be true or false");
      }
      (void)int_arg(args, "max_bytes", kMaxInlineBytes, 1024, kMaxInlineBytes);
      (void)int_arg(args, "quality", 80, 10, 95);
      (void)string_arg(args, "zone");
      (void)string_arg(args, "type");
      if (!target_.has_camera(camera_arg(args))) throw BadArgs("camera: no such camera");
    } else if (c.name == "restart_camera") {
      only_keys(args, {"camera"});
      if (!target_.has_camera(camera_arg(args))) throw BadArgs("camera: no such camera");
    } else if (c.name == "diagnostics") {
      only_keys(args, {"log_lines"});
      (void)int_arg(args, "log_lines", 100, 0, 1000);
    }
  } catch (const BadArgs& e) {
    return {refuse(c.command_id, std::string("invalid_args: ") + e.what())};
  }

  std::vector<protocol::CommandResult> out;
  protocol::CommandResult accepted;
  accepted.command_id = c.command_id;
  accepted.status = protocol::CommandStatus::kAccepted;
  accepted.result_json = "{}";
  accepted.at_ms = now;
  out.push_back(accepted);
  publish_(protocol::encode(accepted));  // the acknowledgement goes out before the work

  protocol::CommandResult done;
  done.command_id = c.command_id;
  try {
    done.result_json = execute(c, args).dump();
    done.status = protocol::CommandStatus::kOk;
    spdlog::info("commands: {} ({}) done", c.name, c.command_id);
  } catch (const std::exception& e) {
    done.status = protocol::CommandStatus::kError;
    done.reason = e.what();
    done.result_json = "{}";
    spdlog::warn("commands: {} ({}) failed: {}", c.name, c.command_id, e.what());
  }
  ++executed_;
  executed_counter_.inc();
  done.at_ms = clock_.now_ms();
  publish_(protocol::encode(done));
  out.push_back(std::move(done));
  return out;
}

nlohmann::json CommandHandler::execute(const protocol::Command& c, const nlohmann::json& args) {
  if (c.name == "reload_config") return target_.reload_config();
  if (c.name == "restart_camera") {
    const std::string cam = camera_arg(args);
    target_.restart_camera(cam);
    return {{"camera", cam}, {"restarted", true}};
  }
  if (c.name == "diagnostics") {
    const auto n = static_cast<std::size_t>(int_arg(args, "log_lines", 100, 0, 1000));
    return {{"health", target_.health()}, {"log", target_.log_lines(n)}};
  }
  // snapshot
  const std::string cam = camera_arg(args);
  const auto max_bytes =
      static_cast<std::size_t>(int_arg(args, "max_bytes", kMaxInlineBytes, 1024, kMaxInlineBytes));
  int quality = static_cast<int>(int_arg(args, "quality", 80, 10, 95));
  const std::string zone = string_arg(args, "zone");
  const std::string type = string_arg(args, "type");
  CameraLook look = target_.look(cam);
  nlohmann::json r = {{"camera", cam}, {"state", look.state}};
  nlohmann::json open = nlohmann::json::array();
  bool present = false;
  for (const auto& o : look.open_incidents) {
    open.push_back({{"type", o.type}, {"zone", o.zone}, {"since_ms", o.since_ms}});
    if (!type.empty() && o.type == type && (zone.empty() || o.zone == zone)) present = true;
  }
  r["open_incidents"] = std::move(open);
  // Only a camera that watches for this type can say whether it is still there.
  const bool watches =
      look.state != "no_video" &&
      std::find(look.rule_types.begin(), look.rule_types.end(), type) != look.rule_types.end();
  if (!type.empty() && watches) r["still_present"] = present;
  if (look.pixels.empty() || !args.value("frame", true)) {
    r["frame"] = nullptr;
    return r;
  }
  // Lower the quality until the picture fits the inline limit (base64 grows it by 4/3).
  while (true) {
    std::string jpeg;
    try {
      if (look.width <= 0 || look.height <= 0) throw std::runtime_error("no frame to encode");
      jpeg = evidence::encode_jpeg(look.pixels.data(), look.width, look.height, look.stride,
                                   look.channels, quality);
    } catch (const std::runtime_error& e) {
      throw CommandError(std::string("snapshot: ") + e.what());
    }
    if ((jpeg.size() + 2) / 3 * 4 <= max_bytes) {
      r["frame"] = {{"at_ms", look.frame_ms},     {"width", look.width}, {"height", look.height},
                    {"media_type", "image/jpeg"}, {"quality", quality},  {"size", jpeg.size()},
                    {"jpeg_base64", base64(jpeg)}};
      return r;
    }
    if (quality <= 10) {
      throw CommandError("snapshot: the JPEG does not fit in max_bytes even at quality 10");
    }
    quality = std::max(10, quality - 20);
  }
}

}  // namespace gridsight::edge::commands
