// GeoJSON -> validated grid model. Every problem is collected with its feature id; the load
// fails with all of them at once.

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "aggregator/grid/geometry.h"
#include "aggregator/grid/grid_impl.h"

namespace gridsight::grid {

double geo::m2_per_deg2(double lat) {
  constexpr double kMetresPerDegree = 111319.49;
  return kMetresPerDegree * kMetresPerDegree * std::cos(lat * 3.14159265358979323846 / 180.0);
}

const char* to_string(ProblemKind kind) {
  switch (kind) {
    case ProblemKind::kSyntax:
      return "syntax";
    case ProblemKind::kBadFeature:
      return "bad_feature";
    case ProblemKind::kRingTooShort:
      return "ring_too_short";
    case ProblemKind::kRingNotClosed:
      return "ring_not_closed";
    case ProblemKind::kSelfIntersection:
      return "self_intersection";
    case ProblemKind::kInvalidGeometry:
      return "invalid_geometry";
    case ProblemKind::kBadCode:
      return "bad_code";
    case ProblemKind::kDuplicateCode:
      return "duplicate_code";
    case ProblemKind::kMissingParent:
      return "missing_parent";
    case ProblemKind::kOutsideParent:
      return "outside_parent";
    case ProblemKind::kOverlap:
      return "overlap";
    case ProblemKind::kGap:
      return "gap";
  }
  return "?";
}

namespace {
std::string describe(const std::string& source, const std::vector<GridProblem>& problems) {
  std::ostringstream os;
  os << source << ": " << problems.size() << " problem(s) in the grid file";
  for (const auto& p : problems) {
    os << "\n  feature " << (p.feature_id.empty() ? "-" : p.feature_id) << ": " << to_string(p.kind)
       << ": " << p.message;
  }
  return os.str();
}
}  // namespace

GridLoadError::GridLoadError(std::string source, std::vector<GridProblem> problems)
    : std::runtime_error(describe(source, problems)), problems_(std::move(problems)) {}

bool GridLoadError::has(ProblemKind kind, const std::string& feature_id) const {
  return std::any_of(problems_.begin(), problems_.end(), [&](const GridProblem& p) {
    return p.kind == kind && (feature_id.empty() || p.feature_id == feature_id);
  });
}

namespace {

using nlohmann::json;

// "district", "street", "community", "base_grid", "fine1", "fine2" (as to_string(Level), the
// names GET /api/v1/grid/cells gives) → the level's number.
std::optional<int> level_from_name(const std::string& name) {
  for (int l = 1; l <= kMaxLevel; ++l) {
    if (name == to_string(static_cast<Level>(l))) return l;
  }
  return std::nullopt;
}

struct Feature {
  Cell cell;
  geo::MultiPolygon shape;
  geo::Box box;
  double area_deg2 = 0;
  bool shape_ok = false;
  bool code_ok = false;
};

std::string fmt_m2(double v) {
  std::ostringstream os;
  os.precision(1);
  os << std::fixed << v << " m2";
  return os.str();
}

class Loader {
 public:
  Loader(const GridOptions& options, std::string source)
      : options_(options), source_(std::move(source)) {}

  std::unique_ptr<GridModel::Impl> run(std::string_view text) {
    json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) fatal("not valid JSON");
    if (!doc.is_object() || doc.value("type", "") != "FeatureCollection") {
      fatal("the top level must be a GeoJSON FeatureCollection");
    }
    auto crs_it = doc.find("coordinate_system");
    if (crs_it == doc.end() || !crs_it->is_string()) {
      fatal("\"coordinate_system\" (WGS84, GCJ02 or CGCS2000) is required at the top level");
    }
    auto crs = protocol::crs_from_string(crs_it->get<std::string>());
    if (!crs) fatal("coordinate_system must be WGS84, GCJ02 or CGCS2000");
    crs_ = *crs;
    auto feats = doc.find("features");
    if (feats == doc.end() || !feats->is_array()) fatal("\"features\" must be an array");
    for (std::size_t i = 0; i < feats->size(); ++i) read_feature((*feats)[i], i);
    check_codes();
    check_geometry_relations();
    if (!problems_.empty()) throw GridLoadError(source_, std::move(problems_));
    return build();
  }

 private:
  [[noreturn]] void fatal(const std::string& msg) {
    throw GridLoadError(source_, {{"", ProblemKind::kSyntax, msg}});
  }
  void problem(const std::string& id, ProblemKind kind, std::string msg) {
    problems_.push_back({id, kind, std::move(msg)});
  }

  static std::string feature_id(const json& f, std::size_t index) {
    if (f.is_object()) {
      auto it = f.find("id");
      if (it != f.end() && it->is_string()) return it->get<std::string>();
      if (it != f.end() && it->is_number_integer()) return std::to_string(it->get<long long>());
    }
    return "#" + std::to_string(index);
  }

  void read_feature(const json& f, std::size_t index) {
    Feature ft;
    std::string id = feature_id(f, index);
    ft.cell.feature_id = id;
    if (!f.is_object() || f.value("type", "") != "Feature") {
      return problem(id, ProblemKind::kBadFeature, "not a GeoJSON Feature");
    }
    auto props = f.find("properties");
    if (props == f.end() || !props->is_object()) {
      return problem(id, ProblemKind::kBadFeature, "properties missing");
    }
    auto code = props->find("code");
    auto name = props->find("name");
    if (code == props->end() || !code->is_string()) {
      return problem(id, ProblemKind::kBadFeature, "properties.code must be a string of digits");
    }
    if (name == props->end() || !name->is_string()) {
      return problem(id, ProblemKind::kBadFeature, "properties.name must be a string");
    }
    ft.cell.code = code->get<std::string>();
    ft.cell.name = name->get<std::string>();
    auto ded = props->find("dedicated");
    if (ded != props->end()) {
      if (!ded->is_boolean()) {
        return problem(id, ProblemKind::kBadFeature, "properties.dedicated must be true or false");
      }
      ft.cell.dedicated = ded->get<bool>();
    }
    std::optional<int> level;
    auto lv = props->find("level");
    if (lv != props->end()) {
      // A number 1..6 or the level's name as the API gives it ("district", "street", ...).
      if (lv->is_number_integer() && lv->get<int>() >= 1 && lv->get<int>() <= kMaxLevel) {
        level = lv->get<int>();
      } else if (auto named =
                     lv->is_string() ? level_from_name(lv->get<std::string>()) : std::nullopt) {
        level = *named;
      } else {
        return problem(id, ProblemKind::kBadFeature,
                       "properties.level must be 1..6 or district, street, community, "
                       "base_grid, fine1, fine2");
      }
    }
    ft.code_ok = check_code_form(ft, level);
    ft.shape_ok = read_geometry(f, id, ft.shape);
    if (ft.shape_ok) ft.shape_ok = check_shape(id, ft.shape);
    if (ft.shape_ok) {
      ft.box = geo::envelope(ft.shape);
      double lat = (ft.box.min_corner().y() + ft.box.max_corner().y()) / 2;
      ft.area_deg2 = geo::bg::area(ft.shape);
      ft.cell.area_m2 = ft.area_deg2 * geo::m2_per_deg2(lat);
    }
    features_.push_back(std::move(ft));
  }

  bool check_code_form(Feature& ft, std::optional<int> level) {
    const std::string& c = ft.cell.code;
    const std::string& id = ft.cell.feature_id;
    bool digits = !c.empty() &&
                  std::all_of(c.begin(), c.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
    if (!digits) {
      problem(id, ProblemKind::kBadCode, "code \"" + c + "\" must be digits only");
      return false;
    }
    int inferred = 0;
    for (int l = 1; l <= kMaxLevel; ++l) {
      if (c.size() == code_length(static_cast<Level>(l))) inferred = l;
    }
    if (inferred == 0) {
      problem(id, ProblemKind::kBadCode,
              "code \"" + c + "\" has " + std::to_string(c.size()) +
                  " digits; expected 6, 9, 12, 15, 18 or 21 (district .. sixth level)");
      return false;
    }
    if (level && *level != inferred) {
      problem(id, ProblemKind::kBadCode,
              "code \"" + c + "\" has the length of level " + std::to_string(inferred) +
                  " but level is " + std::to_string(*level));
      return false;
    }
    if (c.substr(c.size() - 3) == "000" && inferred > 1) {
      problem(id, ProblemKind::kBadCode,
              "code \"" + c + "\": the last three digits must not be 000");
      return false;
    }
    ft.cell.level = static_cast<Level>(inferred);
    if (ft.cell.dedicated && inferred < static_cast<int>(Level::kBaseGrid)) {
      problem(id, ProblemKind::kBadCode, "a dedicated grid needs a base-grid or finer code");
      return false;
    }
    if (inferred > 1) ft.cell.parent_code = c.substr(0, c.size() - 3);
    return true;
  }

  bool read_ring(const json& coords, const std::string& id, const std::string& what,
                 geo::Polygon::ring_type& ring) {
    if (!coords.is_array()) {
      problem(id, ProblemKind::kBadFeature, what + " must be an array of positions");
      return false;
    }
    for (const auto& pos : coords) {
      if (!pos.is_array() || pos.size() < 2 || !pos[0].is_number() || !pos[1].is_number()) {
        problem(id, ProblemKind::kBadFeature, what + ": a position must be [lon, lat]");
        return false;
      }
    }
    if (coords.size() < 4) {
      problem(
          id, ProblemKind::kRingTooShort,
          what + " has " + std::to_string(coords.size()) + " positions; a ring needs 4 or more");
      return false;
    }
    const json& first = coords.front();
    const json& last = coords.back();
    if (first[0].get<double>() != last[0].get<double>() ||
        first[1].get<double>() != last[1].get<double>()) {
      problem(id, ProblemKind::kRingNotClosed, what + " is not closed (first position != last)");
      return false;
    }
    for (const auto& pos : coords) {
      LonLat p = to_internal({pos[0].get<double>(), pos[1].get<double>()}, crs_);
      ring.emplace_back(p.lon, p.lat);
    }
    return true;
  }

  bool read_polygon(const json& rings, const std::string& id, const std::string& what,
                    geo::Polygon& poly) {
    if (!rings.is_array() || rings.empty()) {
      problem(id, ProblemKind::kBadFeature, what + " must be a non-empty array of rings");
      return false;
    }
    bool ok = read_ring(rings[0], id, what + " exterior ring", poly.outer());
    for (std::size_t i = 1; i < rings.size(); ++i) {
      poly.inners().emplace_back();
      ok = read_ring(rings[i], id, what + " hole " + std::to_string(i), poly.inners().back()) && ok;
    }
    return ok;
  }

  bool read_geometry(const json& f, const std::string& id, geo::MultiPolygon& out) {
    auto g = f.find("geometry");
    if (g == f.end() || !g->is_object()) {
      problem(id, ProblemKind::kBadFeature, "geometry missing");
      return false;
    }
    std::string type = g->value("type", "");
    auto coords = g->find("coordinates");
    if (coords == g->end()) {
      problem(id, ProblemKind::kBadFeature, "geometry.coordinates missing");
      return false;
    }
    if (type == "Polygon") {
      out.emplace_back();
      return read_polygon(*coords, id, "polygon", out.back());
    }
    if (type == "MultiPolygon") {
      if (!coords->is_array() || coords->empty()) {
        problem(id, ProblemKind::kBadFeature, "MultiPolygon needs at least one polygon");
        return false;
      }
      bool ok = true;
      for (std::size_t i = 0; i < coords->size(); ++i) {
        out.emplace_back();
        ok = read_polygon((*coords)[i], id, "polygon " + std::to_string(i), out.back()) && ok;
      }
      return ok;
    }
    problem(id, ProblemKind::kBadFeature,
            "geometry type \"" + type + "\" is not supported (Polygon or MultiPolygon)");
    return false;
  }

  bool check_shape(const std::string& id, geo::MultiPolygon& shape) {
    geo::bg::correct(shape);  // orientation only: rings are known to be closed
    geo::bg::validity_failure_type failure;
    if (geo::bg::is_valid(shape, failure)) return true;
    std::string msg;
    geo::bg::is_valid(shape, msg);
    if (failure == geo::bg::failure_self_intersections) {
      problem(id, ProblemKind::kSelfIntersection, "rings self-intersect (" + msg + ")");
    } else {
      problem(id, ProblemKind::kInvalidGeometry, msg);
    }
    return false;
  }

  void check_codes() {
    int min_level = kMaxLevel + 1;
    for (auto& f : features_) {
      if (!f.code_ok) continue;
      auto [it, fresh] = index_.emplace(f.cell.code, &f);
      if (!fresh) {
        problem(
            f.cell.feature_id, ProblemKind::kDuplicateCode,
            "code " + f.cell.code + " is already used by feature " + it->second->cell.feature_id);
        f.code_ok = false;
        continue;
      }
      min_level = std::min(min_level, static_cast<int>(f.cell.level));
    }
    for (auto& f : features_) {
      if (!f.code_ok || f.cell.parent_code.empty()) continue;
      if (index_.count(f.cell.parent_code) == 0 && static_cast<int>(f.cell.level) > min_level) {
        problem(f.cell.feature_id, ProblemKind::kMissingParent,
                "no cell has the parent code " + f.cell.parent_code + " of " + f.cell.code);
        f.code_ok = false;
      }
    }
  }

  double area_m2(const geo::MultiPolygon& mp, const geo::Box& box) const {
    double lat = (box.min_corner().y() + box.max_corner().y()) / 2;
    return geo::bg::area(mp) * geo::m2_per_deg2(lat);
  }

  static double area_m2_at(double deg2, const geo::Box& box) {
    return deg2 * geo::m2_per_deg2((box.min_corner().y() + box.max_corner().y()) / 2);
  }

  void check_geometry_relations() {
    const double tol = options_.sliver_tolerance_m2;
    // Children grouped by parent code: containment, sibling overlaps, gaps.
    std::map<std::string, std::vector<Feature*>> kids;
    for (auto& f : features_) {
      if (f.code_ok && f.shape_ok) kids[f.cell.parent_code].push_back(&f);
    }
    for (auto& [parent_code, list] : kids) {
      auto pit = index_.find(parent_code);
      Feature* parent = pit == index_.end() ? nullptr : pit->second;
      if (parent && !parent->shape_ok) parent = nullptr;
      // Areas are summed in square degrees and converted once at the parent's latitude, so
      // the sums of a tiling cancel exactly.
      double covered_deg2 = 0;
      bool tiling = true;
      for (Feature* c : list) {
        double outside = 0;
        double outside_deg2 = 0;
        if (parent) {
          geo::MultiPolygon diff;
          if (!geo::bg::covered_by(c->shape, parent->shape)) {
            geo::bg::difference(c->shape, parent->shape, diff);
            outside_deg2 = geo::bg::area(diff);
            outside = area_m2(diff, c->box);
          }
          if (outside > tol) {
            problem(c->cell.feature_id, ProblemKind::kOutsideParent,
                    fmt_m2(outside) + " of " + c->cell.code + " lie outside its parent " +
                        parent_code + " (feature " + parent->cell.feature_id + ")");
            tiling = false;
          }
        }
        if (!c->cell.dedicated) covered_deg2 += c->area_deg2 - outside_deg2;
      }
      // Ordinary siblings must not overlap (dedicated grids may overlap anything).
      std::vector<Feature*> ordinary;
      for (Feature* c : list) {
        if (!c->cell.dedicated) ordinary.push_back(c);
      }
      std::sort(ordinary.begin(), ordinary.end(), [](const Feature* a, const Feature* b) {
        return a->box.min_corner().x() < b->box.min_corner().x();
      });
      for (std::size_t i = 0; i < ordinary.size(); ++i) {
        for (std::size_t j = i + 1; j < ordinary.size(); ++j) {
          Feature* a = ordinary[i];
          Feature* b = ordinary[j];
          if (b->box.min_corner().x() > a->box.max_corner().x()) break;
          if (!geo::bg::intersects(a->box, b->box)) continue;
          geo::MultiPolygon inter;
          geo::bg::intersection(a->shape, b->shape, inter);
          double overlap = area_m2(inter, a->box);
          if (overlap > tol) {
            problem(b->cell.feature_id, ProblemKind::kOverlap,
                    b->cell.code + " overlaps " + a->cell.code + " (feature " + a->cell.feature_id +
                        ") by " + fmt_m2(overlap));
            tiling = false;
          }
          covered_deg2 -= geo::bg::area(inter);
        }
      }
      // Streets, communities and base grids tile their parent; finer levels need not.
      bool tiles = parent && !ordinary.empty() && ordinary.front()->cell.level <= Level::kBaseGrid;
      if (tiles && tiling) {
        double gap = area_m2_at(parent->area_deg2 - covered_deg2, parent->box);
        if (gap > tol) {
          problem(parent->cell.feature_id, ProblemKind::kGap,
                  fmt_m2(gap) + " of " + parent_code + " are covered by none of its " +
                      std::to_string(ordinary.size()) + " children");
        }
      }
    }
  }

  std::unique_ptr<GridModel::Impl> build() {
    auto impl = std::make_unique<GridModel::Impl>();
    std::vector<Feature*> sorted;
    for (auto& f : features_) sorted.push_back(&f);
    std::sort(sorted.begin(), sorted.end(),
              [](const Feature* a, const Feature* b) { return a->cell.code < b->cell.code; });
    for (Feature* f : sorted) {
      auto idx = static_cast<std::uint32_t>(impl->cells.size());
      impl->by_code.emplace(f->cell.code, idx);
      if (f->cell.level >= Level::kBaseGrid) {
        impl->fine.add(idx, f->shape);
      } else {
        impl->upper.add(idx, f->shape);
      }
      impl->cells.push_back(std::move(f->cell));
    }
    impl->fine.build();
    impl->upper.build();
    return impl;
  }

  GridOptions options_;
  std::string source_;
  protocol::Crs crs_ = protocol::Crs::kWgs84;
  std::vector<Feature> features_;
  std::map<std::string, Feature*> index_;
  std::vector<GridProblem> problems_;
};

}  // namespace

std::unique_ptr<GridModel::Impl> load_grid(std::string_view text, const GridOptions& options,
                                           const std::string& source) {
  return Loader(options, source).run(text);
}

}  // namespace gridsight::grid
