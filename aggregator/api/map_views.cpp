#include "aggregator/api/map_views.h"

#include <algorithm>
#include <map>

namespace gridsight::api {

nlohmann::json open_cases_by_cell(const std::vector<store::CellCount>& counts, std::size_t digits) {
  std::map<std::string, store::CellCount> rolled;
  std::int64_t open = 0;
  std::int64_t overdue = 0;
  for (const auto& c : counts) {
    const std::string code = c.cell_code.substr(0, std::min(digits, c.cell_code.size()));
    auto& r = rolled[code];
    r.cell_code = code;
    r.open += c.open;
    r.overdue += c.overdue;
    open += c.open;
    overdue += c.overdue;
  }
  std::vector<store::CellCount> cells;
  cells.reserve(rolled.size());
  for (auto& [code, c] : rolled) cells.push_back(std::move(c));
  std::stable_sort(cells.begin(), cells.end(), [](const auto& a, const auto& b) {
    return a.overdue != b.overdue ? a.overdue > b.overdue : a.open > b.open;
  });
  nlohmann::json out = nlohmann::json::array();
  for (const auto& c : cells) {
    out.push_back({{"code", c.cell_code}, {"open", c.open}, {"overdue", c.overdue}});
  }
  return {{"digits", digits}, {"open", open}, {"overdue", overdue}, {"cells", std::move(out)}};
}

}  // namespace gridsight::api
