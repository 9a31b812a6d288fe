#pragma once
// Event classes as data: national codes of both generations plus local classes, with the
// department that owns each class (optionally per area) and its time limit.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gridsight::cases {

class WorkingCalendar;

enum class Generation { kGb2026, kCj2007, kLocal };
const char* to_string(Generation g);

struct TimeLimit {
  enum class Unit { kWorkingHours, kWorkingDays };
  std::int64_t amount = 1;
  Unit unit = Unit::kWorkingDays;
  // Working minutes on `calendar` (a working day is the calendar's working minutes per day).
  std::int64_t minutes(const WorkingCalendar& calendar) const;
  std::string str() const;  // "4 working hours"
  bool operator==(const TimeLimit&) const = default;
};

// A different department or limit for the cells under `cell_prefix`.
struct AreaRule {
  std::string cell_prefix;
  std::optional<std::string> department;
  std::optional<TimeLimit> limit;
};

struct EventClass {
  std::string code;     // "09009" (GB/T 47678.5-2026), "5-05" (CJ/T 214-2007) or local
  std::string name;     // 机动车乱停放
  std::string english;  // illegal car parking
  Generation generation = Generation::kGb2026;
  std::string legacy_code;  // the other generation's code, when one exists
  std::string department;
  TimeLimit limit;
  std::int64_t merge_window_ms = 10 * 60'000;
  double merge_radius_m = 15;
  std::int64_t recurrence_window_ms = 7LL * 86'400'000;  // a repeat after closing links back
  std::int64_t self_correction_ms = 0;                   // 0: none
  bool review = true;                                    // operator confirms before filing
  bool auto_dispatch = true;  // filed cases go to the routed department at once
  // When the reporting camera says the incident ended (it no longer sees it): kSuggest only
  // records it and suggests verification; kVerify verifies a resolved case by itself (and a
  // case resolved later, once its departments report back). A supervisor still closes it.
  enum class CameraEnd { kSuggest, kVerify };
  CameraEnd camera_end = CameraEnd::kSuggest;
  std::vector<AreaRule> areas;
};

// Who handles a class in a cell, and how long they have.
struct Route {
  std::string department;
  TimeLimit limit;
};

}  // namespace gridsight::cases
