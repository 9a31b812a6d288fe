#pragma once
// A real SQLite event store in a fresh temporary folder, for aggregator unit tests.
#include <unistd.h>

#include <filesystem>

#include "aggregator/store/sqlite/sqlite_event_store.h"

namespace gridsight::aggregator::testing {

inline std::filesystem::path fresh_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("gridsight-agg-" + std::to_string(::getpid()) + "-" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace gridsight::aggregator::testing
