#pragma once
// What `gridsight-edge discover` shows: a table for people, JSON for scripts (docs/discovery.md
// lists the fields).

#include <cstdio>
#include <nlohmann/json_fwd.hpp>

#include "edge/discovery/scan.h"

namespace gridsight::edge::discovery {

nlohmann::json to_json(const ScanResult& result);
void print_table(std::FILE* out, const ScanResult& result);

}  // namespace gridsight::edge::discovery
