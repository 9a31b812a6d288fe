// The status page server over real loopback sockets: access control (no default password,
// 401 without credentials, failed logins limited, bearer tokens, session cookies), the JSON,
// frame, event and metrics endpoints, the health check; recent events read from a real outbox;
// the `status:` configuration section.
#include "edge/status/status_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "common/clock.h"
#include "common/config/section.h"
#include "common/http/password.h"
#include "common/metrics.h"
#include "edge/outbox/outbox.h"
#include "edge/status/config.h"
#include "edge/status/recent_events.h"

namespace gridsight::edge::status {
namespace {

namespace fs = std::filesystem;

struct Reply {
  int status = 0;
  std::string head;
  std::string body;
  std::string header(const std::string& name) const {
    const auto p = head.find("\r\n" + name + ": ");
    if (p == std::string::npos) return "";
    const auto start = p + 4 + name.size();
    return head.substr(start, head.find("\r\n", start) - start);
  }
};

// One request over a fresh connection (Connection: close), read to the end.
Reply request(std::uint16_t port, const std::string& method, const std::string& target,
              const std::string& headers = "", const std::string& body = "") {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" +
                    headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  EXPECT_EQ(::send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
  std::string all;
  char buf[8192];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) all.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  Reply r;
  const auto end = all.find("\r\n\r\n");
  if (all.size() < 12 || end == std::string::npos) return r;
  r.status = std::stoi(all.substr(9, 3));
  r.head = all.substr(0, end + 2);
  r.body = all.substr(end + 4);
  return r;
}

Reply get(std::uint16_t port, const std::string& target, const std::string& headers = "") {
  return request(port, "GET", target, headers);
}

Reply login(std::uint16_t port, const std::string& password) {
  return request(port, "POST", "/api/v1/login", "Content-Type: application/json\r\n",
                 nlohmann::json{{"password", password}}.dump());
}

const std::vector<std::string> kProtected = {"/",
                                             "/api/v1/status",
                                             "/api/v1/cameras/cam-1/frame.jpg",
                                             "/api/v1/events?limit=5",
                                             "/api/v1/events/x/snapshot.jpg",
                                             "/metrics"};

constexpr const char* kPassword = "correct horse battery";
constexpr const char* kToken = "0123456789abcdef0123456789abcdef";

class StatusServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { hash_ = new std::string(http::hash_password(kPassword)); }
  static void TearDownTestSuite() { delete hash_; }

  void start(StatusConfig c) {
    c.bind = "127.0.0.1";
    c.port = 0;
    Sources s;
    s.status = [] {
      return nlohmann::json{{"device_id", "edge-t"},
                            {"cameras", {{{"id", "cam-1"}, {"state", "streaming"}}}}};
    };
    s.latest_frame = [this](const std::string& id) -> std::optional<FramePixels> {
      ++frame_calls_;
      if (id != "cam-1") return std::nullopt;
      FramePixels f{64, 48, 64 * 3, 3, 1234, {}};
      f.pixels.resize(64 * 48 * 3);
      for (std::size_t i = 0; i < f.pixels.size(); ++i) f.pixels[i] = static_cast<std::uint8_t>(i);
      return f;
    };
    s.metrics = [this] { return metrics_.prometheus(); };
    s.unhealthy = [this]() -> std::optional<std::string> {
      if (broken_) return std::string("outbox folder is not writable");
      return std::nullopt;
    };
    s.events = &events_;
    server_ = std::make_unique<StatusServer>(c, std::move(s), &metrics_);
    server_->start();
  }
  static StatusConfig with_password() {
    StatusConfig c;
    c.password_hash = *hash_;
    c.tokens = {http::token_digest(kToken)};
    return c;
  }
  std::uint16_t port() const { return server_->port(); }

  static std::string* hash_;
  Metrics metrics_;
  RecentEvents events_;
  std::atomic<bool> broken_{false};
  std::atomic<int> frame_calls_{0};
  std::unique_ptr<StatusServer> server_;
};
std::string* StatusServerTest::hash_ = nullptr;

TEST_F(StatusServerTest, WithoutAnyCredentialConfiguredOnlyHealthzAnswers) {
  start(StatusConfig{});
  for (const auto& t : kProtected) {
    const auto r = get(port(), t);
    EXPECT_EQ(r.status, 403) << t;
    EXPECT_NE(r.body.find("gridsight-passwd"), std::string::npos) << t << ": " << r.body;
  }
  EXPECT_EQ(login(port(), "anything").status, 403);
  EXPECT_EQ(get(port(), "/healthz").status, 200);
}

TEST_F(StatusServerTest, EveryEndpointButHealthzRefusesWithoutCredentials) {
  start(with_password());
  for (const auto& t : kProtected) {
    const auto r = get(port(), t);
    EXPECT_EQ(r.status, 401) << t;
    EXPECT_NE(r.header("WWW-Authenticate"), "") << t;
    EXPECT_EQ(r.header("Cache-Control"), "no-store") << t;
  }
  // The page itself answers with the login form, and nothing of the status.
  const auto page = get(port(), "/");
  EXPECT_NE(page.body.find("/api/v1/login"), std::string::npos);
  EXPECT_EQ(page.body.find("cam-1"), std::string::npos);
  EXPECT_EQ(get(port(), "/healthz").status, 200);
  EXPECT_EQ(get(port(), "/login").status, 200);
  // A made-up session cookie does not open anything either.
  EXPECT_EQ(get(port(), "/api/v1/status", "Cookie: gridsight_session=forged\r\n").status, 401);
}

TEST_F(StatusServerTest, WrongPasswordsAreRefusedThenRateLimited) {
  start(with_password());
  int limited_at = 0;
  for (int i = 1; i <= 10 && !limited_at; ++i) {
    const auto r = login(port(), "wrong password " + std::to_string(i));
    if (r.status == 429) {
      limited_at = i;
      EXPECT_GE(std::stoi(r.header("Retry-After")), 1);
    } else {
      EXPECT_EQ(r.status, 401) << r.body;
      EXPECT_EQ(r.header("Set-Cookie"), "");
    }
  }
  ASSERT_GT(limited_at, 1) << "failed logins are never limited";
  // While limited, even the right password waits.
  EXPECT_EQ(login(port(), kPassword).status, 429);
  EXPECT_GE(metrics_.value("gridsight_status_logins_total", {{"result", "failed"}}), 5);
}

TEST_F(StatusServerTest, LoginGivesASessionCookieThatOpensEverythingUntilLogout) {
  start(with_password());
  const auto r = login(port(), kPassword);
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string set = r.header("Set-Cookie");
  EXPECT_NE(set.find("HttpOnly"), std::string::npos);
  EXPECT_NE(set.find("SameSite=Strict"), std::string::npos);
  const std::string cookie = "Cookie: " + set.substr(0, set.find(';')) + "\r\n";

  const auto page = get(port(), "/", cookie);
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("/api/v1/status"), std::string::npos);
  EXPECT_NE(page.header("Content-Security-Policy").find("default-src 'none'"), std::string::npos);
  const auto st = get(port(), "/api/v1/status", cookie);
  ASSERT_EQ(st.status, 200);
  const auto j = nlohmann::json::parse(st.body);
  EXPECT_EQ(j["cameras"][0]["state"], "streaming");

  EXPECT_EQ(request(port(), "POST", "/api/v1/logout", cookie).status, 200);
  EXPECT_EQ(get(port(), "/api/v1/status", cookie).status, 401);
}

TEST_F(StatusServerTest, FormLoginsWorkToo) {
  start(with_password());
  const auto r = request(port(), "POST", "/api/v1/login",
                         "Content-Type: application/x-www-form-urlencoded\r\n",
                         "password=correct+horse+battery");
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(StatusServerTest, BearerTokensOpenTheApiAndWrongOnesAreRefused) {
  start(with_password());
  const std::string auth = std::string("Authorization: Bearer ") + kToken + "\r\n";
  const auto m = get(port(), "/metrics", auth);
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.header("Content-Type").find("text/plain"), std::string::npos);
  EXPECT_EQ(get(port(), "/api/v1/status", auth).status, 200);
  EXPECT_EQ(get(port(), "/api/v1/status", "Authorization: Bearer nope\r\n").status, 401);
  // A token is not a password.
  EXPECT_EQ(login(port(), kToken).status, 401);
}

TEST_F(StatusServerTest, ServesTheLatestFrameAsJpegEncodingAtMostEveryFewSeconds) {
  start(with_password());
  const std::string auth = std::string("Authorization: Bearer ") + kToken + "\r\n";
  const auto first = std::chrono::steady_clock::now();
  const auto f = get(port(), "/api/v1/cameras/cam-1/frame.jpg", auth);
  ASSERT_EQ(f.status, 200);
  EXPECT_EQ(f.header("Content-Type"), "image/jpeg");
  ASSERT_GE(f.body.size(), 4u);
  EXPECT_EQ(static_cast<unsigned char>(f.body[0]), 0xFF);
  EXPECT_EQ(static_cast<unsigned char>(f.body[1]), 0xD8);
  EXPECT_EQ(f.header("X-Frame-Time"), "1234");
  const int calls = frame_calls_;
  EXPECT_EQ(get(port(), "/api/v1/cameras/cam-1/frame.jpg", auth).body, f.body);
  // Within the refresh interval the encoded JPEG is reused (checked only when the machine was
  // quick enough for the second request to fall inside it).
  if (std::chrono::steady_clock::now() - first <
      std::chrono::milliseconds(StatusServer::kFrameRefreshMs)) {
    EXPECT_EQ(frame_calls_, calls) << "the cached JPEG was not reused";
  }
  EXPECT_EQ(get(port(), "/api/v1/cameras/cam-9/frame.jpg", auth).status, 404);
}

TEST_F(StatusServerTest, ListsRecentEventsNewestFirstWithTheirSnapshots) {
  start(with_password());
  const std::string auth = std::string("Authorization: Bearer ") + kToken + "\r\n";
  events_.add(
      {1, "ev-1", "cam-1", "zone.intrusion", "lawn", 1000, std::nullopt, 0.8, 1001, "JPEG1"});
  events_.add({2, "ev-2", "cam-1", "parking.illegal", "", 2000, 2500, 0.6, 2001, ""});
  const auto r = get(port(), "/api/v1/events?limit=10", auth);
  ASSERT_EQ(r.status, 200);
  const auto j = nlohmann::json::parse(r.body);
  ASSERT_EQ(j["events"].size(), 2u);
  EXPECT_EQ(j["events"][0]["event_id"], "ev-2");
  EXPECT_TRUE(j["events"][0]["snapshot"].is_null());
  EXPECT_EQ(j["events"][1]["snapshot"], "/api/v1/events/ev-1/snapshot.jpg");
  EXPECT_EQ(get(port(), "/api/v1/events/ev-1/snapshot.jpg", auth).body, "JPEG1");
  EXPECT_EQ(get(port(), "/api/v1/events/ev-2/snapshot.jpg", auth).status, 404);
  EXPECT_EQ(
      nlohmann::json::parse(get(port(), "/api/v1/events?limit=1", auth).body)["events"].size(), 1u);
  EXPECT_EQ(get(port(), "/api/v1/events?limit=zero", auth).status, 400);
}

TEST_F(StatusServerTest, HealthzIsOpenAndTellsWhyTheBoxIsUnhealthy) {
  start(with_password());
  EXPECT_EQ(get(port(), "/healthz").status, 200);
  broken_ = true;
  const auto r = get(port(), "/healthz");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("not writable"), std::string::npos);
}

TEST(RecentEvents, KeepsTheLatestEventsOfARealOutboxWithTheirSnapshots) {
  const fs::path dir =
      fs::temp_directory_path() / ("gridsight-recent-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  ManualClock clock{1'764'000'000'000};
  Metrics metrics;
  Outbox outbox(dir / "outbox", "edge-01", OutboxConfig{}, clock, metrics);
  auto draft = [&](int i, bool with_snapshot) {
    Draft d;
    d.event.camera_id = "cam-1";
    d.event.type = "zone.intrusion";
    d.event.start_ms = 1'764'000'000'000 + i;
    d.event.confidence = 0.5;
    if (with_snapshot) {
      const auto p = dir / ("snap-" + std::to_string(i) + ".jpg");
      std::ofstream(p, std::ios::binary) << "jpeg-" << i;
      d.evidence.push_back({p, "image/jpeg", "snapshot"});
    }
    return d;
  };
  outbox.append({draft(0, false)});
  RecentEvents recent(3);
  recent.poll(outbox);
  ASSERT_EQ(recent.latest(10).size(), 1u);
  for (int i = 1; i <= 4; ++i) outbox.append({draft(i, true)});
  recent.poll(outbox);
  const auto latest = recent.latest(10);
  ASSERT_EQ(latest.size(), 3u);  // capacity
  EXPECT_EQ(latest[0].start_ms, 1'764'000'000'004);
  EXPECT_EQ(latest[2].start_ms, 1'764'000'000'002);
  EXPECT_EQ(recent.snapshot(latest[0].event_id), "jpeg-4");
  fs::remove_all(dir);
}

StatusConfig parse(const std::string& yaml) {
  auto s = config::load_string(yaml, "status.yaml");
  return StatusConfig::read(s);
}

TEST(StatusConfig, DefaultsAndRefusals) {
  const auto d = parse("{}");
  EXPECT_TRUE(d.enabled);
  EXPECT_EQ(d.bind, "127.0.0.1");
  EXPECT_EQ(d.port, 8088);
  EXPECT_FALSE(d.has_credentials());
  const std::string digest(64, 'a');
  const auto c = parse("password_hash: \"$y$j9T$abc$def\"\ntokens: [\"sha256:" + digest +
                       "\"]\nport: 9000\nsession_idle: 30m\n");
  EXPECT_TRUE(c.has_credentials());
  EXPECT_EQ(c.tokens, std::vector<std::string>{digest});
  EXPECT_EQ(c.session_idle_ms, 30 * 60 * 1000);
  EXPECT_THROW(parse("password_hash: hunter22\n"), config::Error);  // a password, not a hash
  EXPECT_THROW(parse("tokens: [my-secret-token]\n"), config::Error);
  EXPECT_THROW(parse("tls_cert_file: a.pem\n"), config::Error);
  EXPECT_THROW(parse("port: 0\n"), config::Error);
  EXPECT_THROW(parse("passwd: x\n"), config::Error);
}

}  // namespace
}  // namespace gridsight::edge::status
