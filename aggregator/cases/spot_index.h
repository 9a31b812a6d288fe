#pragma once
// Recent cases by class and watched spot, for merging repeated detections and linking
// recurrences. A case matches an incoming report of the same class when it has the same
// spot id or lies within the class's merge radius.

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "aggregator/cases/case.h"

namespace gridsight::cases {

class SpotIndex {
 public:
  struct Entry {
    CaseId id = 0;
    std::string class_code;
    std::string spot;
    std::optional<double> lon, lat;
    std::int64_t last_ms = 0;
    std::int64_t closed_ms = 0;
    State state = State::kReported;
  };

  void upsert(const Case& c);
  void erase(CaseId id);
  // Cases of `class_code` at `spot` or within `radius_m` of (lon, lat); most recent first.
  std::vector<const Entry*> matches(const std::string& class_code, const std::string& spot,
                                    std::optional<double> lon, std::optional<double> lat,
                                    double radius_m) const;
  // Forgets cases whose last activity is older than `before_ms`.
  void prune(std::int64_t before_ms);
  std::size_t size() const { return entries_.size(); }

 private:
  using Key = std::string;
  static Key bucket_key(const std::string& class_code, std::int64_t bx, std::int64_t by);
  void unlink(const Entry& e);

  std::unordered_map<CaseId, Entry> entries_;
  std::unordered_map<Key, std::vector<CaseId>> by_spot_;
  std::unordered_map<Key, std::vector<CaseId>> by_bucket_;
};

}  // namespace gridsight::cases
