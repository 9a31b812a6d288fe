#pragma once
// Raw HTTP/1.1 over a loopback socket for tests: what goes over the wire is exactly what the
// test wrote (no client library smoothing anything over).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

namespace gridsight::test {

// Raw HTTP over a socket.
class Conn {
 public:
  explicit Conn(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Conn() { ::close(fd_); }
  void send(const std::string& data) {
    ASSERT_EQ(::send(fd_, data.data(), data.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(data.size()));
  }
  std::string all() {
    while (fill()) {
    }
    return buf_;
  }
  // One response off a keep-alive connection: the head, then Content-Length bytes (or what
  // arrives until the server closes).
  std::string response() {
    while (buf_.find("\r\n\r\n") == std::string::npos && fill()) {
    }
    const auto end = buf_.find("\r\n\r\n");
    if (end == std::string::npos) return std::exchange(buf_, {});
    std::size_t length = 0;
    const auto cl = buf_.substr(0, end).find("Content-Length: ");
    if (cl != std::string::npos) length = std::stoul(buf_.substr(cl + 16));
    while (buf_.size() < end + 4 + length && fill()) {
    }
    std::string out = buf_.substr(0, std::min(buf_.size(), end + 4 + length));
    buf_.erase(0, out.size());
    return out;
  }
  std::string until(const std::string& needle) {
    while (buf_.find(needle) == std::string::npos && fill()) {
    }
    return buf_;
  }
  bool fill() {
    char tmp[8192];
    const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<std::size_t>(n));
    return true;
  }
  std::string& buffer() { return buf_; }

 private:
  int fd_ = -1;
  std::string buf_;
};

struct Reply {
  int status = 0;
  std::string head;
  std::string body;
  nlohmann::json j() const { return nlohmann::json::parse(body, nullptr, false); }
  std::string header(const std::string& name) const {
    std::string lower = head;
    for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    std::string key = "\r\n" + name + ": ";
    auto p = lower.find(key);
    if (p == std::string::npos) return {};
    auto e = head.find("\r\n", p + key.size());
    return head.substr(p + key.size(), e - p - key.size());
  }
};

inline Reply request(std::uint16_t port, const std::string& method, const std::string& target,
                     const std::string& body = "", const std::string& extra = "") {
  Conn c(port);
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n" + extra;
  if (!body.empty() || method == "POST") {
    if (extra.find("Content-Type") == std::string::npos)
      req += "Content-Type: application/json\r\n";
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  c.send(req);
  std::string raw = c.all();
  Reply r;
  auto end = raw.find("\r\n\r\n");
  if (end == std::string::npos) return r;
  r.head = raw.substr(0, end + 2);
  r.body = raw.substr(end + 4);
  r.status = std::stoi(raw.substr(9, 3));
  return r;
}

}  // namespace gridsight::test
