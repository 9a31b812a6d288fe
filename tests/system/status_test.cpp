// The status page of the real edge binary: two cameras (one served by a real RTSP server, one
// pointing at nothing), real mosquitto; access control over real sockets, the JSON showing each
// camera's state, and a camera whose RTSP server is stopped turning down with an error.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/http/password.h"
#include "tests/support/harness.h"

namespace gridsight::test {
namespace {

struct Reply {
  int status = 0;
  std::string head, body;
  std::string header(const std::string& name) const {
    const auto p = head.find("\r\n" + name + ": ");
    if (p == std::string::npos) return "";
    const auto start = p + 4 + name.size();
    return head.substr(start, head.find("\r\n", start) - start);
  }
};

Reply request(int port, const std::string& method, const std::string& target,
              const std::string& headers = "", const std::string& body = "") {
  Reply r;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return r;
  }
  timeval tv{20, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const std::string req = method + " " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" +
                          headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
                          body;
  ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  std::string all;
  char buf[8192];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) all.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  const auto end = all.find("\r\n\r\n");
  if (all.size() < 12 || end == std::string::npos) return r;
  r.status = std::stoi(all.substr(9, 3));
  r.head = all.substr(0, end + 2);
  r.body = all.substr(end + 4);
  return r;
}

nlohmann::json camera(const nlohmann::json& status, const std::string& id) {
  for (const auto& c : status.value("cameras", nlohmann::json::array())) {
    if (c.value("id", "") == id) return c;
  }
  return nullptr;
}

TEST(StatusPageSystem, GuardsItsEndpointsAndShowsACameraGoingDown) {
  TempDir dir("gridsight-status");
  // The camera stand-in: GStreamer's RTSP server serving the real footage.
  const int rtsp_port = free_port();
  Process rtsp("rtsp",
               {GRIDSIGHT_RTSP_SERVER, std::to_string(rtsp_port),
                std::string(GRIDSIGHT_TEST_MEDIA_DIR) + "/h264_b.mp4"},
               dir / "rtsp.log");
  rtsp.start();
  ASSERT_TRUE(wait_until([&] { return port_accepts(rtsp_port); }, 30s)) << rtsp.log_tail();
  const std::string rtsp_url = "rtsp://127.0.0.1:" + std::to_string(rtsp_port) + "/stream";
  Mosquitto broker(dir / "broker");
  broker.start();

  const std::string password = "maintainer-password-1";
  const std::string token = http::random_token();
  const int port = free_port();
  EdgeSpec es;
  es.device_id = "edge-status";
  es.cameras = {};
  es.mqtt_port = broker.port();
  es.status_yaml = "  port: " + std::to_string(port) + "\n  password_hash: \"" +
                   http::hash_password(password) + "\"\n  tokens: [\"" + http::token_digest(token) +
                   "\"]\n";
  es.extra_yaml = "  - id: cam-live\n    url: " + rtsp_url +
                  "\n    reconnect: {initial: 200ms, max: 1s}\n"
                  "  - id: cam-broken\n    url: rtsp://127.0.0.1:" +
                  std::to_string(free_port()) +
                  "/nothing\n    reconnect: {initial: 200ms, max: 1s}\n";
  Edge edge(dir.path(), es);
  edge.start();
  std::string why;
  ASSERT_TRUE(wait_while_running(
      {&edge.process()}, [&] { return request(port, "GET", "/healthz").status == 200; }, 60s, &why))
      << why << edge.process().log_tail();

  // Secrets never reach the log.
  EXPECT_EQ(edge.process().log_text().find(password), std::string::npos);

  // Without credentials: refused, the page answers with the login form.
  for (const std::string t : {"/", "/api/v1/status", "/api/v1/cameras/cam-live/frame.jpg",
                              "/api/v1/events?limit=5", "/metrics"}) {
    EXPECT_EQ(request(port, "GET", t).status, 401) << t;
  }

  // A login gives a session cookie.
  const auto ok = request(port, "POST", "/api/v1/login", "Content-Type: application/json\r\n",
                          nlohmann::json{{"password", password}}.dump());
  ASSERT_EQ(ok.status, 200) << ok.body;
  const std::string set = ok.header("Set-Cookie");
  const std::string cookie = "Cookie: " + set.substr(0, set.find(';')) + "\r\n";
  EXPECT_EQ(request(port, "GET", "/", cookie).status, 200);

  // A bearer token (scripts, Prometheus) works: the metrics are the daemon's.
  const std::string bearer = "Authorization: Bearer " + token + "\r\n";
  const auto metrics = request(port, "GET", "/metrics", bearer);
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("gridsight_edge_uplink_published_total"), std::string::npos) << metrics.body;

  // Each camera is listed with its state: the live one streams, the broken one is down with
  // an error.
  auto status = [&] {
    return nlohmann::json::parse(request(port, "GET", "/api/v1/status", cookie).body);
  };
  ASSERT_TRUE(wait_while_running(
      {&edge.process()},
      [&] {
        const auto s = status();
        const auto live = camera(s, "cam-live"), broken = camera(s, "cam-broken");
        return live.is_object() && live.value("state", "") == "streaming" && broken.is_object() &&
               broken.value("state", "") != "streaming" &&
               broken.value("state", "") != "connecting" && !broken.value("last_error", "").empty();
      },
      120s, &why))
      << why << status().dump(2);
  // Its latest frame.
  ASSERT_TRUE(wait_until(
      [&] {
        return request(port, "GET", "/api/v1/cameras/cam-live/frame.jpg", cookie).status == 200;
      },
      60s));
  const auto frame = request(port, "GET", "/api/v1/cameras/cam-live/frame.jpg", cookie);
  EXPECT_EQ(frame.header("Content-Type"), "image/jpeg");
  ASSERT_GT(frame.body.size(), 1000u);
  EXPECT_EQ(static_cast<unsigned char>(frame.body[0]), 0xFF);

  // The RTSP server stops: the camera goes down, with the error saying why.
  rtsp.kill();
  ASSERT_TRUE(wait_while_running(
      {&edge.process()},
      [&] {
        const auto live = camera(status(), "cam-live");
        const std::string st = live.value("state", "");
        return st != "streaming" && st != "connecting" &&
               live.value("last_error", "").find("refused") != std::string::npos;
      },
      120s, &why))
      << why << status().dump(2);

  // Wrong passwords: refused, then limited.
  int limited = 0;
  for (int i = 0; i < 12 && !limited; ++i) {
    const auto r = request(port, "POST", "/api/v1/login", "Content-Type: application/json\r\n",
                           R"({"password":"guess-)" + std::to_string(i) + R"("})");
    if (r.status == 429) {
      limited = i + 1;
      EXPECT_NE(r.header("Retry-After"), "");
    } else {
      EXPECT_EQ(r.status, 401);
    }
  }
  EXPECT_EQ(limited, 6);  // docs/status-page.md: after 5 failures
  EXPECT_EQ(edge.process().log_text().find("guess-"), std::string::npos);
  EXPECT_EQ(edge.stop(), 0);
}

TEST(StatusPageSystem, WithoutAPasswordOnlyHealthzAnswersAndTheDaemonWarns) {
  TempDir dir("gridsight-status-closed");
  Mosquitto broker(dir / "broker");
  broker.start();
  const int port = free_port();
  EdgeSpec es;
  es.device_id = "edge-closed";
  es.mqtt_port = broker.port();
  es.status_yaml = "  port: " + std::to_string(port) + "\n";
  Edge edge(dir.path(), es);
  edge.start();
  std::string why;
  ASSERT_TRUE(wait_while_running(
      {&edge.process()}, [&] { return request(port, "GET", "/healthz").status == 200; }, 60s, &why))
      << why << edge.process().log_tail();
  for (const std::string t : {"/", "/api/v1/status", "/metrics"}) {
    const auto r = request(port, "GET", t);
    EXPECT_EQ(r.status, 403) << t;
    EXPECT_NE(r.body.find("gridsight-passwd"), std::string::npos) << t;
  }
  EXPECT_TRUE(edge.process().wait_for_log("no password or token is configured", 10s));
  EXPECT_EQ(edge.stop(), 0);
}

}  // namespace
}  // namespace gridsight::test
