// The aggregator's HTTP API over real loopback sockets, with a real case engine on a SQLite
// store, a real event store for the evidence index and real files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "aggregator/api/api_service.h"
#include "aggregator/api/feed_hub.h"
#include "aggregator/cases/case_service.h"
#include "aggregator/fleet/fleet_view.h"
#include "aggregator/store/sqlite/sqlite_event_store.h"
#include "common/config/section.h"
#include "common/http/password.h"
#include "common/sqlite/database.h"
#include "tests/support/raw_http.h"
#include "tests/unit/cases/engine_fixture.h"

namespace gridsight::api {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using cases::testing::EngineTest;
using test::Conn;
using test::Reply;
using test::request;

constexpr const char* kPassword = "correct horse battery";
constexpr const char* kToken = "hotline-token-0123456789";

class ApiTest : public EngineTest {
 protected:
  ApiTest() {
    dir_ = fs::path(::testing::TempDir()) /
           ("api-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "evidence");
    events = std::make_unique<aggregator::SqliteEventStore>((dir_ / "aggregator.db").string());
    classes.add(cases::testing::make_class("06011", "sanitation", 4, 10, true, 0));
  }
  ~ApiTest() override {
    if (service) service->stop();
    if (cases_service) cases_service->stop();
    service.reset();
    cases_service.reset();
    fs::remove_all(dir_);
  }

  static std::string hash() {
    static const std::string h = http::hash_password(kPassword);
    return h;
  }

  ApiConfig default_config(bool with_users = true) {
    ApiConfig c;
    c.enabled = true;
    c.port = 0;
    c.threads = 2;
    c.max_body_bytes = 64 * 1024;
    if (with_users) {
      c.users = {{"ana", Role::kDispatcher, "", hash()},
                 {"ben", Role::kDepartment, "sanitation", hash()},
                 {"dora", Role::kDepartment, "traffic-police", hash()},
                 {"sue", Role::kSupervisor, "", hash()},
                 {"rob", Role::kReadonly, "", hash()}};
      c.tokens = {{"hotline", Role::kDispatcher, "", http::token_digest(kToken)}};
    }
    return c;
  }

  void start(ApiConfig c,
             std::function<std::pair<int, std::string>(const std::string&)> callback = {}) {
    ApiContext ctx;
    ctx.connector_callback = std::move(callback);
    ctx.fleet = fleet;
    // The case service owns the engine from here on (the fixture's own one is dropped).
    engine.reset();
    cases::CaseServiceConfig sc;
    sc.tick_interval_ms = 1'000'000'000'000;  // timers run once, at start: the clock is manual
    cases_service = std::make_unique<cases::CaseService>(
        sc,
        [this](cases::CaseSink& out) {
          return std::make_unique<cases::CaseEngine>(grid, cameras, classes, calendar, *store, out,
                                                     clock, config, &metrics);
        },
        *store, *events, no_recheck, clock, metrics);
    ctx.cases = cases_service.get();
    ctx.case_db_path = db_path_.string();
    ctx.event_db_path = (dir_ / "aggregator.db").string();
    ctx.evidence_dir = dir_ / "evidence";
    ctx.grid = &grid;
    ctx.cameras = &cameras;
    ctx.classes = &classes;
    ctx.clock = &clock;
    fs::path gf = dir_ / "grid.geojson";
    std::ofstream(gf) << grid::testing::collection(grid::testing::district_features());
    ctx.grid_file = gf.string();
    service = std::make_unique<ApiService>(std::move(c), std::move(ctx));
    cases_service->start();
    service->start();
    port = service->port();
  }

  std::string login(const std::string& user) {
    Reply r = request(port, "POST", "/api/v1/login",
                      json{{"user", user}, {"password", kPassword}}.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    return r.j().value("token", "");
  }

  static std::string auth(const std::string& token) {
    return "Authorization: Bearer " + token + "\r\n";
  }

  // A garbage event (class 06010, reviewed, sanitation) from cam-1.
  cases::CaseId raise(const std::string& event_id) {
    const protocol::Event e = event(event_id, "garbage.exposed");
    const std::int64_t at = clock.now_ms();
    return cases_service->call([e, at](cases::CaseEngine& en) { return en.on_event(e, at); })
        .get()
        .case_id;
  }

  std::size_t history_size(cases::CaseId id) {
    return cases_service->call([id](cases::CaseEngine& en) { return en.get(id)->history.size(); })
        .get();
  }

  fs::path dir_;
  std::unique_ptr<aggregator::SqliteEventStore> events;
  cases::NoRecheckChannel no_recheck;
  std::unique_ptr<cases::CaseService> cases_service;
  std::unique_ptr<ApiService> service;
  std::uint16_t port = 0;
  aggregator::fleet::FleetView* fleet = nullptr;
};

TEST_F(ApiTest, NoUsersMeansNoAccessWithAReason) {
  start(default_config(false));
  Reply r = request(port, "GET", "/api/v1/cases");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("no default credentials"), std::string::npos);
  EXPECT_EQ(request(port, "POST", "/api/v1/login", R"({"user":"a","password":"b"})").status, 503);
  EXPECT_EQ(request(port, "GET", "/healthz").status, 200);
}

TEST_F(ApiTest, LoginSessionsCookiesAndRateLimit) {
  start(default_config());
  EXPECT_EQ(request(port, "GET", "/api/v1/me").status, 401);
  Reply ok =
      request(port, "POST", "/api/v1/login", json{{"user", "ana"}, {"password", kPassword}}.dump());
  ASSERT_EQ(ok.status, 200);
  EXPECT_EQ(ok.j()["user"]["role"], "dispatcher");
  const std::string cookie = ok.header("set-cookie");
  EXPECT_NE(cookie.find("gs_session="), std::string::npos);
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  const std::string token = ok.j()["token"];
  // The cookie works as well as the bearer token.
  Reply me = request(port, "GET", "/api/v1/me", "", "Cookie: gs_session=" + token + "\r\n");
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(me.j()["name"], "ana");
  EXPECT_EQ(request(port, "GET", "/api/v1/me", "", auth(kToken)).j()["kind"], "token");
  // Logout revokes.
  EXPECT_EQ(request(port, "POST", "/api/v1/logout", "", auth(token)).status, 204);
  EXPECT_EQ(request(port, "GET", "/api/v1/me", "", auth(token)).status, 401);
  // Wrong passwords: 401, then 429 with Retry-After.
  int last = 0;
  std::string retry;
  for (int i = 0; i < 7; ++i) {
    Reply r = request(port, "POST", "/api/v1/login",
                      json{{"user", "ana"}, {"password", "wrong password"}}.dump());
    last = r.status;
    retry = r.header("retry-after");
    EXPECT_EQ(r.status, i < 5 ? 401 : 429) << "attempt " << i + 1;  // docs/api.md: after 5
  }
  EXPECT_EQ(last, 429);
  EXPECT_FALSE(retry.empty());
  // Audited, the password nowhere.
  sqlite::Database db(db_path_.string());
  auto st = db.prepare("SELECT count(*) FROM api_audit WHERE what='login' AND outcome='refused'");
  ASSERT_TRUE(st.step());
  EXPECT_GE(st.int64(0), 5);
  auto all = db.prepare("SELECT count(*) FROM api_audit WHERE detail LIKE '%wrong password%'");
  ASSERT_TRUE(all.step());
  EXPECT_EQ(all.int64(0), 0);
}

TEST_F(ApiTest, ACaseWorkedByThreeRolesWithAllowedActionsAndAudit) {
  start(default_config());
  const cases::CaseId id = raise("ev-1");
  ASSERT_GT(id, 0);
  const std::string ana = login("ana"), ben = login("ben"), sue = login("sue"),
                    dora = login("dora"), rob = login("rob");
  // The review queue.
  Reply q = request(port, "GET", "/api/v1/cases?review=pending", "", auth(ana));
  ASSERT_EQ(q.status, 200) << q.body;
  ASSERT_EQ(q.j()["items"].size(), 1u);
  EXPECT_EQ(q.j()["items"][0]["id"], id);
  const std::string path = "/api/v1/cases/" + std::to_string(id);
  Reply d = request(port, "GET", path, "", auth(ana));
  ASSERT_EQ(d.status, 200);
  EXPECT_EQ(d.j()["allowed_actions"], json({"file", "reject"}));
  EXPECT_EQ(request(port, "GET", path, "", auth(sue)).j()["allowed_actions"], json::array());
  // Not yet the department's case: invisible to it.
  EXPECT_EQ(request(port, "GET", path, "", auth(ben)).status, 404);
  // Dispatcher files (the class dispatches automatically to sanitation).
  Reply f =
      request(port, "POST", path + "/actions", R"({"action":"file","note":"seen"})", auth(ana));
  ASSERT_EQ(f.status, 200) << f.body;
  EXPECT_EQ(f.j()["state"], "dispatched");
  // The department sees it now; another department does not.
  Reply bd = request(port, "GET", path, "", auth(ben));
  ASSERT_EQ(bd.status, 200);
  EXPECT_EQ(bd.j()["allowed_actions"], json({"return", "resolve"}));
  EXPECT_EQ(request(port, "GET", path, "", auth(dora)).status, 404);
  EXPECT_EQ(request(port, "GET", "/api/v1/cases", "", auth(ben)).j()["items"].size(), 1u);
  EXPECT_EQ(request(port, "GET", "/api/v1/cases", "", auth(dora)).j()["items"].size(), 0u);
  EXPECT_EQ(request(port, "POST", path + "/actions", R"({"action":"resolve"})", auth(dora)).status,
            404);
  // Read-only may not act.
  EXPECT_EQ(request(port, "POST", path + "/actions", R"({"action":"verify"})", auth(rob)).status,
            403);
  Reply res = request(port, "POST", path + "/actions", R"({"action":"resolve","note":"cleared"})",
                      auth(ben));
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.j()["state"], "resolved");
  Reply v = request(port, "POST", path + "/actions", R"({"action":"verify"})", auth(sue));
  ASSERT_EQ(v.status, 200) << v.body;
  Reply c = request(port, "POST", path + "/actions", R"({"action":"close"})", auth(sue));
  ASSERT_EQ(c.status, 200) << c.body;
  EXPECT_EQ(c.j()["state"], "closed");
  // Every transition names its actor.
  std::vector<std::string> actors;
  const json c_body = c.j();
  for (const auto& t : c_body["history"]) actors.push_back(t["actor"]);
  EXPECT_NE(std::find(actors.begin(), actors.end(), "user:ana"), actors.end());
  EXPECT_NE(std::find(actors.begin(), actors.end(), "user:ben"), actors.end());
  EXPECT_NE(std::find(actors.begin(), actors.end(), "user:sue"), actors.end());
}

TEST_F(ApiTest, BadInputIsAClear4xxAndChangesNothing) {
  start(default_config());
  const cases::CaseId id = raise("ev-1");
  const std::string ana = login("ana"), sue = login("sue");
  const std::string path = "/api/v1/cases/" + std::to_string(id) + "/actions";
  const std::size_t before = history_size(id);
  auto expect = [&](const Reply& r, int status, const std::string& reason_part) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_NE(r.j().value("reason", "").find(reason_part), std::string::npos) << r.body;
  };
  expect(request(port, "POST", path, R"({"action": "file",)", auth(ana)), 400, "not valid JSON");
  expect(request(port, "POST", path, R"([1,2])", auth(ana)), 400, "object");
  expect(request(port, "POST", path, R"({"action":"file","colour":"red"})", auth(ana)), 400,
         "unknown field \"colour\"");
  expect(request(port, "POST", path, R"({"action":"fly"})", auth(ana)), 400, "unknown action");
  expect(request(port, "POST", path, R"({"action":"remind"})", auth(ana)), 400, "unknown action");
  expect(request(port, "POST", path, R"({"action":"file","note":5})", auth(ana)), 400, "note");
  // Wrong role, illegal transition.
  expect(request(port, "POST", path, R"({"action":"file"})", auth(sue)), 403, "may not");
  expect(request(port, "POST", path, R"({"action":"dispatch"})", auth(ana)), 409, "cannot");
  expect(request(port, "POST", path, R"({"action":"reject"})", auth(ana)), 400, "");
  expect(request(port, "POST", "/api/v1/cases/999/actions", R"({"action":"file"})", auth(ana)), 404,
         "");
  expect(request(port, "POST", "/api/v1/cases/x/actions", R"({"action":"file"})", auth(ana)), 400,
         "");
  expect(request(port, "GET", "/api/v1/cases?state=flying", "", auth(ana)), 400, "state");
  expect(request(port, "GET", "/api/v1/cases?limit=100000", "", auth(ana)), 400, "limit");
  expect(request(port, "GET", "/api/v1/cases?after=zz", "", auth(ana)), 400, "cursor");
  expect(request(port, "GET", "/api/v1/cases?colour=red", "", auth(ana)), 400, "unknown");
  // Oversized body.
  std::string big = R"({"action":"file","note":")" + std::string(100 * 1024, 'x') + "\"}";
  EXPECT_EQ(request(port, "POST", path, big, auth(ana)).status, 413);
  EXPECT_EQ(history_size(id), before);
  // Reports: unknown class, a location in no cell, bad crs.
  expect(request(port, "POST", "/api/v1/cases",
                 R"({"class_code":"99999","location":{"lon":116.405,"lat":39.905}})", auth(ana)),
         400, "");
  expect(request(port, "POST", "/api/v1/cases",
                 R"({"class_code":"06010","location":{"lon":100.0,"lat":20.0}})", auth(ana)),
         400, "");
  expect(request(port, "POST", "/api/v1/cases",
                 R"({"class_code":"06010","location":{"lon":116.405,"lat":39.905,"crs":"mars"}})",
                 auth(ana)),
         400, "crs");
  // The server is still fine.
  EXPECT_EQ(request(port, "GET", "/api/v1/cases/" + std::to_string(id), "", auth(ana)).status, 200);
}

TEST_F(ApiTest, KeysetPaginationIsStableAndFiltersWork) {
  start(default_config());
  const std::string ana = login("ana");
  std::set<std::int64_t> created;
  for (int i = 0; i < 7; ++i) {
    auto p = grid::testing::at(2 + i * 2.5, 2 + i * 0.3);
    Reply r = request(port, "POST", "/api/v1/cases",
                      json{{"class_code", i % 2 ? "06010" : "06011"},
                           {"location", {{"lon", p.lon}, {"lat", p.lat}}},
                           {"description", "pile " + std::to_string(i)},
                           {"source", "hotline"}}
                          .dump(),
                      auth(ana));
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.j()["result"], "new_case");
    created.insert(r.j()["case"]["id"].get<std::int64_t>());
  }
  ASSERT_EQ(created.size(), 7u);
  std::vector<std::int64_t> seen;
  std::string next;
  for (int pages = 0; pages < 10; ++pages) {
    Reply r = request(port, "GET", "/api/v1/cases?limit=3" + (next.empty() ? "" : "&after=" + next),
                      "", auth(ana));
    ASSERT_EQ(r.status, 200);
    const json r_body = r.j();
    for (const auto& c : r_body["items"]) seen.push_back(c["id"]);
    if (r.j()["next"].is_null()) break;
    next = r.j()["next"];
    // A new case does not shift the following pages.
    if (pages == 0) {
      auto p = grid::testing::at(30, 30);
      ASSERT_EQ(
          request(
              port, "POST", "/api/v1/cases",
              json{{"class_code", "06010"}, {"location", {{"lon", p.lon}, {"lat", p.lat}}}}.dump(),
              auth(ana))
              .status,
          201);
    }
  }
  ASSERT_EQ(seen.size(), 7u);
  EXPECT_TRUE(std::is_sorted(seen.rbegin(), seen.rend()));
  EXPECT_EQ(std::set<std::int64_t>(seen.begin(), seen.end()), created);
  EXPECT_EQ(
      request(port, "GET", "/api/v1/cases?class=06011&limit=50", "", auth(ana)).j()["items"].size(),
      4u);
  EXPECT_EQ(request(port, "GET", "/api/v1/cases?source=hotline", "", auth(ana)).j()["items"].size(),
            7u);
  EXPECT_EQ(
      request(port, "GET", "/api/v1/cases?cell=110105001002", "", auth(ana)).j()["items"].size() +
          request(port, "GET", "/api/v1/cases?cell=110105001001", "", auth(ana))
              .j()["items"]
              .size(),
      8u);
  EXPECT_EQ(request(port, "GET", "/api/v1/cases?overdue=true", "", auth(ana)).j()["items"].size(),
            0u);
}

TEST_F(ApiTest, OverdueFilterFindsDispatchedCasesPastTheirDueTime) {
  start(default_config());
  const std::string ana = login("ana");
  const cases::CaseId id = raise("ev-1");
  ASSERT_EQ(request(port, "POST", "/api/v1/cases/" + std::to_string(id) + "/actions",
                    R"({"action":"file"})", auth(ana))
                .status,
            200);
  EXPECT_EQ(request(port, "GET", "/api/v1/cases?overdue=true", "", auth(ana)).j()["items"].size(),
            0u);
  clock.advance(5 * 24 * cases::testing::kHour);
  Reply r = request(port, "GET", "/api/v1/cases?overdue=true", "", auth(ana));
  ASSERT_EQ(r.j()["items"].size(), 1u);
  EXPECT_TRUE(r.j()["items"][0]["overdue"].get<bool>());
}

// Reads SSE frames until `n` ids were seen; returns the ids.
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

TEST_F(ApiTest, FeedDeliversTransitionsAndResumesWithoutLoss) {
  start(default_config());
  const std::string ana = login("ana");
  auto live = std::make_unique<Conn>(port);
  live->send("GET /api/v1/feed HTTP/1.1\r\nHost: t\r\n" + auth(ana) + "\r\n");
  live->until("retry:");
  const cases::CaseId id = raise("ev-1");  // new_case (+ transition)
  std::string text;
  std::vector<std::int64_t> first = read_ids(*live, 1, &text);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_NE(text.find("\"kind\":\"new_case\""), std::string::npos) << text;
  // The client goes away; things happen meanwhile.
  live.reset();
  const std::string path = "/api/v1/cases/" + std::to_string(id) + "/actions";
  ASSERT_EQ(request(port, "POST", path, R"({"action":"file"})", auth(ana)).status, 200);
  ASSERT_EQ(
      request(port, "POST", path, R"({"action":"park","note":"waiting for the crane"})", auth(ana))
          .status,
      200);
  sqlite::Database db(db_path_.string());
  std::vector<std::int64_t> expected;
  auto st = db.prepare("SELECT id FROM case_outputs WHERE id > ? ORDER BY id");
  st.bind(1, first.back());
  while (st.step()) expected.push_back(st.int64(0));
  ASSERT_GE(expected.size(), 2u);
  // Reconnect with Last-Event-ID: exactly the missed entries, in order.
  Conn again(port);
  again.send("GET /api/v1/feed HTTP/1.1\r\nHost: t\r\nLast-Event-ID: " +
             std::to_string(first.back()) + "\r\n" + auth(ana) + "\r\n");
  std::string replay;
  std::vector<std::int64_t> got = read_ids(again, expected.size(), &replay);
  EXPECT_EQ(got, expected);
  EXPECT_NE(replay.find("\"transition\""), std::string::npos) << replay;
  // Then live entries.
  ASSERT_EQ(request(port, "POST", path, R"({"action":"unpark"})", auth(ana)).status, 200);
  std::vector<std::int64_t> more = read_ids(again, 1);
  ASSERT_EQ(more.size(), 1u);
  EXPECT_GT(more[0], expected.back());
  // ?since= works the same; a department sees only its cases' entries.
  Conn since(port);
  since.send("GET /api/v1/feed?since=0 HTTP/1.1\r\nHost: t\r\n" + auth(ana) + "\r\n");
  EXPECT_EQ(read_ids(since, 1).at(0), 1);
}

std::string mp4_with(const std::string& fourcc) {
  std::string s(
      "\0\0\0\x18"
      "ftypisom\0\0\0\0isomiso2",
      24);
  s += std::string(
           "\0\0\0\x10"
           "moov",
           8) +
       "stsd" + fourcc;
  s += std::string(5000, 'v');
  return s;
}

TEST_F(ApiTest, EvidenceWithRangeCodecsAndTraversalRefused) {
  start(default_config());
  const std::string ana = login("ana"), ben = login("ben"), dora = login("dora");
  // An event with a snapshot, an H.264 clip; another with an H.265 clip.
  auto put = [&](const std::string& event_id, const std::string& role, const std::string& type,
                 const std::string& bytes) {
    const std::string hex = http::token_digest(bytes);
    std::ofstream(dir_ / "evidence" / hex, std::ios::binary) << bytes;
    sqlite::Database db((dir_ / "aggregator.db").string());
    db.prepare(
          "INSERT INTO event_evidence (event_id, hash, role, media_type, size) VALUES (?,?,?,?,?)")
        .bind(1, event_id)
        .bind(2, "sha256:" + hex)
        .bind(3, role)
        .bind(4, type)
        .bind(5, static_cast<std::int64_t>(bytes.size()))
        .run();
  };
  std::string jpeg = "\xff\xd8\xff\xe0" + std::string(1000, 'j');
  put("ev-1", "snapshot", "image/jpeg", jpeg);
  put("ev-1", "clip", "video/mp4", mp4_with("avc1"));
  put("ev-2", "clip", "video/mp4", mp4_with("hvc1"));
  const cases::CaseId id = raise("ev-1");
  Reply s = request(port, "GET", "/api/v1/evidence/ev-1/snapshot", "", auth(ana));
  ASSERT_EQ(s.status, 200);
  EXPECT_EQ(s.header("content-type"), "image/jpeg");
  EXPECT_EQ(s.body, jpeg);
  Reply part = request(port, "GET", "/api/v1/evidence/ev-1/clip.mp4", "",
                       auth(ana) + "Range: bytes=10-19\r\n");
  ASSERT_EQ(part.status, 206);
  EXPECT_EQ(part.body, mp4_with("avc1").substr(10, 10));
  EXPECT_EQ(part.header("content-type"), "video/mp4");
  EXPECT_EQ(part.header("content-disposition"), "inline");
  EXPECT_EQ(
      request(port, "GET", "/api/v1/evidence/ev-1/clip", "", auth(ana) + "Range: bytes=999999-\r\n")
          .status,
      416);
  Reply h265 = request(port, "GET", "/api/v1/evidence/ev-2/clip", "", auth(ana));
  ASSERT_EQ(h265.status, 200);
  EXPECT_NE(h265.header("content-disposition").find("attachment"), std::string::npos);
  // The case detail links them, with codec and playability.
  Reply d = request(port, "GET", "/api/v1/cases/" + std::to_string(id), "", auth(ana));
  const json ev = d.j()["reports"][0]["evidence"];
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0]["role"], "clip");
  EXPECT_EQ(ev[0]["codec"], "h264");
  EXPECT_TRUE(ev[0]["playable"].get<bool>());
  EXPECT_EQ(ev[1]["url"], "/api/v1/evidence/ev-1/snapshot");
  // Traversal and unknowns.
  EXPECT_EQ(request(port, "GET", "/api/v1/evidence/..%2f..%2fetc/passwd", "", auth(ana)).status,
            400);
  EXPECT_EQ(request(port, "GET", "/api/v1/evidence/ev-1/..%5c..%5csecret", "", auth(ana)).status,
            400);
  EXPECT_EQ(request(port, "GET", "/api/v1/evidence/ev-1/%2e%2e", "", auth(ana)).status, 400);
  EXPECT_EQ(request(port, "GET", "/api/v1/evidence/ev-9/snapshot", "", auth(ana)).status, 404);
  EXPECT_EQ(request(port, "GET", "/api/v1/evidence/ev-1/passwd", "", auth(ana)).status, 404);
  EXPECT_EQ(request(port, "GET", "/api/v1/evidence/ev-1/snapshot").status, 401);
  // A department only sees evidence of its cases.
  const std::string path = "/api/v1/cases/" + std::to_string(id) + "/actions";
  ASSERT_EQ(request(port, "POST", path, R"({"action":"file"})", auth(ana)).status, 200);
  EXPECT_EQ(request(port, "GET", "/api/v1/evidence/ev-1/snapshot", "", auth(ben)).status, 200);
  EXPECT_EQ(request(port, "GET", "/api/v1/evidence/ev-1/snapshot", "", auth(dora)).status, 404);
}

TEST_F(ApiTest, EvidenceRetentionByAgeAndBytes) {
  const fs::path d = dir_ / "evidence";
  auto make = [&](const std::string& name, std::size_t size, int age_days) {
    std::ofstream(d / name) << std::string(size, 'x');
    fs::last_write_time(d / name,
                        fs::file_time_type::clock::now() - std::chrono::hours(24 * age_days));
  };
  make("old", 100, 40);
  make("mid", 100, 10);
  make("new1", 100, 2);
  make("new2", 100, 1);
  fs::create_directories(d / "partial");
  std::ofstream(d / "partial" / "p") << "keep";
  const std::int64_t now = SystemClock::instance().now_ms();
  EXPECT_EQ(sweep_evidence_dir(d, now, 30 * 86'400'000LL, 0), 1u);
  EXPECT_FALSE(fs::exists(d / "old"));
  EXPECT_EQ(sweep_evidence_dir(d, now, 30 * 86'400'000LL, 250), 1u);  // 300 bytes > 250
  EXPECT_FALSE(fs::exists(d / "mid"));
  EXPECT_TRUE(fs::exists(d / "new1"));
  EXPECT_TRUE(fs::exists(d / "new2"));
  EXPECT_TRUE(fs::exists(d / "partial" / "p"));
  EXPECT_EQ(sweep_evidence_dir(d, now, 0, 0), 0u);
  // Through the service (the periodic sweep's own entry point).
  ApiConfig c = default_config();
  c.retention_max_age_days = 0;
  c.retention_max_bytes = 100;
  start(c);
  EXPECT_EQ(service->sweep_evidence(), 0u) << "the start sweep ran already";
  EXPECT_FALSE(fs::exists(d / "new1"));
  EXPECT_TRUE(fs::exists(d / "new2"));
}

TEST_F(ApiTest, Open311ServicesRequestsAndPost) {
  start(default_config());
  Reply s = request(port, "GET", std::string("/open311/v2/services.json?api_key=") + kToken);
  ASSERT_EQ(s.status, 200) << s.body;
  bool found = false;
  for (const auto& svc : s.j()) found |= svc["service_code"] == "06010";
  EXPECT_TRUE(found);
  EXPECT_EQ(
      request(port, "GET", std::string("/open311/v2/services/06010.json?api_key=") + kToken).status,
      200);
  Reply e = request(port, "GET", std::string("/open311/v2/services/77777.json?api_key=") + kToken);
  EXPECT_EQ(e.status, 404);
  EXPECT_EQ(e.j()[0]["code"], 404);
  EXPECT_FALSE(e.j()[0]["description"].get<std::string>().empty());
  EXPECT_EQ(request(port, "GET", "/open311/v2/services.json?api_key=wrong").status, 401);
  // POST (form encoded) → a hotline case.
  auto p = grid::testing::at(5, 5);
  std::string form =
      std::string("api_key=") + kToken + "&service_code=06010&lat=" + std::to_string(p.lat) +
      "&long=" + std::to_string(p.lon) + "&description=Rubbish+by+the+gate&first_name=Li";
  Reply post = request(port, "POST", "/open311/v2/requests.json", form,
                       "Content-Type: application/x-www-form-urlencoded\r\n");
  ASSERT_EQ(post.status, 201) << post.body;
  const std::string rid = post.j()[0]["service_request_id"];
  Reply got = request(port, "GET", "/open311/v2/requests/" + rid + ".json?api_key=" + kToken);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.j()[0]["status"], "open");
  EXPECT_EQ(got.j()[0]["service_code"], "06010");
  const std::string ana = login("ana");
  Reply c = request(port, "GET", "/api/v1/cases/" + rid, "", auth(ana));
  ASSERT_EQ(c.status, 200);
  EXPECT_EQ(c.j()["source"], "hotline");
  EXPECT_EQ(c.j()["reports"][0]["event_id"].get<std::string>().rfind("hotline:", 0), 0u);
  Reply list = request(
      port, "GET",
      std::string("/open311/v2/requests.json?status=open&service_code=06010&api_key=") + kToken);
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.j().size(), 1u);
  EXPECT_EQ(
      request(port, "GET", std::string("/open311/v2/requests.json?status=closed&api_key=") + kToken)
          .j()
          .size(),
      0u);
  // Errors in Open311's format.
  Reply bad = request(port, "POST", "/open311/v2/requests.json",
                      std::string("api_key=") + kToken + "&service_code=06010&lat=abc&long=1",
                      "Content-Type: application/x-www-form-urlencoded\r\n");
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(bad.j().is_array());
  EXPECT_EQ(request(port, "POST", "/open311/v2/requests.json", "service_code=06010&lat=1&long=1",
                    "Content-Type: application/x-www-form-urlencoded\r\n")
                .status,
            401);
}

TEST_F(ApiTest, IndicatorsGridCamerasAndConsole) {
  start(default_config());
  const std::string ana = login("ana"), ben = login("ben");
  const cases::CaseId id = raise("ev-1");
  ASSERT_EQ(request(port, "POST", "/api/v1/cases/" + std::to_string(id) + "/actions",
                    R"({"action":"file"})", auth(ana))
                .status,
            200);
  Reply ind = request(port, "GET", "/api/v1/indicators?group_by=department", "", auth(ana));
  ASSERT_EQ(ind.status, 200) << ind.body;
  ASSERT_FALSE(ind.j()["rows"].empty());
  EXPECT_EQ(ind.j()["rows"][0]["counts"]["received"], 1);
  EXPECT_EQ(request(port, "GET", "/api/v1/indicators?group_by=planet", "", auth(ana)).status, 400);
  Reply bi = request(port, "GET", "/api/v1/indicators", "", auth(ben));
  ASSERT_EQ(bi.status, 200);
  const json bi_body = bi.j();
  for (const auto& r : bi_body["rows"]) EXPECT_EQ(r["group"], "sanitation");
  Reply cells = request(port, "GET", "/api/v1/grid/cells?level=base_grid", "", auth(ana));
  ASSERT_EQ(cells.status, 200);
  EXPECT_EQ(cells.j()["type"], "FeatureCollection");
  EXPECT_EQ(cells.j()["features"].size(), 5u);  // 4 grids and the school
  EXPECT_EQ(request(port, "GET", "/api/v1/grid/cells", "", auth(ana)).j()["features"].size(), 10u);
  Reply cams = request(port, "GET", "/api/v1/cameras", "", auth(ana));
  ASSERT_EQ(cams.status, 200);
  EXPECT_EQ(cams.j()["features"].size(), 3u);
  EXPECT_EQ(request(port, "GET", "/api/v1/cameras").status, 401);
  Reply root = request(port, "GET", "/");
  EXPECT_EQ(root.status, 200);
  EXPECT_NE(root.header("content-type").find("text/html"), std::string::npos);
  EXPECT_EQ(request(port, "GET", "/api/v1/nothing", "", auth(ana)).status, 404);
}

TEST_F(ApiTest, ConnectorCallbackIsMountedForTokensOnly) {
  std::vector<std::string> bodies;
  start(default_config(), [&](const std::string& body) {
    bodies.push_back(body);
    return std::pair<int, std::string>(200, R"({"outcome":"applied"})");
  });
  const std::string ana = login("ana");
  Reply ok = request(port, "POST", "/api/v1/connector/callback", R"({"case":1,"status":"done"})",
                     auth(kToken));
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.j()["outcome"], "applied");
  EXPECT_EQ(request(port, "POST", "/api/v1/connector/callback", R"({"case":1})", auth(ana)).status,
            403);
  EXPECT_EQ(request(port, "POST", "/api/v1/connector/callback", R"({"case":)", auth(kToken)).status,
            400);
  EXPECT_EQ(request(port, "POST", "/api/v1/connector/callback", R"({"case":1})").status, 401);
  EXPECT_EQ(bodies, std::vector<std::string>{R"({"case":1,"status":"done"})"});
}

TEST_F(ApiTest, ConnectorCallbackIsAbsentWithoutAConnector) {
  start(default_config());
  const int status = request(port, "POST", "/api/v1/connector/callback", "{}", auth(kToken)).status;
  EXPECT_TRUE(status == 404 || status == 405) << status;  // only the console's GET matches
}

// A fleet table with one device and one alert; alerts raised by the test.
class FakeFleet final : public aggregator::fleet::FleetView {
 public:
  std::vector<aggregator::fleet::DeviceRow> devices() const override {
    aggregator::fleet::DeviceRow d;
    d.device_id = "edge-1";
    d.online = true;
    d.telemetry = R"({"cpu":0.5})";
    d.cameras.push_back({"cam-1", "streaming", 1, "", 0, false, "", 0});
    return {d};
  }
  std::optional<aggregator::fleet::DeviceRow> device(const std::string&) const override {
    return devices().front();
  }
  std::vector<aggregator::fleet::Alert> alerts(bool, std::size_t) const override {
    return {{7, "camera_down", "edge-1", "cam-1", true, 5, 0, "no frames"}};
  }
  std::uint64_t subscribe(AlertListener l) override {
    std::lock_guard lock(mu);
    listener = std::move(l);
    return 1;
  }
  void unsubscribe(std::uint64_t) override {
    std::lock_guard lock(mu);
    listener = nullptr;
  }
  std::vector<aggregator::fleet::CommandRecord> commands(std::size_t limit,
                                                         const std::string& device) const override {
    asked_limit = limit;
    asked_device = device;
    aggregator::fleet::CommandRecord r;
    r.id = 3;
    r.command_id = "c-1";
    r.device_id = "edge-1";
    r.name = "snapshot";
    r.args_json = R"({"camera":"cam-1"})";
    r.requested_by = "case 42 (re-check)";
    r.issued_ms = 10;
    r.finished_ms = 20;
    r.status = "ok";
    r.accepted = true;
    return {r};
  }
  mutable std::size_t asked_limit = 0;
  mutable std::string asked_device;
  void raise(const aggregator::fleet::Alert& a) {
    std::lock_guard lock(mu);
    if (listener) listener(a);
  }
  std::mutex mu;
  AlertListener listener;
};

TEST_F(ApiTest, FleetDevicesAlertsAndAlertsOnTheFeed) {
  FakeFleet fake;
  fleet = &fake;
  start(default_config());
  const std::string ana = login("ana"), ben = login("ben");
  Reply d = request(port, "GET", "/api/v1/fleet/devices", "", auth(ana));
  ASSERT_EQ(d.status, 200) << d.body;
  EXPECT_EQ(d.j()["items"][0]["device_id"], "edge-1");
  EXPECT_EQ(d.j()["items"][0]["telemetry"]["cpu"], 0.5);
  EXPECT_EQ(d.j()["items"][0]["cameras"][0]["state"], "streaming");
  Reply a = request(port, "GET", "/api/v1/fleet/alerts", "", auth(ana));
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(a.j()["items"][0]["kind"], "camera_down");
  EXPECT_EQ(request(port, "GET", "/api/v1/fleet/alerts", "", auth(ben)).status, 403);
  // The command audit: who, what, when, result.
  Reply c = request(port, "GET", "/api/v1/fleet/commands?device=edge-1&limit=5", "", auth(ana));
  ASSERT_EQ(c.status, 200) << c.body;
  EXPECT_EQ(fake.asked_limit, 5u);
  EXPECT_EQ(fake.asked_device, "edge-1");
  EXPECT_EQ(c.j()["items"][0]["requested_by"], "case 42 (re-check)");
  EXPECT_EQ(c.j()["items"][0]["args"]["camera"], "cam-1");
  EXPECT_EQ(c.j()["items"][0]["status"], "ok");
  EXPECT_EQ(c.j()["items"][0]["finished_ms"], 20);
  EXPECT_EQ(request(port, "GET", "/api/v1/fleet/commands", "", auth(ben)).status, 403);
  EXPECT_EQ(request(port, "GET", "/api/v1/fleet/commands?limit=0", "", auth(ana)).status, 400);
  EXPECT_EQ(request(port, "GET", "/api/v1/fleet/commands?who=x", "", auth(ana)).status, 400);
  EXPECT_EQ(request(port, "GET", "/api/v1/fleet/commands").status, 401);
  Conn feed(port);
  feed.send("GET /api/v1/feed HTTP/1.1\r\nHost: t\r\n" + auth(ana) + "\r\n");
  feed.until("retry:");
  fake.raise({8, "box_offline", "edge-2", "", true, 9, 0, "lost"});
  const std::string got = feed.until("box_offline");
  EXPECT_NE(got.find("event: fleet_alert\ndata: {"), std::string::npos) << got;
  service->stop();
  EXPECT_FALSE(fake.listener);
}

TEST(ApiConfigTest, SectionIsTypedAndStrict) {
  auto load = [](const std::string& yaml) {
    auto s = config::load_string(yaml, "api.yaml");
    return ApiConfig::read(s);
  };
  ApiConfig c = load(
      "enabled: true\nport: 9090\nusers:\n  - {name: ana, role: dispatcher, password_hash: "
      "\"$y$j9T$abcdefghijklmnopqrstuv\"}\n  - {name: ben, role: department, department: "
      "sanitation, password_hash: \"$y$j9T$abcdefghijklmnopqrstuv\"}\ntokens:\n  - {name: h, "
      "role: dispatcher, token_sha256: " +
      std::string(64, 'a') + "}\nevidence_retention: {max_age_days: 30, max_bytes: 1GiB}\n");
  EXPECT_TRUE(c.enabled);
  EXPECT_EQ(c.port, 9090);
  ASSERT_EQ(c.users.size(), 2u);
  EXPECT_EQ(c.users[1].role, Role::kDepartment);
  EXPECT_EQ(c.retention_max_age_days, 30);
  EXPECT_EQ(c.retention_max_bytes, 1ULL << 30);
  EXPECT_THROW(load("colour: red\n"), config::Error);
  EXPECT_THROW(load("users:\n  - {name: b, role: department, password_hash: "
                    "\"$y$j9T$abcdefghijklmnopqrstuv\"}\n"),
               config::Error);
  EXPECT_THROW(
      load("users:\n  - {name: b, role: boss, password_hash: \"$y$j9T$abcdefghijklmnopqrstuv\"}\n"),
      config::Error);
  EXPECT_THROW(load("users:\n  - {name: b, role: readonly, password_hash: secret}\n"),
               config::Error);
  EXPECT_THROW(load("tokens:\n  - {name: t, role: readonly, token_sha256: abc}\n"), config::Error);
  EXPECT_THROW(load("tls_cert_file: a.pem\n"), config::Error);
}

}  // namespace
}  // namespace gridsight::api
