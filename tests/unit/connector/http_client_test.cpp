// The HTTP client against a real HTTP(S) server (the stand-in platform) on loopback.
#include <gtest/gtest.h>

#include <cstdlib>

#include "common/http/client.h"
#include "tests/unit/connector/fake_platform.h"

namespace gridsight::http {
namespace {

using connector::testing::FakePlatform;
using connector::testing::temp_dir;

TEST(UrlTest, ParsesWhatItSpeaksAndRefusesTheRest) {
  auto u = Url::parse("https://platform.example:8443/api/cases?x=1");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "platform.example");
  EXPECT_EQ(u->port, "8443");
  EXPECT_EQ(u->target, "/api/cases?x=1");
  EXPECT_TRUE(u->tls());
  auto v = Url::parse("http://[::1]/");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->host, "::1");
  EXPECT_EQ(v->port, "80");
  std::string why;
  EXPECT_FALSE(Url::parse("ftp://x/", &why));
  EXPECT_FALSE(Url::parse("http://user:pw@x/", &why));
  EXPECT_FALSE(Url::parse("http://x:99999/", &why));
  EXPECT_FALSE(Url::parse("http://x/a b", &why));
  EXPECT_FALSE(why.empty());
}

TEST(HttpClientTest, PostsJsonWithHeadersAndReadsTheAnswer) {
  auto dir = temp_dir("http-plain");
  FakePlatform server(dir);
  Client client;
  auto r = client.post_json(server.url("/echo"), R"({"a":1})", {{"X-Test", "yes"}});
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.response->status, 200);
  EXPECT_EQ(r.response->header("content-type"), "application/json");
  auto doc = nlohmann::json::parse(r.response->body);
  EXPECT_EQ(doc["body"], R"({"a":1})");
  EXPECT_EQ(doc["headers"]["X-Test"], "yes");
  EXPECT_EQ(doc["headers"]["Content-Type"], "application/json");
  auto missing = client.get(server.url("/nothing"));
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing.response->status, 404);
}

TEST(HttpClientTest, TransportFailuresAreReportedNotThrown) {
  auto dir = temp_dir("http-fail");
  FakePlatform server(dir);
  ClientOptions o;
  o.timeout_ms = 300;
  Client client(o);
  server.faults({}, 3.0);
  auto slow = client.get(server.url("/slow"));
  EXPECT_FALSE(slow.ok());
  EXPECT_NE(slow.error.find("timed out"), std::string::npos) << slow.error;
  auto dropped = client.get(server.url("/drop"));
  EXPECT_FALSE(dropped.ok());
  EXPECT_NE(dropped.error.find("read"), std::string::npos) << dropped.error;
  int closed = test::free_port();
  auto refused = client.get("http://127.0.0.1:" + std::to_string(closed) + "/");
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.error.find("connect"), std::string::npos) << refused.error;
  auto bad = client.get("gopher://x/");
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.error.find("bad URL"), std::string::npos);
}

TEST(HttpClientTest, HttpsVerifiesThePeerAgainstTheConfiguredCa) {
  auto dir = temp_dir("http-tls");
  auto sh = [](const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()); };
  const std::string d = dir.string();
  ASSERT_EQ(sh("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca "
               "-keyout " +
               d + "/ca.key -out " + d + "/ca.pem"),
            0);
  ASSERT_EQ(sh("openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout " + d +
               "/server.key -out " + d + "/server.csr"),
            0);
  std::ofstream(dir / "ext.cnf") << "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
  ASSERT_EQ(
      sh("openssl x509 -req -in " + d + "/server.csr -CA " + d + "/ca.pem -CAkey " + d +
         "/ca.key -CAcreateserial -days 2 -extfile " + d + "/ext.cnf -out " + d + "/server.pem"),
      0);
  // A second CA the server's certificate does not come from.
  ASSERT_EQ(sh("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other-ca "
               "-keyout " +
               d + "/other.key -out " + d + "/other.pem"),
            0);
  FakePlatform server(dir, d + "/server.pem", d + "/server.key");
  const std::string port = std::to_string(server.port());

  ClientOptions trusted;
  trusted.ca_file = d + "/ca.pem";
  Client good(trusted);
  auto r = good.get("https://localhost:" + port + "/hello");  // SNI and name check
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.response->status, 200);
  auto by_ip = good.get("https://127.0.0.1:" + port + "/hello");
  ASSERT_TRUE(by_ip.ok()) << by_ip.error;

  ClientOptions other;
  other.ca_file = d + "/other.pem";
  Client untrusted(other);
  auto refused = untrusted.get("https://localhost:" + port + "/hello");
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.error.find("handshake"), std::string::npos) << refused.error;

  std::filesystem::remove_all(dir);
}

TEST(HttpClientTest, AnUnreadableCaFileIsAConfigurationError) {
  ClientOptions o;
  o.ca_file = "/nonexistent/ca.pem";
  EXPECT_THROW(Client c(o), std::exception);
}

}  // namespace
}  // namespace gridsight::http
