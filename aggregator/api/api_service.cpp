#include "aggregator/api/api_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "aggregator/api/api_internal.h"
#include "aggregator/api/audit_log.h"
#include "aggregator/api/case_names.h"
#include "aggregator/api/feed_hub.h"
#include "aggregator/api/indicator_views.h"
#include "aggregator/api/map_views.h"
#include "aggregator/api/open311_form.h"
#include "aggregator/cases/case_json.h"
#include "aggregator/cases/case_service.h"
#include "aggregator/cases/class_catalog.h"
#include "aggregator/cases/indicators.h"
#include "aggregator/cases/lifecycle.h"
#include "aggregator/fleet/fleet_view.h"
#include "aggregator/grid/camera_registry.h"
#include "aggregator/grid/grid_model.h"
#include "common/clock.h"
#include "common/http/password.h"
#include "common/http/server.h"
#include "common/metrics.h"

#if GRIDSIGHT_API_CONSOLE
#include "aggregator/api/console/console_assets.h"
#endif

namespace gridsight::api {

namespace fs = std::filesystem;
using http::Request;
using http::Response;

namespace {

constexpr const char* kCookie = "gs_session";
constexpr std::int64_t kDayMs = 86'400'000;

std::optional<std::int64_t> to_int(const std::string& s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

Response json_response(int status, const json& j) {
  return Response::json(status, j.dump());
}

// The placeholder page while the console is not built in.
constexpr const char* kPlaceholder =
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>gridsight</title></head><body>"
    "<h1>gridsight aggregator</h1><p>The web console is not part of this build. The API is "
    "at <code>/api/v1/</code> (see docs/api.md).</p></body></html>";

}  // namespace

void add_open311_routes(http::Router& rt, ApiService::Impl& impl);

struct ApiService::Impl {
  Impl(ApiConfig cfg, ApiContext context)
      : config(std::move(cfg)),
        ctx(std::move(context)),
        readers(ctx.open_cases, ctx.open_evidence) {
    if (!ctx.open_cases || !ctx.open_outputs || !ctx.open_audit) {
      throw std::invalid_argument(
          "api: the case store, its outputs and the audit log are required");
    }
    for (const auto& u : config.users) users[u.name] = u;
    for (const auto& t : config.tokens) tokens[t.token_sha256] = t;
    audit_log = ctx.open_audit();
    if (!ctx.grid_file.empty()) {
      std::ifstream in(ctx.grid_file);
      std::stringstream ss;
      ss << in.rdbuf();
      grid_geojson = json::parse(ss.str(), nullptr, false);
      if (grid_geojson.is_discarded()) grid_geojson = json();
    }
    if (ctx.indicators) indicator_config = *ctx.indicators;
    feed = std::make_unique<FeedHub>(ctx.open_outputs);
    if (ctx.cases) ctx.cases->subscribe(*feed);  // its outputs wake the feed
    http::ServerOptions o;
    o.bind_address = config.bind;
    o.port = static_cast<std::uint16_t>(config.port);
    o.threads = config.threads;
    o.max_body_bytes = config.max_body_bytes;
    o.tls_cert_file = config.tls_cert_file;
    o.tls_key_file = config.tls_key_file;
    o.name = "api";
    server = std::make_unique<http::Server>(o, routes(), ctx.metrics);
  }

  std::int64_t now() const {
    return ctx.clock ? ctx.clock->now_ms() : SystemClock::instance().now_ms();
  }

  void audit(const std::string& actor, const std::string& what, const std::string& outcome,
             const Request& req, const std::string& detail = {}) {
    try {
      const AuditEntry entry{now(), actor, what, outcome, req.remote_address, detail};
      std::lock_guard lock(audit_mu);
      audit_log->append(entry);
    } catch (const std::exception& e) {
      spdlog::warn("api: audit entry not written: {}", e.what());
    }
  }

  // ---- authentication ----
  std::optional<Principal> principal_of_token(const std::string& cred) {
    if (cred.empty()) return std::nullopt;
    if (auto who = sessions.lookup(cred)) {
      auto it = users.find(*who);
      if (it != users.end()) {
        return Principal{it->second.name, it->second.role, it->second.department, false};
      }
    }
    auto it = tokens.find(http::token_digest(cred));
    if (it != tokens.end()) {
      return Principal{it->second.name, it->second.role, it->second.department, true};
    }
    return std::nullopt;
  }

  bool no_credentials_configured() const { return users.empty() && tokens.empty(); }

  static Response unavailable_no_users() {
    return Response::error(503, "unavailable",
                           "no API users or tokens are configured (api.users / api.tokens); "
                           "there are no default credentials");
  }

  std::optional<Principal> authenticate(const Request& req, Response& err) {
    if (no_credentials_configured()) {
      err = unavailable_no_users();
      return std::nullopt;
    }
    auto p = principal_of_token(http::bearer_or_cookie(req, kCookie));
    if (!p) {
      err = Response::error(401, "unauthorized", "log in or send a valid bearer token")
                .with_header("WWW-Authenticate", "Bearer");
    }
    return p;
  }

  template <class F>
  http::Handler authed(F fn) {
    return [this, fn](Request& req) -> Response {
      Response err;
      auto p = authenticate(req, err);
      if (!p) return err;
      return fn(req, *p);
    };
  }

  template <class F>
  http::Handler with_engine(F fn) {
    return authed([this, fn](Request& req, const Principal& p) -> Response {
      if (!ctx.cases) {
        return Response::error(503, "unavailable", "the grid engine is off (cases.enabled)");
      }
      return fn(req, p);
    });
  }

  // ---- login ----
  Response login(Request& req) {
    if (no_credentials_configured()) return unavailable_no_users();
    const std::string addr = req.remote_address;
    if (auto wait = limiter.retry_after_s(addr); wait > 0) {
      audit("-", "login", "rate_limited", req);
      return Response::error(429, "rate_limited", "too many failed logins; try again later")
          .with_header("Retry-After", std::to_string(wait));
    }
    Response err;
    auto body = parse_body(req, {"user", "password"}, err);
    if (!body) return err;
    if (!(*body)["user"].is_string() || !(*body)["password"].is_string()) {
      return Response::error(400, "bad_request", "user and password must be strings");
    }
    const std::string name = (*body)["user"];
    const std::string password = (*body)["password"];
    auto it = users.find(name);
    // Verify against some hash even for an unknown user: the same time either way.
    static const std::string kDummy = http::hash_password("not a password of anyone");
    const bool ok =
        http::verify_password(password, it == users.end() ? kDummy : it->second.password_hash) &&
        it != users.end();
    if (!ok) {
      limiter.failed(addr);
      audit("user:" + name, "login", "refused", req);
      return Response::error(401, "unauthorized", "wrong user or password");
    }
    limiter.succeeded(addr);
    audit("user:" + name, "login", "ok", req);
    const std::string token = sessions.create(name);
    const ApiUser& u = it->second;
    json j = {
        {"token", token},
        {"user", {{"name", u.name}, {"role", to_string(u.role)}, {"department", u.department}}}};
    return json_response(200, j).with_header(
        "Set-Cookie", http::session_cookie(kCookie, token, req.secure, 24 * 3600));
  }

  Response logout(Request& req, const Principal& p) {
    sessions.revoke(http::bearer_or_cookie(req, kCookie));
    audit(p.actor(), "logout", "ok", req);
    Response r;
    r.status = 204;
    r.content_type = "text/plain";
    return r.with_header("Set-Cookie", http::session_cookie(kCookie, "", req.secure, 0));
  }

  static Response me(const Principal& p) {
    return json_response(200, {{"name", p.name},
                               {"role", to_string(p.role)},
                               {"department", p.department},
                               {"kind", p.is_token ? "token" : "user"}});
  }

  // ---- cases ----
  Response list_cases(Request& req, const Principal& p) {
    store::CaseQuery q;
    auto bad = [](const std::string& why) { return Response::error(400, "bad_request", why); };
    static const std::set<std::string> kKnown = {"cell",   "state", "class", "department", "source",
                                                 "camera", "from",  "to",    "overdue",    "review",
                                                 "limit",  "after", "open",  "sort"};
    for (const auto& [k, v] : req.query) {
      if (!kKnown.count(k)) return bad("unknown query parameter \"" + k + "\"");
    }
    if (auto v = req.query_or("cell"); !v.empty()) q.cell_prefix = v;
    if (auto v = req.query_or("state"); !v.empty()) {
      auto s = cases::state_from_string(v);
      if (!s) return bad("unknown state \"" + v + "\"");
      q.state = *s;
    }
    if (auto v = req.query_or("review"); !v.empty()) {
      if (v != "pending") return bad("review must be \"pending\"");
      if (q.state && *q.state != cases::State::kReported)
        return bad("review=pending means state reported");
      q.state = cases::State::kReported;
    }
    if (auto v = req.query_or("class"); !v.empty()) q.class_code = v;
    if (auto v = req.query_or("department"); !v.empty()) q.department = v;
    if (auto v = req.query_or("camera"); !v.empty()) q.camera_id = v;
    if (auto v = req.query_or("source"); !v.empty()) {
      auto s = cases::source_from_string(v);
      if (!s) return bad("unknown source \"" + v + "\"");
      q.source = *s;
    }
    for (const char* key : {"from", "to"}) {
      if (auto v = req.query_or(key); !v.empty()) {
        auto n = to_int(v);
        if (!n) return bad(std::string(key) + " must be UTC milliseconds");
        (key[0] == 'f' ? q.reported_from_ms : q.reported_to_ms) = *n;
      }
    }
    if (auto v = req.query_or("overdue"); !v.empty()) {
      if (v != "true" && v != "false") return bad("overdue must be true or false");
      if (v == "true") q.overdue_at_ms = now();
    }
    if (auto v = req.query_or("limit"); !v.empty()) {
      auto n = to_int(v);
      if (!n || *n < 1 || *n > 200) return bad("limit must be 1..200");
      q.limit = static_cast<int>(*n);
    }
    if (auto v = req.query_or("open"); !v.empty()) {
      if (v != "true" && v != "false") return bad("open must be true or false");
      q.open_only = v == "true";
    }
    if (auto v = req.query_or("sort", "newest"); v == "deadline") {
      q.order = store::CaseQuery::Order::kDeadline;
    } else if (v != "newest") {
      return bad("sort must be newest or deadline");
    }
    if (auto v = req.query_or("after"); !v.empty()) {
      if (!parse_cursor(v, q)) return bad("after is not a cursor from a previous page");
    }
    if (p.role == Role::kDepartment) {
      if (q.department && *q.department != p.department) {
        return Response::error(403, "forbidden", "a department sees only its own cases");
      }
      q.department = p.department;
    }
    auto r = readers.lease();
    store::CasePage page = r->cases.list(q);
    // The total of the filtered list, on its first page.
    const bool first_page = !q.before_id && !q.after_deadline;
    const std::int64_t total = first_page ? r->cases.count(q) : -1;
    // The store's JSON of each case plus "overdue", spliced without a second parse.
    const std::int64_t t = now();
    std::string out = "{\"items\":[";
    for (std::size_t i = 0; i < page.cases.size(); ++i) {
      std::string one = cases::to_json(page.cases[i], false);
      one.pop_back();  // the closing brace
      out += (i ? "," : "") + one +
             ",\"overdue\":" + (is_overdue(page.cases[i], t) ? "true" : "false") +
             ",\"names\":" + names.json_text(page.cases[i]) + "}";
    }
    out += "],\"next\":";
    const std::string next = cursor_of(page);
    out += next.empty() ? std::string("null") : "\"" + next + "\"";
    if (total >= 0) out += ",\"total\":" + std::to_string(total);
    out += "}";
    return Response::json(200, std::move(out));
  }

  json detail_json(Reader& r, const cases::Case& c, const Principal& p) {
    json j = case_json(c, now(), true);
    j["names"] = names.of(c);
    for (auto& rep : j["reports"]) {
      json ev = json::array();
      const std::string event_id = rep.value("event_id", "");
      for (const auto& e : evidence_of(r, event_id)) {
        const fs::path file = evidence_file(e.hash);
        std::error_code ec;
        const bool available = !file.empty() && fs::is_regular_file(file, ec);
        std::string codec;
        if (available && e.role == "clip") codec = codec_of(e.hash, file);
        json item = {{"role", e.role},
                     {"media_type", e.media_type},
                     {"size", e.size},
                     {"url", "/api/v1/evidence/" + event_id + "/" + e.role},
                     {"available", available},
                     {"codec", codec.empty() ? json() : json(codec)},
                     {"playable", e.role == "snapshot" || codec == "h264"}};
        ev.push_back(std::move(item));
      }
      rep["evidence"] = std::move(ev);
    }
    j["allowed_actions"] = allowed_actions(p, c);
    return j;
  }

  std::optional<cases::CaseId> case_id_param(Request& req) {
    auto id = to_int(req.params["id"]);
    if (!id || *id < 1) return std::nullopt;
    return *id;
  }

  Response get_case(Request& req, const Principal& p) {
    auto id = case_id_param(req);
    if (!id) return Response::error(400, "bad_request", "case id must be a positive integer");
    auto r = readers.lease();
    auto c = r->cases.get(*id);
    if (!c || !p.sees(*c)) return Response::error(404, "not_found", "no such case");
    return json_response(200, detail_json(*r, *c, p));
  }

  Response act(Request& req, const Principal& p) {
    auto id = case_id_param(req);
    if (!id) return Response::error(400, "bad_request", "case id must be a positive integer");
    Response err;
    auto body = parse_body(
        req, {"action", "note", "departments", "department", "label", "extension", "satisfaction"},
        err);
    if (!body) {
      audit(p.actor(), "action", "refused", req, "case " + std::to_string(*id) + ": malformed");
      return err;
    }
    auto bad = [&](const std::string& why) {
      audit(p.actor(), "action", "refused", req, "case " + std::to_string(*id) + ": " + why);
      return Response::error(400, "bad_request", why);
    };
    const json& b = *body;
    if (!b.contains("action") || !b["action"].is_string())
      return bad("action (a string) is required");
    const std::string action_name = b["action"];
    auto action = cases::action_from_string(action_name);
    static const std::set<cases::Action> kSystem = {
        cases::Action::kReport, cases::Action::kRemind, cases::Action::kSupervise,
        cases::Action::kSelfCorrectionCleared, cases::Action::kSelfCorrectionPersisted};
    if (!action || kSystem.count(*action)) return bad("unknown action \"" + action_name + "\"");
    cases::Command cmd;
    cmd.action = *action;
    cmd.actor = p.actor();
    if (b.contains("note")) {
      if (!b["note"].is_string()) return bad("note must be a string");
      cmd.note = b["note"];
      if (cmd.note.size() > 2000) return bad("note is longer than 2000 characters");
    }
    if (b.contains("departments")) {
      if (!b["departments"].is_array()) return bad("departments must be an array of strings");
      for (const auto& d : b["departments"]) {
        if (!d.is_string()) return bad("departments must be an array of strings");
        cmd.departments.push_back(d);
      }
    }
    if (b.contains("department")) {
      if (!b["department"].is_string()) return bad("department must be a string");
      cmd.department = b["department"];
    }
    if (b.contains("label")) {
      if (!b["label"].is_string()) return bad("label must be a string");
      cmd.label = b["label"];
    }
    if (b.contains("extension")) {
      const json& e = b["extension"];
      if (!e.is_object() || !e.contains("amount") || !e["amount"].is_number_integer() ||
          !e.contains("unit") || !e["unit"].is_string() || e.size() != 2) {
        return bad(
            "extension must be {\"amount\": <integer>, \"unit\": "
            "\"working_hours\"|\"working_days\"}");
      }
      cases::TimeLimit t;
      t.amount = e["amount"].get<std::int64_t>();
      const std::string unit = e["unit"];
      if (unit == "working_hours") {
        t.unit = cases::TimeLimit::Unit::kWorkingHours;
      } else if (unit == "working_days") {
        t.unit = cases::TimeLimit::Unit::kWorkingDays;
      } else {
        return bad("extension.unit must be working_hours or working_days");
      }
      if (t.amount < 1 || t.amount > 1000) return bad("extension.amount must be 1..1000");
      cmd.extension = t;
    }
    if (b.contains("satisfaction")) {
      auto s = b["satisfaction"].is_string()
                   ? cases::satisfaction_from_string(b["satisfaction"].get<std::string>())
                   : std::nullopt;
      if (!s) return bad("satisfaction must be satisfied, basically_satisfied or dissatisfied");
      cmd.satisfaction = *s;
    }
    {
      auto r = readers.lease();
      auto c = r->cases.get(*id);
      if (!c || !p.sees(*c)) return Response::error(404, "not_found", "no such case");
      if (!role_may(p.role, cmd.action)) {
        audit(p.actor(), "action", "forbidden", req,
              "case " + std::to_string(*id) + ": " + action_name);
        return Response::error(
            403, "forbidden", std::string("role ") + to_string(p.role) + " may not " + action_name);
      }
      if (p.role == Role::kDepartment) {
        if (!cmd.department.empty() && cmd.department != p.department) {
          audit(p.actor(), "action", "forbidden", req,
                "case " + std::to_string(*id) + ": another department's part");
          return Response::error(403, "forbidden", "a department acts only on its own part");
        }
        cmd.department = p.department;
      }
    }
    try {
      ctx.cases->act(*id, std::move(cmd)).get();
    } catch (const cases::CaseError& e) {
      audit(p.actor(), "action", "refused", req,
            "case " + std::to_string(*id) + ": " + action_name + ": " + e.what());
      switch (e.code()) {
        case cases::CaseError::Code::kNotFound:
          return Response::error(404, "not_found", e.what());
        case cases::CaseError::Code::kIllegalTransition:
          return Response::error(409, "conflict", e.what());
        case cases::CaseError::Code::kInvalidArgument:
          return Response::error(400, "bad_request", e.what());
      }
    }
    audit(p.actor(), "action", "ok", req, "case " + std::to_string(*id) + ": " + action_name);
    auto r = readers.lease();
    auto c = r->cases.get(*id);
    if (!c) return Response::error(404, "not_found", "no such case");
    return json_response(200, detail_json(*r, *c, p));
  }

  // A manual report; shared by POST /api/v1/cases and Open311.
  struct ReportOutcome {
    cases::IngestResult result;
    std::optional<cases::Case> c;
  };
  ReportOutcome submit_report(cases::ManualReport report) {
    ReportOutcome out;
    out.result = ctx.cases->report(std::move(report)).get();
    if (out.result.case_id != 0) {
      auto r = readers.lease();
      out.c = r->cases.get(out.result.case_id);
    }
    return out;
  }

  Response create_case(Request& req, const Principal& p) {
    if (p.role != Role::kDispatcher && p.role != Role::kSupervisor) {
      audit(p.actor(), "report", "forbidden", req);
      return Response::error(403, "forbidden", "only dispatchers and supervisors file reports");
    }
    Response err;
    auto body = parse_body(
        req,
        {"class_code", "location", "description", "source", "external_id", "reporter", "cell_code"},
        err);
    if (!body) return err;
    const json& b = *body;
    auto bad = [](const std::string& why) { return Response::error(400, "bad_request", why); };
    cases::ManualReport m;
    if (!b.contains("class_code") || !b["class_code"].is_string())
      return bad("class_code (a string) is required");
    m.class_code = b["class_code"];
    if (!b.contains("location") || !b["location"].is_object())
      return bad("location {lon, lat, crs} is required");
    const json& loc = b["location"];
    for (const auto& [k, v] : loc.items()) {
      if (k != "lon" && k != "lat" && k != "crs")
        return bad("unknown field \"location." + k + "\"");
    }
    if (!loc.contains("lon") || !loc["lon"].is_number() || !loc.contains("lat") ||
        !loc["lat"].is_number()) {
      return bad("location.lon and location.lat must be numbers");
    }
    m.location.lon = loc["lon"];
    m.location.lat = loc["lat"];
    if (m.location.lon < -180 || m.location.lon > 180 || m.location.lat < -90 ||
        m.location.lat > 90) {
      return bad("location out of range");
    }
    if (loc.contains("crs")) {
      // Documented lower case; matched in any case.
      std::string name = loc["crs"].is_string() ? loc["crs"].get<std::string>() : std::string();
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
      auto crs = protocol::crs_from_string(name);
      if (!crs) return bad("location.crs must be wgs84, gcj02 or cgcs2000");
      m.location.crs = *crs;
    }
    std::string source = b.value("source", std::string("grid_worker"));
    if (!b.value("source", json("grid_worker")).is_string()) return bad("source must be a string");
    auto src = cases::source_from_string(source);
    if (!src || *src == cases::Source::kAiCamera)
      return bad("source must be grid_worker or hotline");
    m.source = *src;
    for (const char* key : {"description", "external_id", "reporter", "cell_code"}) {
      if (b.contains(key) && !b[key].is_string())
        return bad(std::string(key) + " must be a string");
    }
    m.description = b.value("description", std::string());
    if (m.description.size() > 4000) return bad("description is longer than 4000 characters");
    m.external_id = b.value("external_id", std::string());
    if (m.external_id.empty()) m.external_id = http::random_token(12);
    m.reporter = b.value("reporter", p.actor());
    if (b.contains("cell_code")) m.cell_code = b["cell_code"].get<std::string>();
    m.at_ms = now();
    return report_response(req, p, m);
  }

  Response report_response(Request& req, const Principal& p, const cases::ManualReport& m) {
    try {
      auto out = submit_report(m);
      audit(p.actor(), "report", cases::to_string(out.result.kind), req,
            "case " + std::to_string(out.result.case_id));
      json j = {{"result", cases::to_string(out.result.kind)}, {"case", nullptr}};
      if (out.c) {
        auto r = readers.lease();
        j["case"] = detail_json(*r, *out.c, p);
      }
      return json_response(201, j);
    } catch (const cases::CaseError& e) {
      audit(p.actor(), "report", "refused", req, e.what());
      return Response::error(
          e.code() == cases::CaseError::Code::kIllegalTransition ? 409 : 400,
          e.code() == cases::CaseError::Code::kIllegalTransition ? "conflict" : "bad_request",
          e.what());
    }
  }

  // ---- indicators ----
  Response indicators(Request& req, const Principal& p) {
    auto bad = [](const std::string& why) { return Response::error(400, "bad_request", why); };
    static const std::set<std::string> kKnown = {"cell",     "department",  "class",    "source",
                                                 "detector", "camera",      "from",     "to",
                                                 "group_by", "cell_digits", "interval", "format"};
    for (const auto& [k, v] : req.query) {
      if (!kKnown.count(k)) return bad("unknown query parameter \"" + k + "\"");
    }
    cases::IndicatorQuery q;
    q.to_ms = now() + 1;
    q.from_ms = q.to_ms - 30 * kDayMs;
    for (const char* key : {"from", "to"}) {
      if (auto v = req.query_or(key); !v.empty()) {
        auto n = to_int(v);
        if (!n) return bad(std::string(key) + " must be UTC milliseconds");
        (key[0] == 'f' ? q.from_ms : q.to_ms) = *n;
      }
    }
    if (q.to_ms <= q.from_ms) return bad("the period must not be empty (from < to)");
    q.cell_prefix = req.query_or("cell");
    static const std::map<std::string, cases::GroupBy> kGroups = {
        {"total", cases::GroupBy::kTotal},           {"cell", cases::GroupBy::kCell},
        {"department", cases::GroupBy::kDepartment}, {"class", cases::GroupBy::kClass},
        {"source", cases::GroupBy::kSource},         {"detector", cases::GroupBy::kDetector},
        {"camera", cases::GroupBy::kCamera}};
    std::string group = req.query_or("group_by", "total");
    auto g = kGroups.find(group);
    if (g == kGroups.end()) return bad("unknown group_by \"" + group + "\"");
    q.group_by = g->second;
    if (auto v = req.query_or("cell_digits"); !v.empty()) {
      auto n = to_int(v);
      if (!n || *n < 1 || *n > 21) return bad("cell_digits must be 1..21");
      q.cell_digits = static_cast<std::size_t>(*n);
    }
    std::string only;  // keep only this group
    if (p.role == Role::kDepartment) {
      q.group_by = cases::GroupBy::kDepartment;
      group = "department";
      only = p.department;
    } else {
      for (const auto& [key, gb] : kGroups) {
        if (key == "total" || key == "cell") continue;
        if (auto v = req.query_or(key); !v.empty()) {
          if (gb != q.group_by) return bad("filter " + key + " needs group_by=" + key);
          only = v;
        }
      }
    }
    q.as_of_ms = now();
    std::optional<TrendInterval> interval;
    if (auto v = req.query_or("interval"); !v.empty()) {
      interval = trend_interval_from_string(v);
      if (!interval) return bad("interval must be week or month");
    }
    const std::string format = req.query_or("format", "json");
    if (format != "json" && format != "csv") return bad("format must be json or csv");
    std::vector<cases::Case> in_period;
    {
      auto r = readers.lease();
      in_period = r->cases.for_indicators(q.from_ms, q.to_ms, q.cell_prefix);
    }
    // One period, or the weeks/months of a trend (in the district's time).
    std::vector<TrendPeriod> periods = {{q.from_ms, q.to_ms, ""}};
    if (interval) {
      periods = split_periods(q.from_ms, q.to_ms, *interval, ctx.utc_offset_minutes);
      if (periods.size() > 520) return bad("too many periods (at most 520)");
    }
    json out = json::array();
    for (const auto& period : periods) {
      cases::IndicatorQuery pq = q;
      pq.from_ms = period.from_ms;
      pq.to_ms = period.to_ms;
      auto rows = cases::compute_indicators(in_period, pq, indicator_config);
      if (interval && rows.empty() && q.group_by == cases::GroupBy::kTotal) {
        rows.push_back(empty_indicator_row("total", indicator_config));  // a trend shows zeros
      }
      for (const auto& row : rows) {
        if (!only.empty() && row.group != only) continue;
        json j = indicator_row_json(row);
        if (interval) {
          j["period"] = period.label;
          j["period_from_ms"] = period.from_ms;
          j["period_to_ms"] = period.to_ms;
        }
        out.push_back(std::move(j));
      }
    }
    json answer = {{"from_ms", q.from_ms},
                   {"to_ms", q.to_ms},
                   {"as_of_ms", q.as_of_ms},
                   {"group_by", group},
                   {"definitions", rate_definitions_json(indicator_config)},
                   {"rows", std::move(out)}};
    if (interval) {
      answer["interval"] = req.query_or("interval");
      answer["utc_offset_minutes"] = ctx.utc_offset_minutes;
    }
    if (format == "csv") {
      return Response::text(200, indicators_csv(answer), "text/csv; charset=utf-8")
          .with_header("Content-Disposition", "attachment; filename=\"indicators.csv\"");
    }
    return json_response(200, answer);
  }

  // ---- map: open cases per cell (map_views.h) ----
  Response map_open(Request& req, const Principal& p) {
    for (const auto& [k, v] : req.query) {
      if (k != "digits") {
        return Response::error(400, "bad_request", "unknown query parameter \"" + k + "\"");
      }
    }
    std::size_t digits = 15;
    if (auto v = req.query_or("digits"); !v.empty()) {
      auto n = to_int(v);
      if (!n || *n < 6 || *n > 21 || *n % 3 != 0)
        return Response::error(400, "bad_request", "digits must be 6, 9, 12, 15, 18 or 21");
      digits = static_cast<std::size_t>(*n);
    }
    std::optional<std::string> dept;
    if (p.role == Role::kDepartment) dept = p.department;
    auto r = readers.lease();
    return json_response(200, open_cases_by_cell(r->cases.open_by_cell(now(), dept), digits));
  }

  // ---- grid and cameras ----
  Response grid_cells(Request& req, const Principal&) {
    std::string level = req.query_or("level");
    json fc = {{"type", "FeatureCollection"}, {"features", json::array()}};
    if (!grid_geojson.is_object() || !grid_geojson.contains("features"))
      return json_response(200, fc);
    // As in the grid file, so that the answer loads as a grid file again.
    if (grid_geojson.contains("coordinate_system"))
      fc["coordinate_system"] = grid_geojson["coordinate_system"];
    for (const auto& f : grid_geojson["features"]) {
      if (!f.contains("properties") || !f["properties"].contains("code")) continue;
      const std::string code = f["properties"]["code"].get<std::string>();
      const grid::Cell* cell = ctx.grid ? ctx.grid->find(code) : nullptr;
      if (!cell) continue;
      const std::string lv = grid::to_string(cell->level);
      if (!level.empty() && level != lv && level != std::to_string(static_cast<int>(cell->level))) {
        continue;
      }
      json g = {{"type", "Feature"},
                {"geometry", f.value("geometry", json())},
                {"properties",
                 {{"code", cell->code},
                  {"name", cell->name},
                  {"level", lv},
                  {"parent_code", cell->parent_code},
                  {"dedicated", cell->dedicated},
                  {"area_m2", cell->area_m2}}}};
      fc["features"].push_back(std::move(g));
    }
    return json_response(200, fc);
  }

  Response cameras(Request&, const Principal&) {
    json fc = {{"type", "FeatureCollection"}, {"features", json::array()}};
    if (!ctx.cameras) return json_response(200, fc);
    auto point = [](const protocol::GeoPoint& g) {
      return json{{"type", "Point"}, {"coordinates", {g.lon, g.lat}}};
    };
    for (const auto& [id, cam] : ctx.cameras->cameras()) {
      auto add = [&](const protocol::GeoPoint& g, const std::string& zone,
                     const std::string& spot) {
        fc["features"].push_back({{"type", "Feature"},
                                  {"geometry", point(g)},
                                  {"properties",
                                   {{"camera_id", id},
                                    {"name", cam.name},
                                    {"device_id", cam.device_id},
                                    {"zone", zone},
                                    {"spot", spot},
                                    {"crs", protocol::to_string(g.crs)}}}});
      };
      bool any = false;
      for (const auto& z : cam.zones) {
        auto w = z.watches ? z.watches : cam.watches;
        if (w) {
          add(*w, z.id, z.spot);
          any = true;
        }
      }
      if (!any && (cam.watches || cam.mounted_at))
        add(cam.watches ? *cam.watches : *cam.mounted_at, "", "");
    }
    return json_response(200, fc);
  }

  // ---- evidence ----
  fs::path evidence_file(const std::string& hash) const {
    if (hash.size() != 71 || hash.rfind("sha256:", 0) != 0) return {};
    const std::string hex = hash.substr(7);
    for (char c : hex) {
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return {};
    }
    return ctx.evidence_dir / hex;
  }

  std::string codec_of(const std::string& hash, const fs::path& file) {
    {
      std::lock_guard lock(codec_mu);
      auto it = codecs.find(hash);
      if (it != codecs.end()) return it->second;
    }
    std::string c = probe_mp4_codec(file);
    std::lock_guard lock(codec_mu);
    if (codecs.size() > 10'000) codecs.clear();
    codecs[hash] = c;
    return c;
  }

  Response evidence(Request& req, const Principal& p) {
    const std::string event_id = req.params["event_id"];
    std::string name = req.params["name"];
    auto unsafe = [](const std::string& s) {
      return s.empty() || s.find("..") != std::string::npos ||
             s.find_first_of(std::string("/\\\0", 3)) != std::string::npos;
    };
    if (unsafe(event_id) || unsafe(name)) {
      audit(p.actor(), "evidence", "refused", req, "unsafe name");
      return Response::error(400, "bad_request", "evidence names are an event id and a role");
    }
    const auto dot = name.find('.');
    std::string role = name.substr(0, dot);
    if (role != "snapshot" && role != "clip") {
      return Response::error(404, "not_found", "evidence is \"snapshot\" or \"clip\"");
    }
    auto r = readers.lease();
    if (p.role == Role::kDepartment) {
      auto id = r->cases.case_of_event(event_id);
      std::optional<cases::Case> c;
      if (id) c = r->cases.get(*id);
      if (!c || !p.sees(*c)) return Response::error(404, "not_found", "no such evidence");
    }
    for (const auto& e : evidence_of(*r, event_id)) {
      if (e.role != role) continue;
      const fs::path file = evidence_file(e.hash);
      std::error_code ec;
      if (file.empty() || !fs::is_regular_file(file, ec)) break;
      Response res;
      res.file = file;
      res.file_content_type_from_extension = false;
      res.content_type = e.media_type;
      res.headers.emplace_back("Cache-Control", "private, max-age=3600");
      if (role == "clip" && codec_of(e.hash, file) != "h264") {
        // Browsers (Chromium) cannot play H.265: offered as a download.
        res.headers.emplace_back("Content-Disposition",
                                 "attachment; filename=\"" + event_id + "-clip.mp4\"");
      } else {
        res.headers.emplace_back("Content-Disposition", "inline");
      }
      return res;
    }
    return Response::error(404, "not_found", "no such evidence (or not received yet)");
  }

  // ---- poison events ----
  Response dead_letters(Request& req, const Principal& p) {
    if (p.role == Role::kDepartment) {
      return Response::error(403, "forbidden", "departments do not see the service's dead letters");
    }
    std::optional<std::int64_t> before;
    if (auto v = req.query_or("before"); !v.empty()) {
      before = to_int(v);
      if (!before) return Response::error(400, "bad_request", "before must be an id");
    }
    int limit = 50;
    if (auto v = req.query_or("limit"); !v.empty()) {
      auto n = to_int(v);
      if (!n || *n < 1 || *n > 500) return Response::error(400, "bad_request", "limit: 1..500");
      limit = static_cast<int>(*n);
    }
    auto r = readers.lease();
    return json_response(200, dead_events_json(r->cases, before, limit));
  }

  // ---- feed ----
  Response feed_stream(Request& req, const Principal& p) {
    std::optional<std::int64_t> since;
    std::string last = req.header("last-event-id");
    if (last.empty()) last = req.query_or("since");
    if (!last.empty()) {
      since = to_int(last);
      if (!since || *since < 0)
        return Response::error(400, "bad_request", "Last-Event-ID / since must be a feed id");
    }
    std::string dept = p.role == Role::kDepartment ? p.department : std::string();
    FeedHub* hub = feed.get();
    return Response::event_stream([hub, since, dept](std::shared_ptr<http::EventStream> s) {
      hub->subscribe(std::move(s), since, dept);
    });
  }

  // ---- fleet ----
  static json alert_json(const aggregator::fleet::Alert& a) {
    return {{"id", a.id},
            {"kind", a.kind},
            {"device_id", a.device_id},
            {"camera_id", a.camera_id},
            {"active", a.active},
            {"raised_ms", a.raised_ms},
            {"cleared_ms", a.cleared_ms},
            {"detail", a.detail}};
  }

  Response fleet_devices(Request&, const Principal& p) {
    if (p.role == Role::kDepartment) {
      return Response::error(403, "forbidden", "the fleet is not a department's matter");
    }
    json out = json::array();
    for (const auto& d : ctx.fleet->devices()) {
      json cams = json::array();
      for (const auto& c : d.cameras) {
        cams.push_back({{"camera_id", c.camera_id},
                        {"state", c.state},
                        {"state_since_ms", c.state_since_ms},
                        {"last_error", c.last_error},
                        {"reconnects", c.reconnects},
                        {"tampered", c.tampered},
                        {"tamper_type", c.tamper_type},
                        {"tamper_ms", c.tamper_ms}});
      }
      json telemetry = json::parse(d.telemetry, nullptr, false);
      out.push_back({{"device_id", d.device_id},
                     {"online", d.online},
                     {"offline_reason", d.offline_reason},
                     {"version", d.version},
                     {"state_changed_ms", d.state_changed_ms},
                     {"last_seen_ms", d.last_seen_ms},
                     {"clock_synced", d.clock_synced},
                     {"clock_skew_ms", d.clock_skew_ms ? json(*d.clock_skew_ms) : json()},
                     {"telemetry", telemetry.is_discarded() ? json() : telemetry},
                     {"telemetry_received_ms", d.telemetry_received_ms},
                     {"cameras", std::move(cams)}});
    }
    return json_response(200, {{"items", std::move(out)}});
  }

  Response fleet_alerts(Request& req, const Principal& p) {
    if (p.role == Role::kDepartment) {
      return Response::error(403, "forbidden", "the fleet is not a department's matter");
    }
    const std::string all = req.query_or("cleared", "false");
    if (all != "true" && all != "false")
      return Response::error(400, "bad_request", "cleared must be true or false");
    json out = json::array();
    for (const auto& a : ctx.fleet->alerts(all == "true")) out.push_back(alert_json(a));
    return json_response(200, {{"items", std::move(out)}});
  }

  // The command audit: who asked which box for what, when, and how it ended.
  Response fleet_commands(Request& req, const Principal& p) {
    if (p.role == Role::kDepartment) {
      return Response::error(403, "forbidden", "the fleet is not a department's matter");
    }
    for (const auto& [k, v] : req.query) {
      if (k != "device" && k != "limit") {
        return Response::error(400, "bad_request", "unknown query parameter \"" + k + "\"");
      }
    }
    std::size_t limit = 200;
    if (auto v = req.query_or("limit"); !v.empty()) {
      auto n = to_int(v);
      if (!n || *n < 1 || *n > 1000)
        return Response::error(400, "bad_request", "limit must be 1..1000");
      limit = static_cast<std::size_t>(*n);
    }
    json out = json::array();
    for (const auto& c : ctx.fleet->commands(limit, req.query_or("device"))) {
      json args = json::parse(c.args_json, nullptr, false);
      out.push_back({{"id", c.id},
                     {"command_id", c.command_id},
                     {"device_id", c.device_id},
                     {"name", c.name},
                     {"args", args.is_discarded() ? json::object() : args},
                     {"requested_by", c.requested_by},
                     {"issued_ms", c.issued_ms},
                     {"finished_ms", c.finished_ms},
                     {"status", c.status},
                     {"accepted", c.accepted},
                     {"reason", c.reason}});
    }
    return json_response(200, {{"items", std::move(out)}});
  }

  // ---- console ----
  static Response console(Request& req) {
#if GRIDSIGHT_API_CONSOLE
    std::string path = req.params.count("path") ? req.params["path"] : std::string();
    if (path.rfind("console/", 0) == 0) path = path.substr(8);
    if (path == "console") path.clear();
    auto a = console_asset(path);
    if (!a) return Response::error(404, "not_found", "no such page");
    if (!a->etag.empty() && req.header("if-none-match") == a->etag) {
      Response r;
      r.status = 304;
      r.content_type = std::string(a->content_type);
      return r.with_header("ETag", std::string(a->etag));
    }
    Response r = Response::text(200, std::string(a->body), std::string(a->content_type));
    r.headers.emplace_back("Cache-Control", "no-cache");
    if (!a->etag.empty()) r.headers.emplace_back("ETag", std::string(a->etag));
    return r;
#else
    (void)req;
    return Response::text(200, kPlaceholder, "text/html; charset=utf-8");
#endif
  }

  http::Router routes() {
    http::Router rt;
    rt.add("GET", "/healthz", [](Request&) { return Response::text(200, "ok\n"); });
    rt.add("POST", "/api/v1/login", [this](Request& r) { return login(r); });
    rt.add("POST", "/api/v1/logout",
           authed([this](Request& r, const Principal& p) { return logout(r, p); }));
    rt.add("GET", "/api/v1/me", authed([](Request&, const Principal& p) { return me(p); }));
    rt.add("GET", "/api/v1/cases",
           with_engine([this](Request& r, const Principal& p) { return list_cases(r, p); }));
    rt.add("POST", "/api/v1/cases",
           with_engine([this](Request& r, const Principal& p) { return create_case(r, p); }));
    rt.add("GET", "/api/v1/cases/{id}",
           with_engine([this](Request& r, const Principal& p) { return get_case(r, p); }));
    rt.add("POST", "/api/v1/cases/{id}/actions",
           with_engine([this](Request& r, const Principal& p) { return act(r, p); }));
    rt.add("GET", "/api/v1/indicators",
           with_engine([this](Request& r, const Principal& p) { return indicators(r, p); }));
    if (ctx.metrics) {
      rt.add("GET", "/metrics", authed([this](Request&, const Principal&) {
               auto r = readers.lease();
               return Response::text(200,
                                     metrics_page(*ctx.metrics, ctx.cases ? &r->cases : nullptr,
                                                  now(), feed->subscribers(), ctx.fleet),
                                     "text/plain; version=0.0.4; charset=utf-8");
             }));
    }
    rt.add("GET", "/api/v1/dead-letters",
           with_engine([this](Request& r, const Principal& p) { return dead_letters(r, p); }));
    rt.add("GET", "/api/v1/map/open",
           with_engine([this](Request& r, const Principal& p) { return map_open(r, p); }));
    rt.add("GET", "/api/v1/catalog", authed([this](Request&, const Principal&) {
             json j = catalog_json(ctx.classes, ctx.utc_offset_minutes);
             j["map"] = {{"tile_url", config.map_tile_url},
                         {"tile_crs", config.map_tile_crs},
                         {"attribution", config.map_attribution},
                         {"max_zoom", config.map_max_zoom}};
             return json_response(200, j);
           }));
    rt.add("GET", "/api/v1/grid/cells",
           authed([this](Request& r, const Principal& p) { return grid_cells(r, p); }));
    rt.add("GET", "/api/v1/cameras",
           authed([this](Request& r, const Principal& p) { return cameras(r, p); }));
    rt.add("GET", "/api/v1/feed",
           authed([this](Request& r, const Principal& p) { return feed_stream(r, p); }));
    rt.add("GET", "/api/v1/evidence/{event_id}/{name}",
           authed([this](Request& r, const Principal& p) { return evidence(r, p); }));
    add_open311_routes(rt, *this);
    if (ctx.fleet) {
      rt.add("GET", "/api/v1/fleet/devices",
             authed([this](Request& r, const Principal& p) { return fleet_devices(r, p); }));
      rt.add("GET", "/api/v1/fleet/alerts",
             authed([this](Request& r, const Principal& p) { return fleet_alerts(r, p); }));
      rt.add("GET", "/api/v1/fleet/commands",
             authed([this](Request& r, const Principal& p) { return fleet_commands(r, p); }));
    }
    if (ctx.connector_callback) {
      // Status updates from the external case platform; an API token stands for it.
      rt.add("POST", "/api/v1/connector/callback", authed([this](Request& r, const Principal& p) {
               if (!p.is_token || (p.role != Role::kDispatcher && p.role != Role::kSupervisor)) {
                 audit(p.actor(), "connector_callback", "forbidden", r);
                 return Response::error(403, "forbidden",
                                        "the callback needs a dispatcher or supervisor API token");
               }
               if (json::parse(r.body, nullptr, false).is_discarded()) {
                 return Response::error(400, "bad_request", "the body is not valid JSON");
               }
               auto [status, answer] = ctx.connector_callback(r.body);
               audit(p.actor(), "connector_callback", std::to_string(status), r);
               return Response::json(status, answer);
             }));
    }
    // The web console: "/" and every path not taken above.
    rt.add("GET", "/", [](Request& r) { return console(r); });
    rt.add("GET", "/{path...}", [](Request& r) {
      if (r.params["path"].rfind("api/", 0) == 0) {
        return Response::error(404, "not_found", "no such API route");
      }
      return console(r);
    });
    return rt;
  }

  // ---- evidence retention ----
  // The first sweep runs in start(); then one every interval.
  void sweep_loop() {
    std::unique_lock lock(sweep_mu);
    while (running) {
      sweep_cv.wait_for(lock, std::chrono::milliseconds(config.retention_sweep_interval_ms),
                        [this] { return !running; });
      if (!running) break;
      lock.unlock();
      sweep_logged();
      lock.lock();
    }
  }

  void sweep_logged() {
    try {
      const std::size_t n = sweep();
      if (n) spdlog::info("api: evidence retention removed {} files", n);
    } catch (const std::exception& e) {
      spdlog::warn("api: evidence retention: {}", e.what());
    }
  }

  std::size_t sweep() {
    if (ctx.evidence_dir.empty()) return 0;
    return sweep_evidence_dir(ctx.evidence_dir, now(), config.retention_max_age_days * kDayMs,
                              config.retention_max_bytes);
  }

  ApiConfig config;
  ApiContext ctx;
  std::map<std::string, ApiUser> users;
  std::map<std::string, ApiToken> tokens;  // by digest
  http::SessionStore sessions;
  http::LoginLimiter limiter;
  ReaderPool readers;
  std::mutex audit_mu;
  std::unique_ptr<AuditLog> audit_log;
  json grid_geojson;
  CaseNames names{ctx.classes, ctx.grid, ctx.cameras};
  cases::IndicatorConfig indicator_config;
  std::mutex codec_mu;
  std::map<std::string, std::string> codecs;
  std::unique_ptr<FeedHub> feed;
  std::unique_ptr<http::Server> server;
  std::mutex sweep_mu;
  std::condition_variable sweep_cv;
  bool running = false;
  std::thread sweeper;
  std::optional<std::uint64_t> fleet_subscription;
};

// ---- Open311 GeoReport v2 (docs/api.md) ----
namespace {

Response open311_error(int status, const std::string& description) {
  json j = json::array({{{"code", status}, {"description", description}}});
  return Response::json(status, j.dump());
}

std::string iso8601(std::int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool closed_state(cases::State s) {
  return s == cases::State::kClosed || s == cases::State::kEvaluated ||
         s == cases::State::kRejected || s == cases::State::kSelfCorrected;
}

}  // namespace

void add_open311_routes(http::Router& rt, ApiService::Impl& impl) {
  // The caller: api_key (a token), or the usual bearer/cookie.
  auto caller = [&impl](const Request& req, const std::string& api_key,
                        Response& err) -> std::optional<Principal> {
    if (impl.no_credentials_configured()) {
      err = open311_error(503, "no API users or tokens are configured");
      return std::nullopt;
    }
    auto p =
        impl.principal_of_token(api_key.empty() ? http::bearer_or_cookie(req, kCookie) : api_key);
    if (!p) err = open311_error(401, "api_key missing or not valid");
    return p;
  };
  auto service_json = [](const cases::EventClass& c) {
    return json{{"service_code", c.code}, {"service_name", c.english.empty() ? c.name : c.english},
                {"description", c.name},  {"metadata", false},
                {"type", "realtime"},     {"keywords", c.legacy_code},
                {"group", c.department}};
  };
  auto request_json = [&impl](const cases::Case& c) {
    const cases::EventClass* cls =
        impl.ctx.classes ? impl.ctx.classes->find(c.class_code) : nullptr;
    std::string description;
    std::int64_t updated = c.reported_ms;
    for (const auto& t : c.history) updated = std::max(updated, t.at_ms);
    for (const auto& r : c.reports) {
      if (!r.note.empty()) {
        description = r.note;
        break;
      }
    }
    std::string agency;
    for (const auto& d : c.departments) agency += (agency.empty() ? "" : ", ") + d.department;
    json j = {
        {"service_request_id", std::to_string(c.id)},
        {"status", closed_state(c.state) ? "closed" : "open"},
        {"status_notes", cases::to_string(c.state)},
        {"service_name", cls ? (cls->english.empty() ? cls->name : cls->english) : c.class_code},
        {"service_code", c.class_code},
        {"description", description},
        {"agency_responsible", agency},
        {"requested_datetime", iso8601(c.reported_ms)},
        {"updated_datetime", iso8601(updated)},
        {"address", ""}};
    if (c.lon && c.lat) {
      j["long"] = *c.lon;
      j["lat"] = *c.lat;
    }
    return j;
  };

  rt.add("GET", "/open311/v2/services.json", [&impl, caller, service_json](Request& req) {
    Response err;
    if (!caller(req, req.query_or("api_key"), err)) return err;
    json out = json::array();
    if (impl.ctx.classes) {
      for (const auto& [code, c] : impl.ctx.classes->classes()) out.push_back(service_json(c));
    }
    return Response::json(200, out.dump());
  });
  rt.add("GET", "/open311/v2/services/{code}", [&impl, caller](Request& req) {
    Response err;
    if (!caller(req, req.query_or("api_key"), err)) return err;
    std::string code = req.params["code"];
    if (code.size() < 6 || code.substr(code.size() - 5) != ".json") {
      return open311_error(404, "only .json is served");
    }
    code.resize(code.size() - 5);
    if (!impl.ctx.classes || !impl.ctx.classes->find(code)) {
      return open311_error(404, "no such service_code");
    }
    return Response::json(200, json{{"service_code", code}, {"attributes", json::array()}}.dump());
  });
  rt.add("GET", "/open311/v2/requests.json", [&impl, caller, request_json](Request& req) {
    Response err;
    auto p = caller(req, req.query_or("api_key"), err);
    if (!p) return err;
    if (!impl.ctx.cases) return open311_error(503, "the grid engine is off");
    store::CaseQuery q;
    q.limit = 1000;
    if (auto v = req.query_or("service_code"); !v.empty()) q.class_code = v;
    if (auto v = req.query_or("start_date"); !v.empty()) {
      auto t = parse_iso8601(v);
      if (!t) return open311_error(400, "start_date must be ISO 8601");
      q.reported_from_ms = *t;
    }
    if (auto v = req.query_or("end_date"); !v.empty()) {
      auto t = parse_iso8601(v);
      if (!t) return open311_error(400, "end_date must be ISO 8601");
      q.reported_to_ms = *t;
    }
    const std::string status = req.query_or("status");
    if (!status.empty() && status != "open" && status != "closed") {
      return open311_error(400, "status must be open or closed");
    }
    if (p->role == Role::kDepartment) q.department = p->department;
    json out = json::array();
    auto r = impl.readers.lease();
    for (int pages = 0; pages < 5 && out.size() < 200; ++pages) {
      auto page = r->cases.list(q);
      for (const auto& c : page.cases) {
        if (!status.empty() && (status == "closed") != closed_state(c.state)) continue;
        auto full = r->cases.get(c.id);
        if (full) out.push_back(request_json(*full));
        if (out.size() >= 200) break;
      }
      if (!page.next_before_id) break;
      q.before_id = page.next_before_id;
    }
    return Response::json(200, out.dump());
  });
  rt.add("GET", "/open311/v2/requests/{id}", [&impl, caller, request_json](Request& req) {
    Response err;
    auto p = caller(req, req.query_or("api_key"), err);
    if (!p) return err;
    if (!impl.ctx.cases) return open311_error(503, "the grid engine is off");
    std::string id = req.params["id"];
    if (id.size() < 6 || id.substr(id.size() - 5) != ".json")
      return open311_error(404, "only .json is served");
    auto n = to_int(id.substr(0, id.size() - 5));
    if (!n || *n < 1) return open311_error(404, "no such service_request_id");
    auto r = impl.readers.lease();
    auto c = r->cases.get(*n);
    if (!c || !p->sees(*c)) return open311_error(404, "no such service_request_id");
    return Response::json(200, json::array({request_json(*c)}).dump());
  });
  rt.add("POST", "/open311/v2/requests.json", [&impl, caller](Request& req) {
    Open311Body body = parse_open311_body(req.header("content-type"), req.body);
    if (!body.error.empty()) return open311_error(400, body.error);
    auto& f = body.fields;
    Response err;
    auto p = caller(req, f["api_key"], err);
    if (!p) {
      impl.audit("-", "open311_post", "refused", req);
      return err;
    }
    if (p->role != Role::kDispatcher && p->role != Role::kSupervisor) {
      impl.audit(p->actor(), "open311_post", "forbidden", req);
      return open311_error(403, "this api_key may not submit requests");
    }
    if (!impl.ctx.cases) return open311_error(503, "the grid engine is off");
    if (f["service_code"].empty()) return open311_error(400, "service_code is required");
    const auto location = open311_location(f["lat"], f["long"]);
    if (!location) return open311_error(400, "lat and long (WGS84 decimal degrees) are required");
    cases::ManualReport m;
    m.source = cases::Source::kHotline;
    m.class_code = f["service_code"];
    m.location = *location;
    m.description = f["description"];
    if (m.description.size() > 4000) return open311_error(400, "description is too long");
    m.external_id = f["external_id"].empty() ? http::random_token(12) : f["external_id"];
    std::string who = (f["first_name"] + " " + f["last_name"]);
    if (who == " ") who = f["email"];
    m.reporter = who.empty() || who == " " ? p->actor() : who;
    m.at_ms = impl.now();
    try {
      auto out = impl.submit_report(m);
      impl.audit(p->actor(), "open311_post", cases::to_string(out.result.kind), req,
                 "case " + std::to_string(out.result.case_id));
      json j = json::array({{{"service_request_id", std::to_string(out.result.case_id)},
                             {"service_notice", ""},
                             {"account_id", nullptr}}});
      return Response::json(201, j.dump());
    } catch (const cases::CaseError& e) {
      impl.audit(p->actor(), "open311_post", "refused", req, e.what());
      return open311_error(400, e.what());
    }
  });
}

ApiService::ApiService(ApiConfig config, ApiContext context)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(context))) {}

ApiService::~ApiService() {
  stop();
}

void ApiService::start() {
  if (impl_->no_credentials_configured()) {
    spdlog::warn(
        "api: no users or tokens configured (api.users / api.tokens): every "
        "authenticated route answers 503; there are no default credentials");
  }
  impl_->server->start();
  impl_->feed->start();
  if (impl_->ctx.fleet && !impl_->fleet_subscription) {
    FeedHub* hub = impl_->feed.get();
    impl_->fleet_subscription =
        impl_->ctx.fleet->subscribe([hub](const aggregator::fleet::Alert& a) {
          hub->broadcast_alert(Impl::alert_json(a).dump());
        });
  }
  impl_->sweep_logged();
  {
    std::lock_guard lock(impl_->sweep_mu);
    impl_->running = true;
  }
  impl_->sweeper = std::thread([this] { impl_->sweep_loop(); });
  spdlog::info("api: listening on {} ({} users, {} tokens)", impl_->server->url(),
               impl_->users.size(), impl_->tokens.size());
}

void ApiService::stop() {
  if (impl_->ctx.fleet && impl_->fleet_subscription) {
    impl_->ctx.fleet->unsubscribe(*impl_->fleet_subscription);
    impl_->fleet_subscription.reset();
  }
  {
    std::lock_guard lock(impl_->sweep_mu);
    impl_->running = false;
  }
  impl_->sweep_cv.notify_all();
  if (impl_->sweeper.joinable()) impl_->sweeper.join();
  impl_->feed->stop();
  impl_->server->stop();
}

std::uint16_t ApiService::port() const {
  return impl_->server->port();
}
std::string ApiService::url() const {
  return impl_->server->url();
}
std::size_t ApiService::sweep_evidence() {
  return impl_->sweep();
}

// ---- files ----

std::size_t sweep_evidence_dir(const fs::path& dir, std::int64_t now_ms, std::int64_t max_age_ms,
                               std::uint64_t max_bytes) {
  struct Item {
    std::int64_t mtime_ms;
    std::uint64_t size;
    fs::path path;
  };
  std::vector<Item> items;
  std::error_code ec;
  const auto now_fs = fs::file_time_type::clock::now();
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::error_code e2;
    if (!e.is_regular_file(e2)) continue;
    const auto age =
        std::chrono::duration_cast<std::chrono::milliseconds>(now_fs - e.last_write_time(e2));
    if (e2) continue;
    items.push_back({now_ms - age.count(), e.file_size(e2), e.path()});
  }
  std::sort(items.begin(), items.end(),
            [](const Item& a, const Item& b) { return a.mtime_ms < b.mtime_ms; });
  std::uint64_t total = 0;
  for (const auto& i : items) total += i.size;
  std::size_t removed = 0;
  for (const auto& i : items) {
    const bool too_old = max_age_ms > 0 && now_ms - i.mtime_ms > max_age_ms;
    const bool too_much = max_bytes > 0 && total > max_bytes;
    if (!too_old && !too_much) break;  // sorted oldest first
    std::error_code e3;
    if (fs::remove(i.path, e3)) {
      ++removed;
      total -= i.size;
    }
  }
  return removed;
}

std::string probe_mp4_codec(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return {};
  auto scan = [](const std::string& buf) -> std::string {
    for (const char* h : {"hvc1", "hev1"}) {
      if (buf.find(h) != std::string::npos) return "h265";
    }
    for (const char* a : {"avc1", "avc3"}) {
      if (buf.find(a) != std::string::npos) return "h264";
    }
    return {};
  };
  constexpr std::size_t kChunk = 1 << 20;
  std::string head(kChunk, '\0');
  in.read(head.data(), kChunk);
  head.resize(static_cast<std::size_t>(in.gcount()));
  // The sample entry lives in 'moov' (at the start of a fast-start file, else at the end).
  if (auto c = scan(head); !c.empty()) return c;
  in.clear();
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::size_t>(in.tellg());
  if (size <= kChunk) return {};
  in.seekg(static_cast<std::streamoff>(size - std::min(size - kChunk, kChunk)));
  std::string tail(kChunk, '\0');
  in.read(tail.data(), kChunk);
  tail.resize(static_cast<std::size_t>(in.gcount()));
  return scan(tail);
}

}  // namespace gridsight::api
