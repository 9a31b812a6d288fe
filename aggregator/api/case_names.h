#pragma once
// Names beside codes in the API's answers (docs/api.md, "Names"): a case's class (either code
// generation), its cell's path (district › street › community › grid), its departments and
// its camera, from the class catalogue, the grid and the camera registry. Built once; read
// from any request thread.

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "aggregator/cases/case.h"

namespace gridsight::grid {
class GridModel;
class CameraRegistry;
}  // namespace gridsight::grid
namespace gridsight::cases {
class ClassCatalog;
}

namespace gridsight::api {

class CaseNames {
 public:
  CaseNames(const cases::ClassCatalog* classes, const grid::GridModel* grid,
            const grid::CameraRegistry* cameras);

  // {"class": {"code", "name", "english", "generation", "legacy_code"} | null,
  //  "cell_path": [{"code", "name", "level"}, ...] (district first),
  //  "departments": {"<id>": {"name", "english"}}, "camera": "<name>" | null}
  nlohmann::json of(const cases::Case& c) const;
  // The same, serialised (spliced into list pages without a parse).
  std::string json_text(const cases::Case& c) const { return of(c).dump(); }

  nlohmann::json class_json(const std::string& code) const;
  nlohmann::json cell_path(const std::string& code) const;
  nlohmann::json department_json(const std::string& id) const;
  std::string camera_name(const std::string& camera_id) const;

 private:
  const cases::ClassCatalog* classes_;
  const grid::GridModel* grid_;
  const grid::CameraRegistry* cameras_;
};

// GET /api/v1/catalog: {"classes": [{"code", "name", "english", "generation", "legacy_code",
// "department"}], "departments": [{"id", "name", "english"}], "utc_offset_minutes"} — what
// the console needs to show names and the district's time.
nlohmann::json catalog_json(const cases::ClassCatalog* classes, int utc_offset_minutes);

}  // namespace gridsight::api
