// The HTTP server, router, files with Range, Server-Sent Events and login building blocks,
// exercised over real loopback sockets.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "common/http/auth.h"
#include "common/http/password.h"
#include "common/http/server.h"
#include "common/metrics.h"
#include "tests/support/raw_http.h"

namespace gridsight::http {
namespace {

namespace fs = std::filesystem;

using test::Conn;

std::string get(std::uint16_t port, const std::string& target, const std::string& extra = "") {
  Conn c(port);
  c.send("GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + extra + "\r\n");
  return c.response();
}

int status_of(const std::string& response) {
  return response.size() > 12 ? std::stoi(response.substr(9, 3)) : 0;
}

std::string body_of(const std::string& response) {
  const auto end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gridsight-http-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    std::ofstream(dir_ / "clip.mp4", std::ios::binary) << std::string(1000, 'a') + "TAIL";
    Router r;
    r.add("GET", "/hello", [](Request&) { return Response::text(200, "hello"); });
    r.add("GET", "/cases/{id}",
          [](Request& q) { return Response::text(200, "case " + q.params["id"]); });
    r.add("GET", "/cases/export", [](Request&) { return Response::text(200, "export"); });
    r.add("POST", "/echo", [](Request& q) {
      return Response::text(200, q.body + "|" + q.query_or("a") + "|" + q.header("x-thing"));
    });
    r.add("GET", "/files/{name...}", [this](Request& q) {
      Response res;
      res.file = dir_ / q.params["name"];
      return res;
    });
    r.add("GET", "/boom", [](Request&) -> Response { throw std::runtime_error("broken"); });
    r.add("GET", "/events", [this](Request&) {
      return Response::event_stream([this](std::shared_ptr<EventStream> s) {
        std::lock_guard lock(mu_);
        streams_.push_back(std::move(s));
      });
    });
    ServerOptions o;
    o.max_body_bytes = 64;
    o.name = "test";
    server_ = std::make_unique<Server>(o, std::move(r), &metrics_);
    server_->start();
  }
  void TearDown() override {
    server_->stop();
    fs::remove_all(dir_);
  }
  std::uint16_t port() const { return server_->port(); }

  fs::path dir_;
  Metrics metrics_;
  std::unique_ptr<Server> server_;
  std::mutex mu_;
  std::vector<std::shared_ptr<EventStream>> streams_;
};

TEST_F(HttpServerTest, RoutesLiteralsBeforeParametersAndReports404And405) {
  EXPECT_EQ(body_of(get(port(), "/hello")), "hello");
  EXPECT_EQ(body_of(get(port(), "/cases/42")), "case 42");
  EXPECT_EQ(body_of(get(port(), "/cases/export")), "export");
  const auto missing = get(port(), "/nothing");
  EXPECT_EQ(status_of(missing), 404);
  EXPECT_NE(body_of(missing).find("\"error\":\"not_found\""), std::string::npos);
  Conn c(port());
  c.send("DELETE /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto r = c.response();
  EXPECT_EQ(status_of(r), 405);
  EXPECT_NE(r.find("Allow: GET"), std::string::npos);
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnectionWithBodiesAndQueries) {
  Conn c(port());
  c.send("POST /echo?a=x%20y HTTP/1.1\r\nHost: x\r\nX-Thing: t\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_EQ(body_of(c.response()), "abc|x y|t");
  c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(body_of(c.response()), "hello");
}

TEST_F(HttpServerTest, RefusesOversizedBodiesMalformedRequestsAndTraversal) {
  Conn big(port());
  big.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x'));
  EXPECT_EQ(status_of(big.response()), 413);
  Conn bad(port());
  bad.send("THIS IS NOT HTTP\r\n\r\n");
  EXPECT_EQ(status_of(bad.response()), 400);
  const auto traversal = get(port(), "/files/../../etc/passwd");
  EXPECT_EQ(status_of(traversal), 400);
  const auto encoded = get(port(), "/files/%2e%2e/%2e%2e/etc/passwd");
  EXPECT_EQ(status_of(encoded), 400);
  EXPECT_GE(metrics_.value("gridsight_http_rejected_total",
                           {{"server", "test"}, {"reason", "body_too_large"}}),
            1);
  // The server still works.
  EXPECT_EQ(body_of(get(port(), "/hello")), "hello");
}

TEST_F(HttpServerTest, HandlerExceptionsBecome500AndTheServerGoesOn) {
  EXPECT_EQ(status_of(get(port(), "/boom")), 500);
  EXPECT_EQ(status_of(get(port(), "/hello")), 200);
}

TEST_F(HttpServerTest, ServesFilesWholeAndByRangeWithTheirContentType) {
  const auto whole = get(port(), "/files/clip.mp4");
  EXPECT_EQ(status_of(whole), 200);
  EXPECT_NE(whole.find("Content-Type: video/mp4"), std::string::npos);
  EXPECT_NE(whole.find("Accept-Ranges: bytes"), std::string::npos);
  EXPECT_EQ(body_of(whole).size(), 1004u);

  const auto part = get(port(), "/files/clip.mp4", "Range: bytes=1000-1003\r\n");
  EXPECT_EQ(status_of(part), 206);
  EXPECT_NE(part.find("Content-Range: bytes 1000-1003/1004"), std::string::npos);
  EXPECT_EQ(body_of(part), "TAIL");

  const auto suffix = get(port(), "/files/clip.mp4", "Range: bytes=-2\r\n");
  EXPECT_EQ(body_of(suffix), "IL");
  const auto open = get(port(), "/files/clip.mp4", "Range: bytes=1002-\r\n");
  EXPECT_EQ(body_of(open), "IL");

  const auto beyond = get(port(), "/files/clip.mp4", "Range: bytes=5000-\r\n");
  EXPECT_EQ(status_of(beyond), 416);
  EXPECT_NE(beyond.find("Content-Range: bytes */1004"), std::string::npos);

  EXPECT_EQ(status_of(get(port(), "/files/absent.mp4")), 404);

  Conn head(port());
  head.send("HEAD /files/clip.mp4 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  head.until("\r\n\r\n");
  std::string all = head.until("never-there");
  EXPECT_NE(all.find("Content-Length: 1004"), std::string::npos);
  EXPECT_EQ(body_of(all), "");
}

TEST_F(HttpServerTest, EventStreamsDeliverFramesAndNoticeAClientLeaving) {
  auto c = std::make_unique<Conn>(port());
  c->send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(c->until("\r\n\r\n").find("Content-Type: text/event-stream"), std::string::npos);
  std::shared_ptr<EventStream> stream;
  for (int i = 0; i < 500 && !stream; ++i) {
    {
      std::lock_guard lock(mu_);
      if (!streams_.empty()) stream = streams_.front();
    }
    if (!stream) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(stream);
  EXPECT_TRUE(stream->send("id: 1\ndata: one\n\n"));
  EXPECT_TRUE(stream->send("id: 2\ndata: two\n\n"));
  const auto got = c->until("data: two\n\n");
  EXPECT_NE(got.find("data: one\n\n"), std::string::npos);
  c.reset();  // the browser tab closes
  bool open = true;
  for (int i = 0; i < 500 && open; ++i) {
    stream->send("data: ping\n\n");
    open = stream->is_open();
    if (open) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_FALSE(open);
}

TEST(HttpTls, ServesOverTlsWithTheConfiguredCertificate) {
  const fs::path dir = fs::temp_directory_path() / ("gridsight-tls-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string cmd =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
      "-nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
      "-keyout " +
      (dir / "key.pem").string() + " -out " + (dir / "cert.pem").string() + " 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  Router r;
  r.add("GET", "/hello",
        [](Request& q) { return Response::text(200, q.secure ? "secure" : "plain"); });
  ServerOptions o;
  o.tls_cert_file = (dir / "cert.pem").string();
  o.tls_key_file = (dir / "key.pem").string();
  Server server(o, std::move(r));
  server.start();
  EXPECT_EQ(server.url().substr(0, 8), "https://");
  const std::string curl =
      "curl -s --cacert " + (dir / "cert.pem").string() + " " + server.url() + "/hello";
  FILE* p = ::popen(curl.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[64] = {};
  const std::size_t n = std::fread(buf, 1, sizeof buf - 1, p);
  ::pclose(p);
  EXPECT_EQ(std::string(buf, n), "secure");
  // Plain HTTP on the TLS port gets nothing useful.
  EXPECT_NE(status_of(get(server.port(), "/hello")), 200);
  server.stop();
  fs::remove_all(dir);

  ServerOptions half;
  half.tls_cert_file = "/nonexistent/cert.pem";
  half.tls_key_file = "/nonexistent/key.pem";
  EXPECT_THROW(Server(half, Router{}), std::runtime_error);
}

TEST(HttpBind, ABusyPortIsAClearError) {
  Server a(ServerOptions{}, Router{});
  a.start();
  ServerOptions o;
  o.port = a.port();
  o.name = "second";
  Server b(o, Router{});
  try {
    b.start();
    FAIL() << "binding a busy port succeeded";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("second: cannot bind 127.0.0.1:"), std::string::npos);
  }
}

TEST(Passwords, SlowHashVerifiesOnlyTheRightPassword) {
  const std::string h = hash_password("correct horse");
  EXPECT_EQ(h.rfind("$y$", 0), 0u);
  EXPECT_EQ(h.find("correct"), std::string::npos);
  EXPECT_TRUE(verify_password("correct horse", h));
  EXPECT_FALSE(verify_password("correct hors", h));
  EXPECT_FALSE(verify_password("correct horse", "not-a-hash"));
  EXPECT_FALSE(verify_password("correct horse", ""));
  EXPECT_NE(hash_password("correct horse"), h);  // salted
  EXPECT_EQ(random_token(16).size(), 32u);
  EXPECT_NE(random_token(), random_token());
}

TEST(Sessions, LookupRevokeAndIdleExpiry) {
  SessionStore s(std::chrono::seconds(3600), std::chrono::seconds(7200));
  const std::string t = s.create("alice");
  EXPECT_EQ(s.lookup(t), "alice");
  EXPECT_EQ(s.lookup(t + "x"), std::nullopt);
  EXPECT_EQ(s.lookup(""), std::nullopt);
  s.revoke(t);
  EXPECT_EQ(s.lookup(t), std::nullopt);
  const std::string u = s.create("bob");
  s.revoke_principal("bob");
  EXPECT_EQ(s.lookup(u), std::nullopt);
  SessionStore brief(std::chrono::seconds(0), std::chrono::seconds(0));
  const std::string v = brief.create("carol");
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(brief.lookup(v), std::nullopt);
}

TEST(LoginLimits, BlockAnAddressAfterRepeatedFailuresAndClearOnSuccess) {
  LoginLimiter limiter(3, std::chrono::seconds(600), std::chrono::seconds(60));
  const auto t0 = LoginLimiter::Clock::now();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(limiter.retry_after_s("10.0.0.1", t0), 0);
    limiter.failed("10.0.0.1", t0);
  }
  // After the third failure the fourth attempt already waits.
  EXPECT_EQ(limiter.retry_after_s("10.0.0.1", t0), 2);
  EXPECT_EQ(limiter.retry_after_s("10.0.0.2", t0), 0);  // others unaffected
  for (int i = 0; i < 30; ++i) limiter.failed("10.0.0.1", t0);
  EXPECT_LE(limiter.retry_after_s("10.0.0.1", t0), 60);  // capped
  limiter.succeeded("10.0.0.1");
  EXPECT_EQ(limiter.retry_after_s("10.0.0.1", t0), 0);
}

TEST(Credentials, BearerCookieAndBasicAreRead) {
  Request q;
  q.headers = {{"authorization", "Bearer tok"}, {"cookie", "a=1; gs_session=abc"}};
  EXPECT_EQ(bearer_or_cookie(q, "gs_session"), "tok");
  q.headers = {{"cookie", "a=1; gs_session=abc"}};
  EXPECT_EQ(bearer_or_cookie(q, "gs_session"), "abc");
  q.headers = {{"authorization", "Basic YWRtaW46czNjcmV0OnBhcnQ="}};  // admin:s3cret:part
  const auto basic = basic_credentials(q);
  ASSERT_TRUE(basic);
  EXPECT_EQ(basic->user, "admin");
  EXPECT_EQ(basic->password, "s3cret:part");
  q.headers = {{"authorization", "Basic !!!"}};
  EXPECT_FALSE(basic_credentials(q));
  EXPECT_NE(session_cookie("s", "t", true, 60).find("; Secure"), std::string::npos);
  EXPECT_NE(session_cookie("s", "t", false, 60).find("HttpOnly"), std::string::npos);
}

}  // namespace
}  // namespace gridsight::http
