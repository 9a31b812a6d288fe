#include "aggregator/api/case_names.h"

#include "aggregator/cases/class_catalog.h"
#include "aggregator/grid/camera_registry.h"
#include "aggregator/grid/grid_model.h"

namespace gridsight::api {

using json = nlohmann::json;

CaseNames::CaseNames(const cases::ClassCatalog* classes, const grid::GridModel* grid,
                     const grid::CameraRegistry* cameras)
    : classes_(classes), grid_(grid), cameras_(cameras) {}

json CaseNames::class_json(const std::string& code) const {
  const cases::EventClass* c = classes_ ? classes_->find_any_generation(code) : nullptr;
  if (!c) return nullptr;
  return {{"code", c->code},
          {"name", c->name},
          {"english", c->english},
          {"generation", cases::to_string(c->generation)},
          {"legacy_code", c->legacy_code}};
}

json CaseNames::cell_path(const std::string& code) const {
  json path = json::array();
  if (!grid_) return path;
  // Ancestors are code prefixes (3 digits a level below the 6-digit district).
  for (std::size_t n = 6; n <= code.size(); n += 3) {
    const grid::Cell* cell = grid_->find(std::string_view(code).substr(0, n));
    if (!cell) continue;
    path.push_back({{"code", cell->code}, {"name", cell->name}, {"level", to_string(cell->level)}});
  }
  return path;
}

json CaseNames::department_json(const std::string& id) const {
  const cases::Department* d = classes_ ? classes_->department(id) : nullptr;
  if (!d) return {{"name", id}, {"english", ""}};
  return {{"name", d->name}, {"english", d->english}};
}

std::string CaseNames::camera_name(const std::string& camera_id) const {
  const grid::CameraEntry* cam = cameras_ ? cameras_->find(camera_id) : nullptr;
  return cam ? cam->name : std::string();
}

json CaseNames::of(const cases::Case& c) const {
  json deps = json::object();
  for (const auto& a : c.departments) deps[a.department] = department_json(a.department);
  const std::string camera = c.camera_id.empty() ? std::string() : camera_name(c.camera_id);
  return {{"class", class_json(c.class_code)},
          {"cell_path", cell_path(c.cell_code)},
          {"departments", std::move(deps)},
          {"camera", camera.empty() ? json() : json(camera)}};
}

json catalog_json(const cases::ClassCatalog* classes, int utc_offset_minutes) {
  json cls = json::array();
  json deps = json::array();
  if (classes) {
    for (const auto& [code, c] : classes->classes()) {
      cls.push_back({{"code", c.code},
                     {"name", c.name},
                     {"english", c.english},
                     {"generation", cases::to_string(c.generation)},
                     {"legacy_code", c.legacy_code},
                     {"department", c.department}});
    }
    for (const auto& [id, d] : classes->departments()) {
      deps.push_back({{"id", d.id}, {"name", d.name}, {"english", d.english}});
    }
  }
  return {{"classes", std::move(cls)},
          {"departments", std::move(deps)},
          {"utc_offset_minutes", utc_offset_minutes}};
}

}  // namespace gridsight::api
