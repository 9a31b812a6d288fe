#pragma once
// `gridsight-edge discover`: finds ONVIF cameras (WS-Discovery), reads their profiles and
// stream URIs, prints them (table or --json) and can add them to the configuration
// (--write-config). See docs/discovery.md.

#include <string>
#include <vector>

#include "edge/discovery/scan.h"

namespace CLI {
class App;
}

namespace gridsight::edge::discovery {

struct DiscoverOptions {
  ScanOptions scan;
  std::vector<std::string> unicast;  // --target
  bool no_multicast = false;
  std::string password_file;
  bool json = false;
  std::string write_config;
  std::vector<std::string> select;  // camera ids to write; empty: every camera read fully
  bool no_url_credentials = false;
};

// Registers the subcommand; `options` is filled when the command line is parsed.
CLI::App* add_discover_command(CLI::App& app, DiscoverOptions& options);

// Runs it. Exit codes: 0 at least one camera read fully (and the config written when asked),
// 1 none found or none readable, 2 bad arguments or the configuration was refused.
int run_discover(DiscoverOptions options);

}  // namespace gridsight::edge::discovery
