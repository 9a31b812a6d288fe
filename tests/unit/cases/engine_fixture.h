#pragma once
// A case engine over the test district of tests/unit/grid/grid_fixture.h, a SQLite store in
// a temporary file, a manual clock (Tuesday 2026-11-24 10:00, UTC+8) and test doubles.

#include <gtest/gtest.h>
#include <unistd.h>

#include <deque>
#include <filesystem>
#include <memory>

#include "aggregator/cases/case_engine.h"
#include "aggregator/cases/class_catalog.h"
#include "aggregator/cases/working_calendar.h"
#include "aggregator/grid/camera_registry.h"
#include "aggregator/grid/grid_model.h"
#include "aggregator/store/sqlite/sqlite_case_store.h"
#include "common/metrics.h"
#include "tests/unit/grid/grid_fixture.h"

namespace gridsight::cases::testing {

using grid::testing::at;

// Answers re-check requests from a script (at once); remembers them.
class ScriptedRecheck final : public RecheckChannel {
 public:
  void ask(const RecheckRequest& r, RecheckReply reply) override { reply(answer(r)); }
  RecheckAnswer answer(const RecheckRequest& r) {
    requests.push_back(r);
    if (answers.empty()) return RecheckAnswer::kUnavailable;
    RecheckAnswer a = answers.front();
    answers.pop_front();
    return a;
  }
  std::deque<RecheckAnswer> answers;
  std::vector<RecheckRequest> requests;
};

inline std::int64_t local(const std::string& date, int h, int m = 0) {
  return parse_date(date) * 86'400'000 + (h * 60 + m) * 60'000 - 8 * 3'600'000;
}

constexpr std::int64_t kMin = 60'000;
constexpr std::int64_t kHour = 60 * kMin;

inline EventClass make_class(std::string code, std::string department, std::int64_t hours,
                             std::int64_t window_min, bool review, std::int64_t self_corr_min) {
  EventClass c;
  c.code = std::move(code);
  c.name = c.code;
  c.department = std::move(department);
  c.limit = {hours, TimeLimit::Unit::kWorkingHours};
  c.merge_window_ms = window_min * kMin;
  c.review = review;
  c.self_correction_ms = self_corr_min * kMin;
  return c;
}

class EngineTest : public ::testing::Test {
 protected:
  EngineTest() {
    db_path_ = std::filesystem::path(::testing::TempDir()) /
               ("cases-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db");
    std::filesystem::remove(db_path_);
    store = std::make_unique<store::SqliteCaseStore>(db_path_.string());

    grid::CameraEntry cam1;
    cam1.id = "cam-1";
    cam1.device_id = "edge-1";
    cam1.watches = point(15, 5);  // A grid 1
    grid::CameraEntry cam2;
    cam2.id = "cam-2";
    cam2.device_id = "edge-2";
    cam2.zones = {{"gate", point(35, 35), std::nullopt, "market"}};
    grid::CameraEntry cam3;
    cam3.id = "cam-3";
    cam3.device_id = "edge-2";
    cam3.zones = {{"gate", point(35.0001, 35), std::nullopt, "market"}};
    for (auto* c : {&cam1, &cam2, &cam3}) cameras.add(*c);

    EventClass parking = make_class("09009", "traffic-police", 2, 30, false, 0);
    parking.areas.push_back({"110105001002", std::string("street-traffic"), std::nullopt});
    classes.add(parking);
    classes.add(make_class("06010", "sanitation", 4, 10, true, 0));
    classes.add(make_class("09006", "urban-management", 2, 10, false, 5));
    classes.add(make_class("09005", "urban-management", 2, 10, true, 5));
    classes.map_type("parking.illegal", "09009");
    classes.map_type("garbage.exposed", "06010");
    classes.map_type("vendor.stall", "09006");
    classes.map_type("shop.outside", "09005");
    clock.set(local("2026-11-24", 10));
    make_engine();
  }
  ~EngineTest() override {
    engine.reset();
    store.reset();
    std::filesystem::remove(db_path_);
    std::filesystem::remove(db_path_.string() + "-wal");
    std::filesystem::remove(db_path_.string() + "-shm");
  }

  void make_engine() {
    engine = std::make_unique<CaseEngine>(grid, cameras, classes, calendar, *store, sink, clock,
                                          config, &metrics);
  }

  // The engine's timers at `now_ms`; the re-checks they ask are answered by `recheck` (as the
  // case service would post them back).
  void tick(std::int64_t now_ms) {
    for (const RecheckRequest& r : engine->tick(now_ms)) {
      engine->on_recheck(r.case_id, recheck.answer(r), now_ms);
    }
  }

  // Events as ingest stores them (rows 0: no cursor).
  static std::vector<StoredEvent> stored_events(const std::vector<protocol::Event>& events,
                                                std::int64_t received_ms) {
    std::vector<StoredEvent> out;
    for (const auto& e : events) out.push_back({0, e, received_ms});
    return out;
  }

  static protocol::GeoPoint point(double x, double y) {
    grid::LonLat p = at(x, y);
    return {p.lon, p.lat, protocol::Crs::kWgs84};
  }

  protocol::Event event(const std::string& id, const std::string& type,
                        const std::string& camera = "cam-1", const std::string& zone = "") {
    protocol::Event e;
    e.event_id = id;
    e.device_id = "edge-1";
    e.camera_id = camera;
    e.zone = zone;
    e.type = type;
    e.start_ms = clock.now_ms();
    e.clock_synced = true;
    e.confidence = 0.9;
    return e;
  }

  IngestResult feed(const protocol::Event& e) { return engine->on_event(e, clock.now_ms()); }

  Case act(CaseId id, Action a, const std::string& actor = "operator", std::string note = "n") {
    Command c;
    c.action = a;
    c.actor = actor;
    c.note = std::move(note);
    if (a == Action::kReject) c.label = "false_alarm";
    if (a == Action::kEvaluate) c.satisfaction = Satisfaction::kSatisfied;
    if (a == Action::kExtend) c.extension = TimeLimit{1, TimeLimit::Unit::kWorkingDays};
    return engine->act(id, c);
  }

  Case stored(CaseId id) { return *store->get(id); }

  std::filesystem::path db_path_;
  grid::GridModel grid = grid::GridModel::from_geojson(
      grid::testing::collection(grid::testing::district_features()), {}, "district.geojson");
  grid::CameraRegistry cameras;
  ClassCatalog classes;
  WorkingCalendar calendar;  // Mon-Fri 09:00-12:00, 13:30-17:30, UTC+8
  std::unique_ptr<store::SqliteCaseStore> store;
  VectorSink sink;
  ScriptedRecheck recheck;
  ManualClock clock;
  EngineConfig config;
  Metrics metrics;
  std::unique_ptr<CaseEngine> engine;
};

}  // namespace gridsight::cases::testing
