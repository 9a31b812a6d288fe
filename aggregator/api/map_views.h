#pragma once
// The map's server-side aggregation (docs/api.md, "Map"): open and overdue cases per cell,
// rolled up to a level of the grid (district 6 digits, street 9, community 12, grid 15), so
// that a map of every open case needs one small answer at low zoom.

#include <cstddef>
#include <nlohmann/json.hpp>
#include <vector>

#include "aggregator/cases/case_store.h"

namespace gridsight::api {

// {"digits", "open", "overdue", "cells": [{"code", "open", "overdue"}]} — cells sorted by
// overdue, then open, descending; the totals are the sums over every cell.
nlohmann::json open_cases_by_cell(const std::vector<store::CellCount>& counts, std::size_t digits);

}  // namespace gridsight::api
