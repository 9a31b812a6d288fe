#include "aggregator/cases/class_catalog.h"

#include <cassert>

#include "aggregator/cases/working_calendar.h"
#include "common/config/section.h"

namespace gridsight::cases {

const char* to_string(Generation g) {
  switch (g) {
    case Generation::kGb2026:
      return "gb2026";
    case Generation::kCj2007:
      return "cj2007";
    case Generation::kLocal:
      return "local";
  }
  return "?";
}

std::int64_t TimeLimit::minutes(const WorkingCalendar& calendar) const {
  return unit == Unit::kWorkingHours ? amount * 60 : amount * calendar.minutes_per_day();
}

std::string TimeLimit::str() const {
  return std::to_string(amount) +
         (unit == Unit::kWorkingHours ? " working hours" : " working days");
}

namespace {

constexpr std::int64_t kDay = 86'400'000;

// limit_working_hours: N or limit_working_days: N (exactly one, unless optional).
std::optional<TimeLimit> read_limit(config::Section& s, bool required) {
  bool h = s.has("limit_working_hours"), d = s.has("limit_working_days");
  if (h && d)
    s.fail("limit_working_days", "give limit_working_hours or limit_working_days, not both");
  if (!h && !d) {
    if (required) s.fail("", "limit_working_hours or limit_working_days is required");
    return std::nullopt;
  }
  TimeLimit t;
  if (h) {
    t.unit = TimeLimit::Unit::kWorkingHours;
    t.amount = s.integer("limit_working_hours", 1, 1, 10'000);
  } else {
    t.unit = TimeLimit::Unit::kWorkingDays;
    t.amount = s.integer("limit_working_days", 1, 1, 1'000);
  }
  return t;
}

struct Defaults {
  std::int64_t merge_window_ms = 10 * 60'000;
  double merge_radius_m = 15;
  std::int64_t recurrence_window_ms = 7 * kDay;
  std::int64_t self_correction_ms = 0;
  bool review = true;
  bool auto_dispatch = true;
  EventClass::CameraEnd camera_end = EventClass::CameraEnd::kSuggest;
};

EventClass::CameraEnd read_camera_end(config::Section& s, EventClass::CameraEnd d) {
  std::string v = s.choice("camera_end", d == EventClass::CameraEnd::kVerify ? "verify" : "suggest",
                           {"suggest", "verify"});
  return v == "verify" ? EventClass::CameraEnd::kVerify : EventClass::CameraEnd::kSuggest;
}

EventClass read_class(config::Section& s, const Defaults& d) {
  EventClass c;
  c.code = s.required_string("code");
  c.name = s.required_string("name");
  c.english = s.string("english", "");
  std::string gen = s.choice("generation", "gb2026", {"gb2026", "cj2007", "local"});
  c.generation = gen == "gb2026"   ? Generation::kGb2026
                 : gen == "cj2007" ? Generation::kCj2007
                                   : Generation::kLocal;
  c.legacy_code = s.string("legacy_code", "");
  c.department = s.required_string("department");
  c.limit = *read_limit(s, true);
  c.merge_window_ms = s.duration_ms("merge_window", d.merge_window_ms, 0, kDay);
  c.merge_radius_m = s.number("merge_radius_m", d.merge_radius_m, 0, 1000);
  c.recurrence_window_ms =
      s.duration_ms("recurrence_window", d.recurrence_window_ms, 0, 365 * kDay);
  c.self_correction_ms = s.duration_ms("self_correction", d.self_correction_ms, 0, kDay);
  c.review = s.boolean("review", d.review);
  c.auto_dispatch = s.boolean("auto_dispatch", d.auto_dispatch);
  c.camera_end = read_camera_end(s, d.camera_end);
  for (auto& a : s.list("areas")) {
    AreaRule r;
    r.cell_prefix = a.required_string("cell");
    r.department = a.optional_string("department");
    r.limit = read_limit(a, false);
    if (!r.department && !r.limit) a.fail("", "an area rule needs a department or a limit");
    a.finish();
    c.areas.push_back(std::move(r));
  }
  s.finish();
  return c;
}

}  // namespace

ClassCatalog ClassCatalog::read(config::Section& s) {
  ClassCatalog cat;
  Defaults d;
  {
    config::Section ds = s.section("defaults");
    d.merge_window_ms = ds.duration_ms("merge_window", d.merge_window_ms, 0, kDay);
    d.merge_radius_m = ds.number("merge_radius_m", d.merge_radius_m, 0, 1000);
    d.recurrence_window_ms =
        ds.duration_ms("recurrence_window", d.recurrence_window_ms, 0, 365 * kDay);
    d.self_correction_ms = ds.duration_ms("self_correction", 0, 0, kDay);
    d.review = ds.boolean("review", true);
    d.auto_dispatch = ds.boolean("auto_dispatch", true);
    d.camera_end = read_camera_end(ds, d.camera_end);
    ds.finish();
  }
  for (auto& ds : s.list("departments")) {
    Department dep;
    dep.id = ds.required_string("id");
    dep.name = ds.required_string("name");
    dep.english = ds.string("english", "");
    if (cat.department(dep.id)) ds.fail("id", "department " + dep.id + " is listed twice");
    ds.finish();
    cat.add_department(std::move(dep));
  }
  for (auto& cs : s.list("classes")) {
    std::string where = cs.where("code");
    std::string dep_where = cs.where("department");
    EventClass c = read_class(cs, d);
    if (cat.find(c.code)) throw config::Error(where + ": class " + c.code + " is listed twice");
    if (!cat.departments_.empty() && !cat.department(c.department)) {
      throw config::Error(dep_where + ": department " + c.department +
                          " is not in the departments list");
    }
    cat.add(std::move(c));
  }
  for (auto& m : s.list("mapping")) {
    std::string type = m.required_string("type");
    std::string cls = m.required_string("class");
    if (!cat.find(cls)) m.fail("class", "no class has the code \"" + cls + "\"");
    if (cat.types_.count(type)) m.fail("type", "edge type \"" + type + "\" is mapped twice");
    m.finish();
    cat.map_type(type, cls);
  }
  s.finish();
  return cat;
}

const Department* ClassCatalog::department(const std::string& id) const {
  auto it = departments_.find(id);
  return it == departments_.end() ? nullptr : &it->second;
}

const EventClass* ClassCatalog::find_any_generation(const std::string& code) const {
  if (const EventClass* c = find(code)) return c;
  for (const auto& [k, c] : classes_) {
    if (!c.legacy_code.empty() && c.legacy_code == code) return &c;
  }
  return nullptr;
}

void ClassCatalog::add(EventClass c) {
  assert(!c.code.empty() && !c.department.empty());
  std::string code = c.code;
  classes_[code] = std::move(c);
}

void ClassCatalog::map_type(const std::string& edge_type, const std::string& class_code) {
  assert(find(class_code));
  types_[edge_type] = class_code;
}

const EventClass* ClassCatalog::find(const std::string& code) const {
  auto it = classes_.find(code);
  return it == classes_.end() ? nullptr : &it->second;
}

const EventClass* ClassCatalog::for_edge_type(const std::string& edge_type) const {
  auto it = types_.find(edge_type);
  return it == types_.end() ? nullptr : find(it->second);
}

Route ClassCatalog::route(const EventClass& c, const std::string& cell_code) const {
  Route r{c.department, c.limit};
  std::size_t best_dep = 0, best_lim = 0;
  for (const auto& a : c.areas) {
    if (cell_code.compare(0, a.cell_prefix.size(), a.cell_prefix) != 0) continue;
    if (a.department && a.cell_prefix.size() >= best_dep) {
      r.department = *a.department;
      best_dep = a.cell_prefix.size();
    }
    if (a.limit && a.cell_prefix.size() >= best_lim) {
      r.limit = *a.limit;
      best_lim = a.cell_prefix.size();
    }
  }
  return r;
}

}  // namespace gridsight::cases
