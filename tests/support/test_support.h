#pragma once
// Helpers for tests that run real parts: child processes (an RTSP server), free ports, open
// file descriptors and heap in use.

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
#define GRIDSIGHT_HAVE_SANITIZER_ALLOCATOR 1
#endif
#include <fcntl.h>
#include <malloc.h>

namespace gridsight::test {

inline std::string media(const std::string& name) {
  return std::string(GRIDSIGHT_TEST_MEDIA_DIR) + "/" + name;
}

// A TCP port free on 127.0.0.1 right now.
inline int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

inline bool port_open(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// Waits (polling) until `cond` holds or `limit` passes; the limit only guards against hangs.
inline bool wait_until(const std::function<bool()>& cond,
                       std::chrono::milliseconds limit = std::chrono::seconds(60)) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// A child process (argv[0] looked up in PATH), stopped by its PID (SIGKILL) when destroyed.
class ChildProcess {
 public:
  explicit ChildProcess(std::vector<std::string> argv) : argv_(std::move(argv)) { start(); }
  ~ChildProcess() { kill(); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  void start() {
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // no stray child if the test is killed
      std::vector<char*> args;
      for (auto& a : argv_) args.push_back(a.data());
      args.push_back(nullptr);
      int devnull = ::open("/dev/null", O_WRONLY);
      ::dup2(devnull, 1);
      ::execvp(args[0], args.data());
      ::_exit(127);
    }
  }
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  void pause() { ::kill(pid_, SIGSTOP); }  // stops sending, keeps its sockets open
  void resume() { ::kill(pid_, SIGCONT); }
  pid_t pid() const { return pid_; }

 private:
  std::vector<std::string> argv_;
  pid_t pid_ = -1;
};

#ifdef GRIDSIGHT_RTSP_SERVER  // host builds only: not built for arm64 (docs/arm64.md)
// The RTSP camera stand-in (tests/support/rtsp_server.c) serving `file` on a free port.
class RtspServer {
 public:
  explicit RtspServer(const std::string& file, const std::string& codec = "h264")
      : port_(free_port()), proc_({GRIDSIGHT_RTSP_SERVER, std::to_string(port_), file, codec}) {
    wait_ready();
  }
  std::string url() const { return "rtsp://127.0.0.1:" + std::to_string(port_) + "/stream"; }
  int port() const { return port_; }
  void pause() { proc_.pause(); }
  void kill() { proc_.kill(); }
  // Starts it again on the same port.
  void restart() {
    proc_.kill();
    proc_.start();
    wait_ready();
  }
  bool ready() const { return port_open(port_); }

 private:
  void wait_ready() {
    wait_until([&] { return port_open(port_); });
  }
  int port_;
  ChildProcess proc_;
};
#endif  // GRIDSIGHT_RTSP_SERVER

inline int open_fds() {
  int n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (::readdir(d)) ++n;
    ::closedir(d);
  }
  return n;
}

// Heap bytes in use (the sanitizer allocator's own count under ASan).
inline std::uint64_t heap_in_use() {
#ifdef GRIDSIGHT_HAVE_SANITIZER_ALLOCATOR
  std::uint64_t asan = __sanitizer_get_current_allocated_bytes();
  if (asan > 0) return asan;
#endif
  return static_cast<std::uint64_t>(mallinfo2().uordblks);
}

}  // namespace gridsight::test
