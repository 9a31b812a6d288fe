#include "edge/control/control_socket.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "common/clock.h"
#include "edge/control/line_io.h"
#include "edge/health/health.h"
#include "edge/synthetic/synthetic_source.h"
#include "edge/uplink/uplink.h"

namespace gridsight::edge::control {
namespace {

constexpr std::int64_t kRequestReadMs = 5000;  // a client has this long to send its line

void send_line(int fd, const nlohmann::json& j) {
  write_line(fd, j.dump());  // a client that went away is no error of ours
}

}  // namespace

std::filesystem::path socket_path(const std::filesystem::path& data_dir) {
  return data_dir / "control.sock";
}

ControlSocket::ControlSocket(std::filesystem::path path, Outbox& outbox, Clock& clock,
                             Sources sources)
    : path_(std::move(path)), outbox_(outbox), clock_(clock), sources_(std::move(sources)) {
  outbox_.on_settled([this](const AckOutcome& o) { settled(o); });
}

ControlSocket::~ControlSocket() {
  stop();
  outbox_.on_settled(nullptr);
}

void ControlSocket::start() {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string p = path_.string();
  if (p.size() >= sizeof(addr.sun_path)) {
    throw std::runtime_error("control socket path " + p + " is longer than " +
                             std::to_string(sizeof(addr.sun_path) - 1) + " bytes");
  }
  std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0)
    throw std::runtime_error("control socket: " + std::string(std::strerror(errno)));
  ::unlink(p.c_str());  // left by a daemon that did not stop cleanly
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::chmod(p.c_str(), 0660) != 0 || ::listen(listen_fd_, 4) != 0) {
    const std::string err = std::strerror(errno);
    ::close(listen_fd_);
    listen_fd_ = -1;
    throw std::runtime_error("control socket " + p + ": " + err);
  }
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC);
  running_ = true;
  thread_ = std::thread([this] { run(); });
  spdlog::info("control: listening on {}", p);
}

void ControlSocket::stop() {
  if (!running_.exchange(false)) return;
  {
    std::lock_guard lock(mu_);
    cv_.notify_all();
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
  ::close(listen_fd_);
  ::close(wake_fd_);
  listen_fd_ = wake_fd_ = -1;
  ::unlink(path_.c_str());
}

void ControlSocket::run() {
  while (running_) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      spdlog::error("control: poll: {}", std::strerror(errno));
      return;
    }
    if (fds[1].revents) return;
    if (!(fds[0].revents & POLLIN)) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    try {
      serve(fd);
    } catch (const std::exception& e) {
      // Disk or database failures while raising the event: the client is told, the loop lives.
      spdlog::error("control: {}", e.what());
      send_line(fd, {{"error", e.what()}});
    }
    ::close(fd);
  }
}

void ControlSocket::serve(int fd) {
  const auto line = read_line(fd, std::chrono::milliseconds(kRequestReadMs), 4096);
  if (!line) return;  // hung up, too long or too slow: nothing to answer
  const auto req = nlohmann::json::parse(*line, nullptr, false);
  if (!req.is_object() || !req.contains("command") || !req["command"].is_string()) {
    send_line(fd, {{"error", "malformed request: want one JSON object with \"command\""}});
    return;
  }
  const std::string command = req["command"];
  if (command != "test-event") {
    send_line(fd, {{"error", "unknown command \"" + command + "\" (known: test-event)"}});
    return;
  }
  const std::string camera = req.value("camera", std::string());
  const std::int64_t timeout =
      std::clamp<std::int64_t>(req.value("timeout_ms", std::int64_t{60'000}), 0, kMaxWaitMs);
  if (auto err = test_event(fd, camera, timeout); !err.empty()) send_line(fd, {{"error", err}});
}

std::string ControlSocket::test_event(int fd, const std::string& camera, std::int64_t timeout_ms) {
  const auto cam = sources_.camera(camera);
  if (!cam) {
    return camera.empty() ? "no camera is configured"
                          : "no camera \"" + camera + "\" is configured";
  }
  Draft d;
  d.event = synthetic_event(*cam, "synthetic.test", clock_.now_ms(), ++test_events_, "test-event");
  {
    std::lock_guard lock(mu_);
    waiting_seq_ = 0;
    confirmed_.reset();
    refused_.reset();
  }
  // The seq is known only once append returns, and the ack may come right after: the lock is
  // held across append, so the outbox's callback (which takes it) sees waiting_seq_ set.
  std::unique_lock lock(mu_);
  const auto seqs = outbox_.append({std::move(d)});
  waiting_seq_ = seqs.front();
  const std::uint64_t seq = waiting_seq_;
  lock.unlock();
  spdlog::info("control: test event seq {} raised for camera {}", seq, cam->id);
  auto pending = outbox_.pending_after(seq - 1, 1);
  nlohmann::json raised = {{"seq", seq}, {"camera_id", cam->id}};
  if (!pending.empty() && pending.front().seq == seq) {
    raised["event_id"] = pending.front().event_id;
    raised["created_ms"] = pending.front().created_ms;
  }
  send_line(fd, {{"raised", raised}});

  lock.lock();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  cv_.wait_until(lock, deadline, [&] { return confirmed_ || refused_ || !running_; });
  waiting_seq_ = 0;
  if (confirmed_) {
    spdlog::info("control: test event seq {} confirmed by the aggregator after {} ms", seq,
                 confirmed_->confirmed_ms - confirmed_->created_ms);
    send_line(fd, {{"confirmed", health::confirmed_json(*confirmed_)}});
  } else if (refused_) {
    spdlog::error("control: test event seq {} refused by the aggregator: {}", seq, *refused_);
    send_line(fd, {{"refused", {{"seq", seq}, {"reason", *refused_}}}});
  } else if (!running_) {
    return "the daemon is stopping";
  } else {
    lock.unlock();
    const UplinkStatus u = sources_.uplink ? sources_.uplink() : UplinkStatus{};
    spdlog::warn("control: test event seq {} not confirmed within {} ms (uplink {})", seq,
                 timeout_ms, u.connected ? "connected" : "disconnected");
    send_line(fd, {{"timeout",
                    {{"seq", seq},
                     {"waited_ms", timeout_ms},
                     {"uplink_connected", u.connected},
                     {"uplink_error", u.last_error},
                     {"pending", outbox_.stats().pending}}}});
  }
  return {};
}

void ControlSocket::settled(const AckOutcome& o) {
  std::lock_guard lock(mu_);
  if (waiting_seq_ == 0) return;
  for (const auto& c : o.confirmed) {
    if (c.seq == waiting_seq_) confirmed_ = c;
  }
  for (const auto& r : o.dead_lettered) {
    if (r.seq == waiting_seq_) refused_ = r.reason;
  }
  if (confirmed_ || refused_) cv_.notify_all();
}

}  // namespace gridsight::edge::control
