// Events per second through the case engine: class mapping, placement, merging, routing and
// the SQLite case store (WAL, synchronous=FULL), batched as the aggregator's ingest does, and
// one transaction per event for comparison. `--smoke` runs a small version for CI.

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <random>

#include "aggregator/cases/case_engine.h"
#include "aggregator/cases/class_catalog.h"
#include "aggregator/cases/working_calendar.h"
#include "aggregator/grid/camera_registry.h"
#include "aggregator/grid/grid_model.h"
#include "aggregator/store/sqlite/sqlite_case_store.h"
#include "bench/grid/synthetic_grid.h"

using namespace gridsight;

namespace {

cases::EventClass make_class(std::string code, std::string dep, bool review,
                             std::int64_t window_min) {
  cases::EventClass c;
  c.code = code;
  c.name = code;
  c.department = std::move(dep);
  c.limit = {2, cases::TimeLimit::Unit::kWorkingHours};
  c.review = review;
  c.merge_window_ms = window_min * 60'000;
  return c;
}

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

struct Run {
  double seconds = 0;
  double cpu = 0;
  std::size_t new_cases = 0, merged = 0;
};

Run run(const grid::GridModel& model, const grid::CameraRegistry& cams,
        const cases::ClassCatalog& classes, const cases::WorkingCalendar& calendar,
        std::size_t events, std::size_t cameras, std::size_t batch, const std::string& path) {
  for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path + s);
  store::SqliteCaseStore store(path);
  cases::NullSink sink;
  ManualClock clock(1'795'000'000'000);
  cases::CaseEngine engine(model, cams, classes, calendar, store, sink, clock);
  const char* types[] = {"parking.illegal", "garbage.exposed", "vendor.stall", "garbage.overflow"};
  std::mt19937_64 rng(3);
  std::vector<protocol::Event> all(events);
  for (std::size_t i = 0; i < events; ++i) {
    protocol::Event& e = all[i];
    e.event_id = "ev-" + std::to_string(i);
    std::size_t cam = rng() % cameras;
    e.camera_id = "cam-" + std::to_string(cam);
    e.device_id = "edge-" + std::to_string(cam / 8);
    e.type = types[rng() % 4];
    e.start_ms = clock.now_ms() + static_cast<std::int64_t>(i) * 20;  // 50 events/s of time
    e.clock_synced = true;
  }
  Run r;
  auto t0 = std::chrono::steady_clock::now();
  double c0 = cpu_seconds();
  for (std::size_t i = 0; i < events; i += batch) {
    std::vector<cases::StoredEvent> chunk;
    for (std::size_t j = i; j < std::min(events, i + batch); ++j) {
      chunk.push_back({static_cast<std::int64_t>(j + 1), all[j], all[j].start_ms});
    }
    std::vector<cases::IngestResult> res;
    if (batch == 1) {
      res.push_back(engine.on_event(chunk[0].event, chunk[0].received_ms));
    } else {
      res = engine.on_events(chunk);
    }
    for (const auto& x : res) {
      if (x.kind == cases::IngestResult::Kind::kMerged) ++r.merged;
      if (x.kind == cases::IngestResult::Kind::kNewCase) ++r.new_cases;
    }
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.cpu = cpu_seconds() - c0;
  for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path + s);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  bool smoke = argc > 1 && std::strcmp(argv[1], "--smoke") == 0;
  std::size_t events = smoke ? 5'000 : 100'000;
  std::size_t single = smoke ? 500 : 5'000;
  std::size_t cameras = smoke ? 200 : 2'000;
  int side = smoke ? 20 : 50;

  bench::SyntheticGrid syn = bench::make_synthetic_grid(side, side, 11);
  grid::GridModel model = grid::GridModel::from_geojson(syn.geojson(), {}, "synthetic");
  grid::CameraRegistry cams;
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0.02, 0.98);
  for (std::size_t i = 0; i < cameras; ++i) {
    grid::CameraEntry c;
    c.id = "cam-" + std::to_string(i);
    c.device_id = "edge-" + std::to_string(i / 8);
    c.watches = protocol::GeoPoint{syn.lon0 + u(rng) * side * syn.cell_deg,
                                   syn.lat0 + u(rng) * side * syn.cell_deg, protocol::Crs::kWgs84};
    cams.add(c);
  }
  cases::ClassCatalog classes;
  classes.add(make_class("09009", "traffic-police", false, 30));
  classes.add(make_class("06010", "sanitation", true, 10));
  classes.add(make_class("09006", "urban-management", false, 10));
  classes.add(make_class("06042", "sanitation", false, 10));
  classes.map_type("parking.illegal", "09009");
  classes.map_type("garbage.exposed", "06010");
  classes.map_type("vendor.stall", "09006");
  classes.map_type("garbage.overflow", "06042");
  cases::WorkingCalendar calendar;

  std::string path = (std::filesystem::temp_directory_path() /
                      ("gridsight-case-bench-" + std::to_string(::getpid()) + ".db"))
                         .string();
  Run batched = run(model, cams, classes, calendar, events, cameras, 200, path);
  std::printf(
      "batched (200 events per transaction): %zu events in %.2f s = %.0f events/s wall, %.0f "
      "events/s of CPU time (%zu new cases, %zu merged)\n",
      events, batched.seconds, double(events) / batched.seconds, double(events) / batched.cpu,
      batched.new_cases, batched.merged);
  Run each = run(model, cams, classes, calendar, single, cameras, 1, path);
  std::printf(
      "one transaction per event (fsync each): %zu events in %.2f s = %.0f events/s wall, "
      "%.0f events/s of CPU time\n",
      single, each.seconds, double(single) / each.seconds, double(single) / each.cpu);
  if (batched.new_cases == 0 || batched.merged == 0) {
    std::fprintf(stderr, "FAIL: expected both new cases and merges\n");
    return 1;
  }
  return 0;
}
