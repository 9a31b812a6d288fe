// The example configuration in config/grid loads, validates, and turns an edge event into a
// case with grid code, class code, department and deadline (the README demo).

#include <gtest/gtest.h>

#include "aggregator/cases/class_catalog.h"
#include "aggregator/cases/working_calendar.h"
#include "aggregator/grid/camera_registry.h"
#include "aggregator/grid/grid_model.h"
#include "common/config/section.h"
#include "tests/unit/cases/engine_fixture.h"

namespace gridsight::cases {
namespace {

std::string cfg(const std::string& name) {
  return std::string(GRIDSIGHT_SOURCE_DIR) + "/config/grid/" + name;
}

struct Example {
  grid::GridModel grid = grid::GridModel::load_file(cfg("district-example.geojson"), {});
  grid::CameraRegistry cameras = [] {
    auto s = config::load_file(cfg("cameras.yaml"));
    return grid::CameraRegistry::read(s);
  }();
  ClassCatalog classes = [] {
    auto s = config::load_file(cfg("classes.yaml"));
    return ClassCatalog::read(s);
  }();
  WorkingCalendar calendar = [] {
    auto s = config::load_file(cfg("calendar-2026.yaml"));
    return WorkingCalendar::read(s);
  }();
  EngineConfig engine_config = [] {
    auto s = config::load_file(cfg("engine.yaml"));
    return EngineConfig::read(s);
  }();
};

TEST(ExampleConfig, DistrictLoadsWithItsHierarchyDedicatedGridAndEnclave) {
  Example ex;
  EXPECT_EQ(ex.grid.size(), 25u);
  EXPECT_TRUE(ex.grid.find("110105002001901")->dedicated);
  // The enclave of 永安里 inside 建国里: (11.25..13.75, 2.5..5) in 0.001-degree units from
  // (116.440, 39.900) WGS-84.
  grid::Placement p = ex.grid.locate({116.440 + 0.0125, 39.900 + 0.0037});
  ASSERT_TRUE(p);
  EXPECT_EQ(p.cell->code, "110105001001004");
  grid::Placement school = ex.grid.locate({116.440 + 0.025, 39.900 + 0.015});
  EXPECT_EQ(school.cell->code, "110105002001901");
  EXPECT_EQ(ex.classes.find("09009")->legacy_code, "5-05");
  EXPECT_GE(ex.classes.size(), 28u);
}

TEST(ExampleConfig, DemoEventBecomesACase) {
  Example ex;
  std::string path = ::testing::TempDir() + "/example-demo-" + std::to_string(::getpid()) + ".db";
  std::filesystem::remove(path);
  {
    store::SqliteCaseStore store(path);
    VectorSink sink;
    ManualClock clock(testing::local("2026-09-30", 16, 30));  // before National Day
    CaseEngine engine(ex.grid, ex.cameras, ex.classes, ex.calendar, store, sink, clock,
                      ex.engine_config);
    protocol::Event e;
    e.event_id = "0193f0a0-0000-7000-8000-000000000001";
    e.device_id = "edge-jianwai-01";
    e.camera_id = "11010500001320000001";
    e.type = "fire_lane.blocked";  // 09012, filed automatically
    e.start_ms = clock.now_ms();
    e.clock_synced = true;
    IngestResult r = engine.on_event(e, clock.now_ms());
    ASSERT_EQ(r.kind, IngestResult::Kind::kNewCase);
    Case c = *engine.get(r.case_id);
    EXPECT_EQ(c.class_code, "09012");
    EXPECT_EQ(c.cell_code.size(), 15u);
    EXPECT_EQ(c.cell_code.substr(0, 9), "110105001");
    EXPECT_EQ(c.departments[0].department, "fire-brigade");
    // 1 working hour from Wednesday 30 September 16:30: 17:30 the same day.
    EXPECT_EQ(c.due_ms, testing::local("2026-09-30", 17, 30));
    EXPECT_EQ(c.state, State::kDispatched);
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

}  // namespace
}  // namespace gridsight::cases
