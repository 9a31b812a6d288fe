// The aggregator's HTTP API over real loopback sockets, with a real case engine on a SQLite
// store, a real event store for the evidence index and real files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "aggregator/api/api_service.h"
#include "aggregator/api/feed_hub.h"
#include "aggregator/cases/case_service.h"
#include "aggregator/cases/indicators.h"
#include "aggregator/daemon/sqlite_api_stores.h"
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
    aggregator::use_sqlite_stores(ctx, db_path_.string(), (dir_ / "aggregator.db").string());
    ctx.evidence_dir = dir_ / "evidence";
    ctx.grid = &grid;
    ctx.cameras = &cameras;
    ctx.classes = &classes;
    ctx.clock = &clock;
    fs::path gf = dir_ / "grid.geojson";
    std::ofstream(gf) << grid::testing::collection(grid::testing::district_features());
    ctx.grid_file = gf.string();
    ctx.indicators = indicator_config;
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
  const cases::IndicatorConfig* indicator_config = nullptr;
};

TEST_F(ApiTest, NoUsersMeansNoAccessWithAReason) {
  start(default_config(false));
  Reply r = request(port, "GET", "/api/v1/cases");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("no default credentials"), std::string::npos);
  EXPECT_EQ(request(port, "POST", "/api/v1/login", R"({"user":"a","password":"b"})").status, 503);
  EXPECT_EQ(request(port, "GET", "/healthz").status, 200);
}

// The stores come through their ports; without the case store or the audit log there is no API.
TEST_F(ApiTest, TheStorePortsAreRequired) {
  ApiContext ctx;
  ctx.clock = &clock;
  EXPECT_THROW(ApiService api(default_config(), ctx), std::invalid_argument);
  aggregator::use_sqlite_stores(ctx, db_path_.string(), (dir_ / "aggregator.db").string());
  ctx.open_audit = nullptr;
  EXPECT_THROW(ApiService api(default_config(), ctx), std::invalid_argument);
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
  Reply too_big = request(port, "POST", path, big, auth(ana));
  EXPECT_EQ(too_big.status, 413);
  EXPECT_EQ(too_big.j().value("error", ""), "too_large");
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

// What docs/api.md promises, in its own spellings: lower-case (any case) crs names, the
// documented error codes, and level names the grid loader takes back.
TEST_F(ApiTest, DocumentedSpellingsAreAccepted) {
  start(default_config());
  const std::string ana = login("ana");
  auto report = [&](grid::LonLat p, const std::string& crs) {
    return request(
        port, "POST", "/api/v1/cases",
        json{{"class_code", "06010"}, {"location", {{"lon", p.lon}, {"lat", p.lat}, {"crs", crs}}}}
            .dump(),
        auth(ana));
  };
  int n = 0;
  for (const char* crs : {"wgs84", "WGS84", "Wgs84", "cgcs2000"}) {
    Reply r = report(grid::testing::at(2 + 2.0 * n++, 5), crs);
    EXPECT_EQ(r.status, 201) << crs << ": " << r.body;
    // In A grid 1 (a building group inside it, for the first points).
    EXPECT_EQ(r.j()["case"]["cell_code"].get<std::string>().rfind("110105001001001", 0), 0u) << crs;
  }
  // GCJ-02 is converted: the shifted point lands back in B grid 2.
  Reply g = report(grid::wgs84_to_gcj02(grid::testing::at(25, 25)), "gcj02");
  ASSERT_EQ(g.status, 201) << g.body;
  EXPECT_EQ(g.j()["case"]["cell_code"], "110105001002002");
  Reply mars = report(grid::testing::at(5, 5), "mars");
  EXPECT_EQ(mars.status, 400);
  EXPECT_EQ(mars.j()["error"], "bad_request");
  // A method the path does not have: the listed code.
  Reply del = request(port, "DELETE", "/api/v1/cases", "", auth(ana));
  EXPECT_EQ(del.status, 405);
  EXPECT_EQ(del.j()["error"], "method_not_allowed");
  // The grid as the API gives it loads as a grid file again, level names and all.
  Reply cells = request(port, "GET", "/api/v1/grid/cells", "", auth(ana));
  ASSERT_EQ(cells.status, 200);
  const json cells_body = cells.j();
  std::set<std::string> levels;
  for (const auto& f : cells_body["features"]) levels.insert(f["properties"]["level"]);
  EXPECT_EQ(levels,
            (std::set<std::string>{"district", "street", "community", "base_grid", "fine1"}));
  grid::GridModel again = grid::GridModel::from_geojson(cells.body, {}, "api.geojson");
  EXPECT_EQ(again.size(), grid.size());
  for (const auto& f : cells_body["features"]) {
    const grid::Cell* c = again.find(f["properties"]["code"].get<std::string>());
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(grid::to_string(c->level), f["properties"]["level"]);
  }
}

// Dongli's published figure: 1192 closed of 1882 due is 63.33 % truncated (63.34 % half up).
// The rate definition comes from the aggregator's `indicators:` section; open and overdue
// stand beside the rates; a trend by week and the CSV export carry the same figures.
TEST_F(ApiTest, IndicatorsRoundAsConfiguredWithOpenOverdueTrendAndCsv) {
  auto section = config::load_string(
      "rates:\n"
      "  - {name: closure_rate, numerator: closed, denominator: due_to_close, rounding: truncate}\n"
      "  - {name: closure_rate_half_up, numerator: closed, denominator: due_to_close}\n",
      "indicators.yaml");
  const cases::IndicatorConfig configured = cases::IndicatorConfig::read(section);
  indicator_config = &configured;
  start(default_config());
  const std::int64_t now = clock.now_ms();
  constexpr std::int64_t kDay = 86'400'000;
  store->begin_batch();
  for (int i = 0; i < 1882; ++i) {
    cases::Case c;
    c.class_code = "06010";
    c.cell_code = i % 2 ? "110105001001001" : "110105001002002";
    c.departments = {{"sanitation"}};
    c.reported_ms = c.filed_ms = c.dispatched_ms = now - 5 * kDay + i;
    c.due_ms = now - 3600'000;
    if (i < 1192) {
      c.state = cases::State::kClosed;
      c.closed_ms = now - kDay;
    } else {
      c.state = cases::State::kDispatched;  // past its due time: open and overdue
    }
    store->create(c, {});
  }
  store->commit_batch();
  const std::string ana = login("ana");
  const std::string period =
      "from=" + std::to_string(now - 10 * kDay) + "&to=" + std::to_string(now + 1);
  Reply r = request(port, "GET", "/api/v1/indicators?" + period, "", auth(ana));
  ASSERT_EQ(r.status, 200) << r.body;
  const json body = r.j();
  ASSERT_EQ(body["rows"].size(), 1u);
  const json& row = body["rows"][0];
  EXPECT_EQ(row["counts"]["due_to_close"], 1882);
  EXPECT_EQ(row["counts"]["closed"], 1192);
  EXPECT_EQ(row["counts"]["open"], 690);
  EXPECT_EQ(row["counts"]["overdue"], 690);
  ASSERT_EQ(row["rates"].size(), 2u);
  EXPECT_EQ(row["rates"][0]["name"], "closure_rate");
  EXPECT_EQ(row["rates"][0]["text"], "63.33");
  EXPECT_EQ(row["rates"][1]["text"], "63.34");
  EXPECT_EQ(body["definitions"][0]["rounding"], "truncate");
  EXPECT_EQ(body["definitions"][0]["numerator"], "closed");
  EXPECT_EQ(body["definitions"][0]["denominator"], "due_to_close");
  EXPECT_EQ(body["definitions"][1]["rounding"], "half_up");
  // By grid: two rows adding up to the total.
  Reply by_cell = request(port, "GET", "/api/v1/indicators?group_by=cell&" + period, "", auth(ana));
  ASSERT_EQ(by_cell.status, 200);
  std::int64_t received = 0;
  const json by_cell_body = by_cell.j();
  for (const auto& g : by_cell_body["rows"])
    received += g["counts"]["received"].get<std::int64_t>();
  EXPECT_EQ(by_cell.j()["rows"].size(), 2u);
  EXPECT_EQ(received, 1882);
  // Weeks in the district's time (UTC+8): every case lies in one week; the weeks cover the
  // period without gaps.
  Reply trend = request(port, "GET", "/api/v1/indicators?interval=week&" + period, "", auth(ana));
  ASSERT_EQ(trend.status, 200) << trend.body;
  const json t = trend.j();
  ASSERT_GE(t["rows"].size(), 1u);
  std::int64_t in_weeks = 0;
  std::int64_t edge = now - 10 * kDay;
  for (const auto& w : t["rows"]) {
    EXPECT_EQ(w["period_from_ms"], edge);
    edge = w["period_to_ms"];
    in_weeks += w["counts"]["received"].get<std::int64_t>();
  }
  EXPECT_EQ(edge, now + 1);
  EXPECT_EQ(in_weeks, 1882);
  EXPECT_EQ(request(port, "GET", "/api/v1/indicators?interval=day", "", auth(ana)).status, 400);
  // CSV: a header and one line, the rate as text.
  Reply csv = request(port, "GET", "/api/v1/indicators?format=csv&" + period, "", auth(ana));
  ASSERT_EQ(csv.status, 200);
  EXPECT_NE(csv.header("content-type").find("text/csv"), std::string::npos);
  EXPECT_EQ(csv.body.rfind("total,received,", 0), 0u) << csv.body;
  EXPECT_NE(csv.body.find("\r\ntotal,1882,1882,"), std::string::npos) << csv.body;
  EXPECT_NE(csv.body.find(",63.33,63.34\r\n"), std::string::npos) << csv.body;
}

// Names beside codes; the queue's total, open filter and deadline order (paged without
// overlap); the map's per-cell counts equal the list's.
TEST_F(ApiTest, NamesTotalsDeadlineOrderAndMapCounts) {
  classes.add_department({"sanitation", "环卫所", "Sanitation"});
  auto cls = *classes.find("06010");
  cls.name = "暴露垃圾";
  cls.english = "exposed garbage";
  cls.legacy_code = "1-02";
  classes.add(cls);
  auto cam = *cameras.find("cam-1");
  cam.name = "东门";
  cameras.add(cam);
  start(default_config());
  const std::string ana = login("ana");
  const std::int64_t now = clock.now_ms();
  constexpr std::int64_t kHour = 3'600'000;
  store->begin_batch();
  // 7 cases: due in 5 h, 1 h, -2 h (overdue), none (filed), then three closed.
  const std::vector<std::pair<cases::State, std::int64_t>> plan = {
      {cases::State::kDispatched, now + 5 * kHour}, {cases::State::kDispatched, now + kHour},
      {cases::State::kDispatched, now - 2 * kHour}, {cases::State::kFiled, 0},
      {cases::State::kClosed, now - kHour},         {cases::State::kClosed, now - kHour},
      {cases::State::kClosed, now - kHour}};
  for (std::size_t i = 0; i < plan.size(); ++i) {
    cases::Case c;
    c.class_code = i == 0 ? "1-02" : "06010";  // the older generation's code names the class too
    c.cell_code = i % 2 ? "110105001001001" : "110105001002002";
    c.camera_id = "cam-1";
    c.departments = {{"sanitation"}};
    c.state = plan[i].first;
    c.due_ms = plan[i].second;
    c.reported_ms = now - 10 * kHour;
    store->create(c, {});
  }
  store->commit_batch();
  Reply all = request(port, "GET", "/api/v1/cases?limit=2", "", auth(ana));
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(all.j()["total"], 7);
  const json all_body = all.j();
  const json& names = all_body["items"][0]["names"];
  EXPECT_EQ(names["class"]["name"], "暴露垃圾");
  EXPECT_EQ(names["class"]["legacy_code"], "1-02");
  EXPECT_EQ(names["departments"]["sanitation"]["name"], "环卫所");
  EXPECT_EQ(names["camera"], "东门");
  ASSERT_EQ(names["cell_path"].size(), 4u);
  EXPECT_EQ(names["cell_path"][0]["name"], "District");
  EXPECT_EQ(names["cell_path"][0]["level"], "district");
  EXPECT_EQ(names["cell_path"][3]["code"], all_body["items"][0]["cell_code"]);
  // The legacy-coded case gets the same class names.
  Reply first =
      request(port, "GET", "/api/v1/cases?sort=deadline&open=true&limit=2", "", auth(ana));
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.j()["total"], 4);
  std::vector<std::int64_t> dues;
  std::string after = first.j()["next"];
  const json first_body = first.j();
  for (const auto& c : first_body["items"]) dues.push_back(c["due_ms"]);
  Reply second = request(
      port, "GET", "/api/v1/cases?sort=deadline&open=true&limit=2&after=" + after, "", auth(ana));
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_FALSE(second.j().contains("total"));
  EXPECT_TRUE(second.j()["next"].is_null());
  const json second_body = second.j();
  for (const auto& c : second_body["items"]) dues.push_back(c["due_ms"]);
  EXPECT_EQ(dues, (std::vector<std::int64_t>{now - 2 * kHour, now + kHour, now + 5 * kHour, 0}));
  Reply legacy = request(port, "GET", "/api/v1/cases?class=1-02", "", auth(ana));
  ASSERT_EQ(legacy.j()["items"].size(), 1u);
  EXPECT_EQ(legacy.j()["items"][0]["names"]["class"]["code"], "06010");
  // A cursor of the other order is refused.
  EXPECT_EQ(request(port, "GET", "/api/v1/cases?sort=deadline&after=k5", "", auth(ana)).status,
            400);
  EXPECT_EQ(request(port, "GET", "/api/v1/cases?sort=oldest", "", auth(ana)).status, 400);
  // The map's counts: per grid and rolled up to the street; equal to the list's totals.
  Reply grids = request(port, "GET", "/api/v1/map/open", "", auth(ana));
  ASSERT_EQ(grids.status, 200) << grids.body;
  EXPECT_EQ(grids.j()["open"], 4);
  EXPECT_EQ(grids.j()["overdue"], 1);
  EXPECT_EQ(grids.j()["open"],
            request(port, "GET", "/api/v1/cases?open=true", "", auth(ana)).j()["total"]);
  EXPECT_EQ(grids.j()["overdue"],
            request(port, "GET", "/api/v1/cases?overdue=true", "", auth(ana)).j()["total"]);
  ASSERT_EQ(grids.j()["cells"].size(), 2u);
  EXPECT_EQ(grids.j()["cells"][0]["overdue"], 1);  // overdue first
  Reply street = request(port, "GET", "/api/v1/map/open?digits=9", "", auth(ana));
  ASSERT_EQ(street.j()["cells"].size(), 1u);
  EXPECT_EQ(street.j()["cells"][0]["code"], "110105001");
  EXPECT_EQ(street.j()["cells"][0]["open"], 4);
  EXPECT_EQ(request(port, "GET", "/api/v1/map/open?digits=7", "", auth(ana)).status, 400);
  // The catalog: class and department names, the district's UTC offset.
  Reply cat = request(port, "GET", "/api/v1/catalog", "", auth(ana));
  ASSERT_EQ(cat.status, 200);
  EXPECT_EQ(cat.j()["departments"][0]["name"], "环卫所");
  EXPECT_EQ(cat.j()["utc_offset_minutes"], 480);
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
