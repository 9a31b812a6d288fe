#include "edge/control/test_event_command.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>

#include "edge/control/line_io.h"

namespace gridsight::edge::control {
namespace {

// The daemon answers "raised" at once; it answers the outcome within the timeout it was
// given. This much more is allowed for a busy box before the command gives up on it.
constexpr std::chrono::milliseconds kGrace{10'000};

std::string seconds(std::int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ms) / 1000.0);
  return buf;
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

int run_test_event(const std::filesystem::path& socket, const std::string& camera,
                   std::int64_t timeout_ms, std::FILE* out) {
  auto no_daemon = [&](const std::string& why) {
    std::fprintf(out,
                 "test-event: no running gridsight-edge answers on %s: %s (is the service "
                 "running? systemctl status gridsight-edge)\n",
                 socket.c_str(), why.c_str());
    return kTestEventNoDaemon;
  };
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket.string().size() >= sizeof(addr.sun_path)) return no_daemon("path too long");
  std::memcpy(addr.sun_path, socket.c_str(), socket.string().size() + 1);
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0 || ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return no_daemon(std::strerror(errno));
  }
  const nlohmann::json req = {
      {"command", "test-event"}, {"camera", camera}, {"timeout_ms", timeout_ms}};
  if (!write_line(fd.get(), req.dump())) return no_daemon("it hung up");

  const auto wait = std::chrono::milliseconds(timeout_ms) + kGrace;
  std::uint64_t seq = 0;
  while (true) {
    const auto line = read_line(fd.get(), wait, 1 << 16);
    if (!line) {
      std::fprintf(out, "test-event: the daemon stopped answering%s\n",
                   seq ? " (the event stays in the outbox)" : "");
      return seq ? kTestEventTimeout : kTestEventNoDaemon;
    }
    const auto j = nlohmann::json::parse(*line, nullptr, false);
    if (!j.is_object()) return no_daemon("unreadable answer");
    if (j.contains("error")) {
      std::fprintf(out, "test-event: the daemon could not raise a test event: %s\n",
                   j["error"].get<std::string>().c_str());
      return kTestEventRefused;
    }
    if (j.contains("raised")) {
      const auto& r = j["raised"];
      seq = r.value("seq", std::uint64_t{0});
      std::fprintf(out,
                   "test-event: raised test event %s (seq %llu) for camera %s; waiting up to %s "
                   "for the aggregator's confirmation\n",
                   r.value("event_id", std::string("?")).c_str(),
                   static_cast<unsigned long long>(seq),
                   r.value("camera_id", std::string()).c_str(), seconds(timeout_ms).c_str());
      std::fflush(out);
      continue;
    }
    if (j.contains("confirmed")) {
      const auto& c = j["confirmed"];
      std::fprintf(
          out, "test-event: confirmed by the aggregator %s after it was raised\n",
          seconds(c.value("confirmed_ms", std::int64_t{0}) - c.value("created_ms", std::int64_t{0}))
              .c_str());
      return kTestEventConfirmed;
    }
    if (j.contains("refused")) {
      std::fprintf(out, "test-event: REFUSED by the aggregator: %s\n",
                   j["refused"].value("reason", std::string()).c_str());
      return kTestEventRefused;
    }
    if (j.contains("timeout")) {
      const auto& t = j["timeout"];
      const bool connected = t.value("uplink_connected", false);
      const std::string err = t.value("uplink_error", std::string());
      std::fprintf(out,
                   "test-event: NOT CONFIRMED within %s: the uplink is %s%s; %llu event(s) wait "
                   "in the outbox and are delivered once the aggregator answers\n",
                   seconds(timeout_ms).c_str(),
                   connected ? "connected (the aggregator does not acknowledge: is it running "
                               "and subscribed?)"
                             : "not connected to the broker",
                   err.empty() ? "" : (", last error: " + err).c_str(),
                   static_cast<unsigned long long>(t.value("pending", std::uint64_t{0})));
      return kTestEventTimeout;
    }
  }
}

}  // namespace gridsight::edge::control
