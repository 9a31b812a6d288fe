#pragma once
// A TCP relay on 127.0.0.1 between a client and an upstream server (e.g. the RTSP camera
// stand-in), for tests: it forwards both ways until freeze(), then keeps every connection
// open but forwards nothing more from upstream, as a camera whose encoder hung or a network
// path that went silent. One thread, poll() with a 50 ms tick, stopped by the destructor.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace gridsight::test {

class TcpRelay {
 public:
  explicit TcpRelay(int upstream_port) : upstream_(upstream_port) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a = loopback(0);
    socklen_t len = sizeof a;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(listen_fd_, 8) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      ::close(listen_fd_);
      throw std::runtime_error("relay: cannot listen");
    }
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~TcpRelay() {
    stop_ = true;
    thread_.join();
    for (auto& p : pairs_) {
      ::close(p.client);
      ::close(p.upstream);
    }
    ::close(listen_fd_);
  }
  TcpRelay(const TcpRelay&) = delete;
  TcpRelay& operator=(const TcpRelay&) = delete;

  int port() const { return port_; }
  // From now on nothing more reaches the clients; connections stay open. Returns the steady
  // time (ms) of the freeze: after the last byte forwarded.
  std::int64_t freeze() {
    std::lock_guard lock(mu_);  // not in the middle of a forward
    frozen_ = true;
    return now_ms();
  }
  void thaw() {
    std::lock_guard lock(mu_);
    frozen_ = false;
  }
  std::uint64_t forwarded() const { return forwarded_; }

  static std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

 private:
  struct Pair {
    int client, upstream;
  };
  static sockaddr_in loopback(int port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    return a;
  }
  // Copies what `from` has to `to`; false when `from` closed or failed.
  bool pump(int from, int to) {
    char buf[16384];
    ssize_t n = ::recv(from, buf, sizeof buf, 0);
    if (n <= 0) return false;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = ::send(to, buf + off, static_cast<std::size_t>(n - off), MSG_NOSIGNAL);
      if (w <= 0) return false;
      off += w;
    }
    forwarded_ += static_cast<std::uint64_t>(n);
    return true;
  }
  void run() {
    while (!stop_) {
      std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
      bool frozen = false;
      {
        std::lock_guard lock(mu_);
        frozen = frozen_;
      }
      for (auto& p : pairs_) {
        fds.push_back({p.client, POLLIN, 0});
        fds.push_back({p.upstream, static_cast<short>(frozen ? 0 : POLLIN), 0});
      }
      const std::size_t polled = pairs_.size();  // pairs accepted below were not polled
      if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) {
          int u = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
          sockaddr_in a = loopback(upstream_);
          if (::connect(u, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
            pairs_.push_back({c, u});
          } else {
            ::close(u);
            ::close(c);
          }
        }
      }
      std::lock_guard lock(mu_);
      for (std::size_t i = 0; i < polled; ++i) {
        const pollfd& cf = fds[1 + 2 * i];
        const pollfd& uf = fds[2 + 2 * i];
        bool ok = true;
        // Client to upstream always (requests, keep-alives); upstream to client until frozen.
        if (cf.revents & (POLLIN | POLLHUP | POLLERR))
          ok = pump(pairs_[i].client, pairs_[i].upstream);
        if (ok && !frozen_ && (uf.revents & (POLLIN | POLLHUP | POLLERR))) {
          ok = pump(pairs_[i].upstream, pairs_[i].client);
        }
        if (!ok) {
          ::close(pairs_[i].client);
          ::close(pairs_[i].upstream);
          pairs_.erase(pairs_.begin() + static_cast<std::ptrdiff_t>(i));
          break;  // indices shifted: poll again
        }
      }
    }
  }

  int upstream_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> forwarded_{0};
  std::mutex mu_;
  bool frozen_ = false;
  std::vector<Pair> pairs_;
  std::thread thread_;
};

}  // namespace gridsight::test
