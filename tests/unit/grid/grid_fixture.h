#pragma once
// A small test district built in code: local units of 0.001 degree from (116.40, 39.90).
//
//   y=40 +-----------------------+-----------------------+
//        | A grid 002            | B grid 002            |
//        |                       |   [school 901]        |
//   y=20 +-----------------------+-----------------------+
//        | A grid 001            | B grid 001            |
//        | [fine 001]  | (enclave of A grid 002 = hole of B grid 001)
//   y=0  +-----------------------+-----------------------+
//        x=0                    x=20                    x=40

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "aggregator/grid/coords.h"

namespace gridsight::grid::testing {

using Ring = std::vector<std::pair<double, double>>;  // local units

inline LonLat at(double x, double y) {
  return {116.40 + x * 0.001, 39.90 + y * 0.001};
}

inline Ring rect(double x0, double y0, double x1, double y1) {
  return {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}};
}

inline nlohmann::json ring_json(const Ring& r, bool to_gcj = false) {
  nlohmann::json a = nlohmann::json::array();
  for (auto [x, y] : r) {
    LonLat p = at(x, y);
    if (to_gcj) p = wgs84_to_gcj02(p);
    a.push_back({p.lon, p.lat});
  }
  return a;
}

struct Feat {
  std::string id, code, name;
  std::vector<std::vector<Ring>> polygons;  // each: exterior then holes
  bool dedicated = false;
};

inline nlohmann::json feature_json(const Feat& f, bool to_gcj = false) {
  nlohmann::json geom;
  auto poly = [&](const std::vector<Ring>& rings) {
    nlohmann::json p = nlohmann::json::array();
    for (const auto& r : rings) p.push_back(ring_json(r, to_gcj));
    return p;
  };
  if (f.polygons.size() == 1) {
    geom = {{"type", "Polygon"}, {"coordinates", poly(f.polygons[0])}};
  } else {
    nlohmann::json mp = nlohmann::json::array();
    for (const auto& p : f.polygons) mp.push_back(poly(p));
    geom = {{"type", "MultiPolygon"}, {"coordinates", mp}};
  }
  nlohmann::json props = {{"code", f.code}, {"name", f.name}};
  if (f.dedicated) props["dedicated"] = true;
  return {{"type", "Feature"}, {"id", f.id}, {"properties", props}, {"geometry", geom}};
}

inline std::vector<Feat> district_features() {
  return {
      {"d", "110105", "District", {{rect(0, 0, 40, 40)}}},
      {"s1", "110105001", "Street 1", {{rect(0, 0, 40, 40)}}},
      {"cA", "110105001001", "Community A", {{rect(0, 0, 20, 40)}, {rect(25, 10, 30, 15)}}},
      {"cB", "110105001002", "Community B", {{rect(20, 0, 40, 40), rect(25, 10, 30, 15)}}},
      {"gA1", "110105001001001", "A grid 1", {{rect(0, 0, 20, 20)}}},
      {"gA2", "110105001001002", "A grid 2", {{rect(0, 20, 20, 40)}, {rect(25, 10, 30, 15)}}},
      {"gB1", "110105001002001", "B grid 1", {{rect(20, 0, 40, 20), rect(25, 10, 30, 15)}}},
      {"gB2", "110105001002002", "B grid 2", {{rect(20, 20, 40, 40)}}},
      {"school", "110105001002901", "No. 3 Primary School", {{rect(32, 22, 38, 28)}}, true},
      {"fA1", "110105001001001001", "Building group 1", {{rect(0, 0, 10, 10)}}},
  };
}

inline std::string collection(const std::vector<Feat>& feats, const std::string& crs = "WGS84") {
  nlohmann::json fc = {{"type", "FeatureCollection"}, {"coordinate_system", crs}};
  fc["features"] = nlohmann::json::array();
  for (const auto& f : feats) fc["features"].push_back(feature_json(f, crs == "GCJ02"));
  return fc.dump();
}

}  // namespace gridsight::grid::testing
