#pragma once
// Problems found while loading a grid file. Loading reports every problem, each naming the
// GeoJSON feature it concerns, and fails with all of them at once.

#include <stdexcept>
#include <string>
#include <vector>

namespace gridsight::grid {

enum class ProblemKind {
  kSyntax,            // not JSON / not a FeatureCollection / missing coordinate_system
  kBadFeature,        // missing or ill-typed properties, unknown geometry type
  kRingTooShort,      // fewer than 4 positions
  kRingNotClosed,     // first position != last position
  kSelfIntersection,  // bow-tie, crossing rings
  kInvalidGeometry,   // other invalidity (hole outside its shell, spikes, ...)
  kBadCode,           // not digits, or length does not match the level
  kDuplicateCode,
  kMissingParent,  // no cell with the parent's code
  kOutsideParent,  // child leaves its parent by more than the tolerance
  kOverlap,        // two siblings overlap by more than the tolerance
  kGap,            // siblings leave part of their parent uncovered beyond the tolerance
};
const char* to_string(ProblemKind kind);

struct GridProblem {
  std::string feature_id;
  ProblemKind kind;
  std::string message;
};

class GridLoadError : public std::runtime_error {
 public:
  GridLoadError(std::string source, std::vector<GridProblem> problems);
  const std::vector<GridProblem>& problems() const { return problems_; }
  bool has(ProblemKind kind, const std::string& feature_id = {}) const;

 private:
  std::vector<GridProblem> problems_;
};

}  // namespace gridsight::grid
