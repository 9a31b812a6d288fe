// The aggregator's HTTP API driven end to end: a real edge raises a case through a real
// mosquitto; three users of different roles work it to closure over HTTP; the live feed
// delivers the transitions and resumes with Last-Event-ID; evidence arrives with Range;
// an Open311 POST becomes a case.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/http/password.h"
#include "tests/support/harness.h"
#include "tests/support/raw_http.h"

namespace gridsight::test {
namespace {

using json = nlohmann::json;

constexpr const char* kPassword = "system test password";
constexpr const char* kToken = "system-test-hotline-token";

std::string config_yaml(int api_port) {
  const std::string dir = std::string(GRIDSIGHT_SOURCE_DIR) + "/config/grid/";
  const std::string h = http::hash_password(kPassword);
  return "cases:\n"
         "  enabled: true\n"
         "  grid_file: " +
         dir +
         "district-example.geojson\n"
         "  cameras_file: " +
         dir +
         "cameras.yaml\n"
         "  classes_file: " +
         dir +
         "classes.yaml\n"
         "  calendar_file: " +
         dir +
         "calendar-2026.yaml\n"
         "  engine_file: " +
         dir +
         "engine.yaml\n"
         "  tick_interval: 500ms\n"
         "indicators:\n"
         "  rates:\n"
         "    - {name: closure_rate, numerator: closed, denominator: due_to_close, rounding: "
         "truncate, decimals: 1}\n"
         "api:\n"
         "  enabled: true\n"
         "  port: " +
         std::to_string(api_port) +
         "\n"
         "  users:\n"
         "    - {name: ana, role: dispatcher, password_hash: \"" +
         h +
         "\"}\n"
         "    - {name: ben, role: department, department: sanitation, password_hash: \"" +
         h +
         "\"}\n"
         "    - {name: sue, role: supervisor, password_hash: \"" +
         h +
         "\"}\n"
         "  tokens:\n"
         "    - {name: hotline, role: dispatcher, token_sha256: " +
         http::token_digest(kToken) + "}\n";
}

std::string auth(const std::string& token) {
  return "Authorization: Bearer " + token + "\r\n";
}

std::vector<std::int64_t> read_ids(Conn& c, std::size_t n, std::string* text = nullptr) {
  std::vector<std::int64_t> ids;
  while (ids.size() < n) {
    std::string& b = c.buffer();
    auto p = b.find("id: ");
    auto e = p == std::string::npos ? p : b.find("\n\n", p);
    if (e == std::string::npos) {
      if (!c.fill()) break;
      continue;
    }
    ids.push_back(std::stoll(b.substr(p + 4, b.find('\n', p) - p - 4)));
    if (text) *text += b.substr(p, e - p) + "\n";
    b.erase(0, e + 2);
  }
  return ids;
}

TEST(ApiSystem, ACaseFromTheEdgeWorkedToClosureOverHttp) {
  TempDir dir("gridsight-api");
  Mosquitto broker(dir / "broker");
  broker.start();
  const int api_port = free_port();
  const auto port = static_cast<std::uint16_t>(api_port);
  AggregatorSpec as;
  as.mqtt_port = broker.port();
  as.extra_yaml = config_yaml(api_port);
  Aggregator agg(dir.path(), as);
  agg.start();
  // The API listens once the aggregator has started (probe without asserting on refusals).
  auto listening = [&] {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
  };
  ASSERT_TRUE(wait_until(listening, 60s) && request(port, "GET", "/healthz").status == 200)
      << agg.process().log_tail();

  auto login = [&](const std::string& user) {
    Reply r = request(port, "POST", "/api/v1/login",
                      json{{"user", user}, {"password", kPassword}}.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    return r.j().value("token", "");
  };
  const std::string ana = login("ana"), ben = login("ben"), sue = login("sue");
  // The password appears in no log.
  EXPECT_EQ(agg.process().log_text().find(kPassword), std::string::npos);

  // The dispatcher's browser is on the live feed before anything happens.
  auto feed = std::make_unique<Conn>(port);
  feed->send("GET /api/v1/feed HTTP/1.1\r\nHost: t\r\n" + auth(ana) + "\r\n");
  feed->until("retry:");

  EdgeSpec es;
  es.device_id = "edge-jianwai-01";
  es.cameras = {"11010500001320000001"};
  es.camera_location = "{lon: 116.4512, lat: 39.9112, crs: GCJ02}";
  es.mqtt_port = broker.port();
  es.extra_yaml = "synthetic: {type: garbage.exposed, evidence_bytes: 20000}\n";  // 06010, reviewed
  Edge edge(dir.path(), es);
  edge.start({"--synthetic", "--synthetic-rate", "5", "--synthetic-count", "1"});

  std::string text;
  std::vector<std::int64_t> seen = read_ids(*feed, 1, &text);
  ASSERT_EQ(seen.size(), 1u) << agg.process().log_tail();
  EXPECT_NE(text.find("\"new_case\""), std::string::npos) << text;

  Reply queue = request(port, "GET", "/api/v1/cases?review=pending", "", auth(ana));
  ASSERT_EQ(queue.status, 200);
  ASSERT_EQ(queue.j()["items"].size(), 1u) << queue.body;
  const std::int64_t id = queue.j()["items"][0]["id"];
  const std::string path = "/api/v1/cases/" + std::to_string(id);
  EXPECT_EQ(queue.j()["items"][0]["class_code"], "06010");
  // Names from the example district's data: the class, the cell's path, the camera.
  const json names = queue.j()["items"][0]["names"];
  EXPECT_EQ(names["class"]["name"], "暴露垃圾") << names;
  EXPECT_EQ(names["camera"], "建国里市场东门") << names;
  EXPECT_EQ(names["cell_path"][0]["level"], "district") << names;
  EXPECT_EQ(queue.j()["total"], 1);

  // Dispatcher files it; the class goes to sanitation at once.
  Reply filed = request(port, "POST", path + "/actions", R"({"action":"file","note":"confirmed"})",
                        auth(ana));
  ASSERT_EQ(filed.status, 200) << filed.body;
  EXPECT_EQ(filed.j()["state"], "dispatched");
  std::vector<std::int64_t> more = read_ids(*feed, 1, &text);
  ASSERT_EQ(more.size(), 1u);
  EXPECT_NE(text.find("\"transition\""), std::string::npos) << text;
  // Drain what is already there, then the browser goes away.
  const std::int64_t last_seen = more.back();
  feed.reset();

  // Meanwhile: department resolves, supervisor verifies and closes.
  ASSERT_EQ(request(port, "POST", path + "/actions", R"({"action":"verify"})", auth(ben)).status,
            403);
  Reply resolved = request(port, "POST", path + "/actions",
                           R"({"action":"resolve","note":"cleaned"})", auth(ben));
  ASSERT_EQ(resolved.status, 200) << resolved.body;
  ASSERT_EQ(request(port, "POST", path + "/actions", R"({"action":"close"})", auth(sue)).status,
            409);
  ASSERT_EQ(request(port, "POST", path + "/actions", R"({"action":"verify"})", auth(sue)).status,
            200);
  Reply closed = request(port, "POST", path + "/actions", R"({"action":"close"})", auth(sue));
  ASSERT_EQ(closed.status, 200) << closed.body;
  EXPECT_EQ(closed.j()["state"], "closed");
  std::string actors;
  const json closed_body = closed.j();
  for (const auto& t : closed_body["history"]) actors += t["actor"].get<std::string>() + " ";
  EXPECT_NE(actors.find("user:ana"), std::string::npos) << actors;
  EXPECT_NE(actors.find("user:ben"), std::string::npos) << actors;
  EXPECT_NE(actors.find("user:sue"), std::string::npos) << actors;
  // The daemon's `indicators:` section defines the rates the API computes: truncated to one
  // decimal, as configured; the sanitation department's name from the classes file.
  Reply ind = request(port, "GET", "/api/v1/indicators", "", auth(ana));
  ASSERT_EQ(ind.status, 200) << ind.body;
  ASSERT_EQ(ind.j()["definitions"].size(), 1u) << ind.body;
  EXPECT_EQ(ind.j()["definitions"][0]["rounding"], "truncate");
  EXPECT_EQ(ind.j()["rows"][0]["rates"][0]["text"], "100.0") << ind.body;
  EXPECT_EQ(closed_body["names"]["departments"]["sanitation"]["name"], "环卫所");

  // The browser reconnects with Last-Event-ID: exactly what it missed.
  const auto cases_db = dir / "data-aggregator" / "cases.db";
  std::vector<std::int64_t> expected;
  for (const auto& row : query(cases_db, "SELECT id FROM case_outputs WHERE id > " +
                                             std::to_string(last_seen) + " ORDER BY id")) {
    expected.push_back(std::stoll(*row[0]));
  }
  ASSERT_GE(expected.size(), 3u);  // resolve, verify, close (and any reminder)
  Conn again(port);
  again.send("GET /api/v1/feed HTTP/1.1\r\nHost: t\r\nLast-Event-ID: " + std::to_string(last_seen) +
             "\r\n" + auth(ana) + "\r\n");
  std::string replay;
  EXPECT_EQ(read_ids(again, expected.size(), &replay), expected);
  EXPECT_NE(replay.find("\"closed\""), std::string::npos) << replay;

  // Evidence: the snapshot arrives and is served with Range.
  std::string url;
  ASSERT_TRUE(wait_until(
      [&] {
        Reply d = request(port, "GET", path, "", auth(ana));
        const json d_body = d.j();
        for (const auto& rep : d_body["reports"]) {
          for (const auto& e : rep["evidence"]) {
            if (e["available"].get<bool>()) url = e["url"];
          }
        }
        return !url.empty();
      },
      60s))
      << agg.process().log_tail();
  Reply part = request(port, "GET", url, "", auth(ana) + "Range: bytes=0-17\r\n");
  ASSERT_EQ(part.status, 206) << part.head;
  EXPECT_EQ(part.body, "SYNTHETIC-SNAPSHOT");
  EXPECT_EQ(part.header("content-range"), "bytes 0-17/20000");
  EXPECT_EQ(part.header("content-type"), "image/jpeg");

  // Open311: a hotline request becomes a case.
  std::string form =
      std::string("api_key=") + kToken +
      "&service_code=06001&lat=39.9102&long=116.4500&description=Shed+on+the+pavement";
  Reply post = request(port, "POST", "/open311/v2/requests.json", form,
                       "Content-Type: application/x-www-form-urlencoded\r\n");
  ASSERT_EQ(post.status, 201) << post.body;
  const std::string rid = post.j()[0]["service_request_id"];
  Reply hc = request(port, "GET", "/api/v1/cases/" + rid, "", auth(ana));
  ASSERT_EQ(hc.status, 200) << hc.body;
  EXPECT_EQ(hc.j()["source"], "hotline");
  EXPECT_EQ(hc.j()["class_code"], "06001");
  EXPECT_EQ(request(port, "GET", "/open311/v2/requests/" + rid + ".json?api_key=" + kToken)
                .j()[0]["status"],
            "open");
  edge.stop();
  EXPECT_EQ(agg.stop(), 0);
}

}  // namespace
}  // namespace gridsight::test
