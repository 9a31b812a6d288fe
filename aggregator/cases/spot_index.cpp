#include "aggregator/cases/spot_index.h"

#include <algorithm>
#include <cmath>

#include "aggregator/grid/coords.h"

namespace gridsight::cases {
namespace {
constexpr double kBucketDeg = 0.0005;  // ~55 m north-south
std::int64_t bucket(double v) {
  return static_cast<std::int64_t>(std::floor(v / kBucketDeg));
}
void remove_id(std::vector<CaseId>& v, CaseId id) {
  std::erase(v, id);
}
}  // namespace

SpotIndex::Key SpotIndex::bucket_key(const std::string& class_code, std::int64_t bx,
                                     std::int64_t by) {
  return class_code + '|' + std::to_string(bx) + ',' + std::to_string(by);
}

void SpotIndex::unlink(const Entry& e) {
  if (!e.spot.empty()) {
    auto it = by_spot_.find(e.class_code + '|' + e.spot);
    if (it != by_spot_.end()) {
      remove_id(it->second, e.id);
      if (it->second.empty()) by_spot_.erase(it);
    }
  }
  if (e.lon && e.lat) {
    auto it = by_bucket_.find(bucket_key(e.class_code, bucket(*e.lon), bucket(*e.lat)));
    if (it != by_bucket_.end()) {
      remove_id(it->second, e.id);
      if (it->second.empty()) by_bucket_.erase(it);
    }
  }
}

void SpotIndex::upsert(const Case& c) {
  auto it = entries_.find(c.id);
  if (it != entries_.end()) {
    Entry& e = it->second;
    bool moved =
        e.spot != c.spot || e.lon != c.lon || e.lat != c.lat || e.class_code != c.class_code;
    if (!moved) {
      e.last_ms = c.last_report_ms;
      e.closed_ms = c.closed_ms;
      e.state = c.state;
      return;
    }
    unlink(e);
    entries_.erase(it);
  }
  Entry e{c.id, c.class_code, c.spot, c.lon, c.lat, c.last_report_ms, c.closed_ms, c.state};
  if (!e.spot.empty()) by_spot_[e.class_code + '|' + e.spot].push_back(e.id);
  if (e.lon && e.lat) {
    by_bucket_[bucket_key(e.class_code, bucket(*e.lon), bucket(*e.lat))].push_back(e.id);
  }
  entries_.emplace(e.id, std::move(e));
}

void SpotIndex::erase(CaseId id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  unlink(it->second);
  entries_.erase(it);
}

std::vector<const SpotIndex::Entry*> SpotIndex::matches(const std::string& class_code,
                                                        const std::string& spot,
                                                        std::optional<double> lon,
                                                        std::optional<double> lat,
                                                        double radius_m) const {
  std::vector<const Entry*> out;
  auto take = [&](CaseId id) {
    const Entry& e = entries_.at(id);
    if (std::find(out.begin(), out.end(), &e) == out.end()) out.push_back(&e);
  };
  if (!spot.empty()) {
    auto it = by_spot_.find(class_code + '|' + spot);
    if (it != by_spot_.end()) {
      for (CaseId id : it->second) take(id);
    }
  }
  if (lon && lat && radius_m > 0) {
    // Buckets are ~55 m tall and narrower than that east-west; search enough of them.
    double deg_lat = radius_m / 111'320.0;
    double deg_lon = deg_lat / std::max(0.1, std::cos(*lat * 3.14159265358979 / 180));
    for (std::int64_t bx = bucket(*lon - deg_lon); bx <= bucket(*lon + deg_lon); ++bx) {
      for (std::int64_t by = bucket(*lat - deg_lat); by <= bucket(*lat + deg_lat); ++by) {
        auto it = by_bucket_.find(bucket_key(class_code, bx, by));
        if (it == by_bucket_.end()) continue;
        for (CaseId id : it->second) {
          const Entry& e = entries_.at(id);
          if (grid::distance_m({*lon, *lat}, {*e.lon, *e.lat}) <= radius_m) take(id);
        }
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const Entry* a, const Entry* b) {
    return std::max(a->last_ms, a->closed_ms) > std::max(b->last_ms, b->closed_ms);
  });
  return out;
}

void SpotIndex::prune(std::int64_t before_ms) {
  std::vector<CaseId> old;
  for (const auto& [id, e] : entries_) {
    if (std::max(e.last_ms, e.closed_ms) < before_ms) old.push_back(id);
  }
  for (CaseId id : old) erase(id);
}

}  // namespace gridsight::cases
