// The HTTP API under load (docs/benchmarks.md, "HTTP API"):
//  1. the filtered case queue (a page of 50, state + cell subtree filter) with 100 000 cases
//     stored, at 1 and 16 concurrent keep-alive clients: requests/s and p99 latency, beside
//     the same store query without HTTP and GET /healthz over HTTP (the server's floor);
//  2. latency from a stored edge event to its notification on the live feed: the event is
//     written to the event store and pushed to the case service as ingest does, the engine
//     makes its case, the output wakes the feed, an SSE client receives it.
//  3. the console's department queue (open cases by deadline, with the total) and the map's
//     per-cell counts of every open case, at 16 clients, beside the same /healthz floor.
// `--smoke` runs a small version for CI.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "aggregator/api/api_service.h"
#include "aggregator/cases/case_engine.h"
#include "aggregator/cases/case_service.h"
#include "aggregator/cases/class_catalog.h"
#include "aggregator/cases/working_calendar.h"
#include "aggregator/daemon/sqlite_api_stores.h"
#include "aggregator/grid/camera_registry.h"
#include "aggregator/grid/grid_model.h"
#include "aggregator/store/sqlite/sqlite_case_store.h"
#include "aggregator/store/sqlite/sqlite_event_store.h"
#include "common/clock.h"
#include "common/http/password.h"
#include "common/metrics.h"
#include "protocol/event.h"
#include "protocol/ids.h"

using namespace gridsight;
namespace fs = std::filesystem;
using Clk = std::chrono::steady_clock;

namespace {

constexpr const char* kToken = "bench-token-0123456789abcdef";

// A district of 4 x 4 base grids (15-digit codes), 0.002 degrees each.
std::string grid_geojson() {
  nlohmann::json fc = {{"type", "FeatureCollection"},
                       {"coordinate_system", "WGS84"},
                       {"features", nlohmann::json::array()}};
  for (int i = 0; i < 16; ++i) {
    const double x = 116.40 + (i % 4) * 0.002, y = 39.90 + (i / 4) * 0.002;
    char code[32];
    std::snprintf(code, sizeof code, "110105001%03d%03d", 1 + i / 8, 1 + i % 8);
    fc["features"].push_back(
        {{"type", "Feature"},
         {"properties", {{"code", code}, {"name", code}}},
         {"geometry",
          {{"type", "Polygon"},
           {"coordinates",
            {{{x, y}, {x + 0.002, y}, {x + 0.002, y + 0.002}, {x, y + 0.002}, {x, y}}}}}}});
  }
  return fc.dump();
}

// One keep-alive connection.
class Client {
 public:
  explicit Client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) std::abort();
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Client() { ::close(fd_); }
  // Returns the status.
  int get(const std::string& target, const std::string& extra) {
    std::string req = "GET " + target + " HTTP/1.1\r\nHost: b\r\n" + extra + "\r\n";
    if (::send(fd_, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
      return -1;
    }
    std::size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return -1;
    }
    const int status = std::atoi(buf_.c_str() + 9);
    std::size_t len = 0;
    auto cl = buf_.find("Content-Length: ");
    if (cl != std::string::npos && cl < end) len = std::stoul(buf_.substr(cl + 16));
    while (buf_.size() < end + 4 + len) {
      if (!fill()) return -1;
    }
    buf_.erase(0, end + 4 + len);
    return status;
  }
  bool fill() {
    char tmp[65536];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<std::size_t>(n));
    return true;
  }
  std::string& buffer() { return buf_; }
  void send_raw(const std::string& s) { (void)::send(fd_, s.data(), s.size(), MSG_NOSIGNAL); }

 private:
  int fd_ = -1;
  std::string buf_;
};

struct Figures {
  double rps = 0;
  double p50_ms = 0, p99_ms = 0;
  std::size_t errors = 0;
};

Figures percentiles(std::vector<double> lat, double seconds, std::size_t errors) {
  Figures f;
  std::sort(lat.begin(), lat.end());
  f.errors = errors;
  if (lat.empty()) return f;
  f.rps = double(lat.size()) / seconds;
  f.p50_ms = lat[lat.size() / 2];
  f.p99_ms = lat[std::min(lat.size() - 1, lat.size() * 99 / 100)];
  return f;
}

Figures load(std::uint16_t port, int clients, int per_client, const std::string& target,
             const std::string& extra) {
  std::vector<std::vector<double>> lat(static_cast<std::size_t>(clients));
  std::atomic<std::size_t> errors{0};
  std::vector<std::thread> threads;
  const auto t0 = Clk::now();
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      Client cl(port);
      for (int i = 0; i < per_client; ++i) {
        const auto s = Clk::now();
        if (cl.get(target, extra) != 200) ++errors;
        lat[static_cast<std::size_t>(c)].push_back(
            std::chrono::duration<double, std::milli>(Clk::now() - s).count());
      }
    });
  }
  for (auto& t : threads) t.join();
  const double secs = std::chrono::duration<double>(Clk::now() - t0).count();
  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  return percentiles(std::move(all), secs, errors);
}

const char* kStates[] = {"evaluated", "closed", "dispatched", "reported", "rejected", "filed"};

}  // namespace

int main(int argc, char** argv) {
  const bool smoke = argc > 1 && std::strcmp(argv[1], "--smoke") == 0;
  const int n_cases = smoke ? 5'000 : 100'000;
  const int per_client_1 = smoke ? 100 : 2'000;
  const int per_client_16 = smoke ? 20 : 300;
  const int feed_events = smoke ? 20 : 200;
  const fs::path dir =
      fs::temp_directory_path() / ("gridsight-api-bench-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "evidence");
  const std::string case_db = (dir / "cases.db").string(),
                    event_db = (dir / "aggregator.db").string();

  // ---- the stored cases, written straight through the store in one transaction ----
  const auto g0 = Clk::now();
  {
    store::SqliteCaseStore st(case_db);
    std::mt19937_64 rng(7);
    st.begin_batch();
    const std::int64_t t0 = 1'795'000'000'000;
    for (int i = 0; i < n_cases; ++i) {
      cases::Case c;
      // Mostly finished cases (as in a live system); the engine loads only open ones.
      const std::size_t k = rng() % 100;
      c.state = *cases::state_from_string(k < 60   ? "evaluated"
                                          : k < 75 ? "rejected"
                                                   : kStates[k % 6]);
      c.class_code = (k % 2) ? "06010" : "09009";
      char cell[32];
      std::snprintf(cell, sizeof cell, "110105001%03d%03d", 1 + int(rng() % 2), 1 + int(rng() % 8));
      c.cell_code = cell;
      c.source = cases::Source::kAiCamera;
      c.detector = "garbage.exposed";
      c.camera_id = "cam-" + std::to_string(rng() % 500);
      c.reported_ms = t0 + i * 60'000LL;
      c.last_report_ms = c.reported_ms;
      c.departments.push_back({k % 3 ? "sanitation" : "traffic-police", false, 0});
      c.reports.push_back(
          {"bench-" + std::to_string(i), c.source, c.camera_id, c.detector, c.reported_ms, ""});
      c.history.push_back(
          {1, cases::Action::kReport, c.state, c.state, "system", c.reported_ms, ""});
      st.create(c, {});
    }
    st.commit_batch();
  }
  const double gen_s = std::chrono::duration<double>(Clk::now() - g0).count();

  // ---- the aggregator's parts ----
  grid::GridModel grid = grid::GridModel::from_geojson(grid_geojson(), {}, "bench.geojson");
  grid::CameraRegistry cameras;
  for (int i = 0; i < feed_events; ++i) {
    grid::CameraEntry cam;
    cam.id = "feed-cam-" + std::to_string(i);
    cam.device_id = "edge-bench";
    // ~40-50 m apart: no two merge.
    cam.watches = protocol::GeoPoint{116.4005 + (i % 16) * 0.00045, 39.9005 + (i / 16) * 0.00045,
                                     protocol::Crs::kWgs84};
    cameras.add(cam);
  }
  cases::ClassCatalog classes;
  cases::EventClass cls;
  cls.code = "06010";
  cls.name = "exposed garbage";
  cls.department = "sanitation";
  cls.limit = {4, cases::TimeLimit::Unit::kWorkingHours};
  classes.add(cls);
  classes.map_type("garbage.exposed", "06010");
  cases::WorkingCalendar calendar;
  store::SqliteCaseStore engine_store(case_db);
  aggregator::SqliteEventStore events(event_db);
  cases::NoRecheckChannel recheck;
  Clock& clock = SystemClock::instance();
  Metrics metrics;
  cases::CaseService feeder(
      {},
      [&](cases::CaseSink& out) {
        return std::make_unique<cases::CaseEngine>(grid, cameras, classes, calendar, engine_store,
                                                   out, clock);
      },
      engine_store, events, recheck, clock, metrics);

  api::ApiConfig cfg;
  cfg.enabled = true;
  cfg.port = 0;
  cfg.threads = 4;
  cfg.tokens = {{"bench", api::Role::kReadonly, "", http::token_digest(kToken)}};
  cfg.retention_max_age_days = 0;
  api::ApiContext ctx;
  ctx.cases = &feeder;
  aggregator::use_sqlite_stores(ctx, case_db, event_db);
  ctx.evidence_dir = dir / "evidence";
  ctx.grid = &grid;
  ctx.cameras = &cameras;
  ctx.classes = &classes;
  ctx.clock = &clock;
  api::ApiService service(cfg, ctx);
  service.start();
  const std::uint16_t port = service.port();
  const std::string auth = std::string("Authorization: Bearer ") + kToken + "\r\n";
  const std::string queue = "/api/v1/cases?state=dispatched&cell=110105001001&limit=50";

  // ---- baseline: the same query on the store, no HTTP ----
  Figures direct;
  {
    store::SqliteCaseStore st(case_db);
    store::CaseQuery q;
    q.state = cases::State::kDispatched;
    q.cell_prefix = "110105001001";
    q.limit = 50;
    std::vector<double> lat;
    const auto t0 = Clk::now();
    for (int i = 0; i < per_client_1; ++i) {
      const auto s = Clk::now();
      auto page = st.list(q);
      if (page.cases.size() != 50) std::abort();
      lat.push_back(std::chrono::duration<double, std::milli>(Clk::now() - s).count());
    }
    direct = percentiles(lat, std::chrono::duration<double>(Clk::now() - t0).count(), 0);
  }
  load(port, 2, 20, queue, auth);  // warm up
  Figures q1 = load(port, 1, per_client_1, queue, auth);
  Figures q16 = load(port, 16, per_client_16, queue, auth);
  Figures h16 = load(port, 16, per_client_16 * 4, "/healthz", "");
  // The console's other hot requests: a department's default queue (its open cases by
  // deadline, with the total) and the map of every open case (per-cell counts).
  Figures d16 =
      load(port, 16, per_client_16, "/api/v1/cases?open=true&sort=deadline&limit=50", auth);
  Figures m16 = load(port, 16, std::max(2, per_client_16 / 4), "/api/v1/map/open", auth);

  // ---- stored event → live feed ----
  feeder.start();
  Client sse(port);
  sse.send_raw("GET /api/v1/feed HTTP/1.1\r\nHost: b\r\n" + auth + "\r\n");
  while (sse.buffer().find("retry:") == std::string::npos) sse.fill();
  std::vector<double> feed_lat;
  std::mt19937_64 rng(11);
  for (int i = 0; i < feed_events; ++i) {
    protocol::Event e;
    e.event_id = protocol::new_event_id();
    e.device_id = "edge-bench";
    e.camera_id = "feed-cam-" + std::to_string(i);
    e.seq = static_cast<std::uint64_t>(i + 1);
    e.type = "garbage.exposed";
    e.start_ms = clock.now_ms();
    e.clock_synced = true;
    e.confidence = 0.9;
    const std::string payload = protocol::encode(e);
    // Events arrive at random moments (relative to the engine's timers).
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 50));
    const auto s = Clk::now();
    const std::int64_t received = clock.now_ms();
    events.begin();
    const std::int64_t row = events.insert_event(e, payload, received);
    events.commit();
    feeder.push({row, std::move(e), received});
    // Wait for this event's new case.
    const std::string needle = "\"kind\":\"new_case\"";
    while (true) {
      auto p = sse.buffer().find(needle);
      if (p != std::string::npos) {
        sse.buffer().erase(0, sse.buffer().find("\n\n", p) + 2);
        break;
      }
      if (!sse.fill()) break;  // 10 s without it: counted as missed
    }
    feed_lat.push_back(std::chrono::duration<double, std::milli>(Clk::now() - s).count());
  }
  Figures fl = percentiles(feed_lat, 1, 0);
  feeder.stop();
  service.stop();
  fs::remove_all(dir);

  std::printf("API benchmark%s: %d cases stored (generated in %.1f s)\n", smoke ? " (smoke)" : "",
              n_cases, gen_s);
  std::printf("queue listing, page of 50, state+cell filter:\n");
  std::printf("  %-34s %10s %10s %10s\n", "", "req/s", "p50 ms", "p99 ms");
  std::printf("  %-34s %10.0f %10.2f %10.2f\n", "baseline: store query, no HTTP", direct.rps,
              direct.p50_ms, direct.p99_ms);
  std::printf("  %-34s %10.0f %10.2f %10.2f\n", "HTTP, 1 client", q1.rps, q1.p50_ms, q1.p99_ms);
  std::printf("  %-34s %10.0f %10.2f %10.2f  (target p99 <= 50 ms)\n", "HTTP, 16 clients", q16.rps,
              q16.p50_ms, q16.p99_ms);
  std::printf("  %-34s %10.0f %10.2f %10.2f\n", "baseline: GET /healthz, 16 clients", h16.rps,
              h16.p50_ms, h16.p99_ms);
  std::printf("  %-34s %10.0f %10.2f %10.2f\n", "open cases by deadline + total, 16", d16.rps,
              d16.p50_ms, d16.p99_ms);
  std::printf("  %-34s %10.0f %10.2f %10.2f\n", "map: open cases per cell, 16", m16.rps, m16.p50_ms,
              m16.p99_ms);
  std::printf("stored edge event -> live feed notification (%d events):\n", feed_events);
  std::printf(
      "  p50 %.1f ms, p99 %.1f ms  (target p99 <= 500 ms; the case feed polls every 50 ms)\n",
      fl.p50_ms, fl.p99_ms);
  if (q1.errors || q16.errors || h16.errors || d16.errors || m16.errors) {
    std::fprintf(stderr, "FAIL: %zu requests failed\n",
                 q1.errors + q16.errors + h16.errors + d16.errors + m16.errors);
    return 1;
  }
  return 0;
}
