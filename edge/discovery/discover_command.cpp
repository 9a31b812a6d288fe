#include "edge/discovery/discover_command.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/config/section.h"
#include "edge/discovery/config_writer.h"
#include "edge/discovery/report.h"

namespace gridsight::edge::discovery {

CLI::App* add_discover_command(CLI::App& app, DiscoverOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "discover", "Find ONVIF cameras on the network, show their streams, add them to the config");
  cmd->add_option("-i,--interface", o.scan.probe.interface,
                  "Interface (name or IPv4 address) that sends the multicast probe");
  cmd->add_option("--target", o.unicast,
                  "Also probe this address by unicast, HOST[:PORT] (another subnet); repeatable");
  cmd->add_flag("--no-multicast", o.no_multicast, "Probe only the --target addresses");
  cmd->add_option("--device", o.scan.device_urls,
                  "Read this device service URL without a probe "
                  "(http://HOST/onvif/device_service); repeatable");
  cmd->add_option("--wait", o.scan.probe.wait_ms, "How long to collect answers, in milliseconds")
      ->check(CLI::Range(100, 60'000));
  cmd->add_option("--timeout", o.scan.call_timeout_ms,
                  "Timeout of each call to a camera, in milliseconds")
      ->check(CLI::Range(100, 120'000));
  cmd->add_option("-u,--user", o.scan.credentials.user, "Camera user (ONVIF and RTSP)");
  cmd->add_option("-p,--password", o.scan.credentials.password, "Camera password");
  cmd->add_option("--password-file", o.password_file,
                  "Read the camera password from this file (first line)");
  cmd->add_flag("--json", o.json, "Print JSON instead of a table");
  cmd->add_option("--write-config", o.write_config,
                  "Add the cameras found to this (provisioned) edge configuration file");
  cmd->add_option("--select", o.select,
                  "With --write-config: only these camera ids (as printed); repeatable");
  cmd->add_flag("--no-url-credentials", o.no_url_credentials,
                "With --write-config: do not put the user and password into the RTSP URLs");
  return cmd;
}

int run_discover(DiscoverOptions o) {
  if (!o.password_file.empty()) {
    std::ifstream in(o.password_file);
    if (!in || !std::getline(in, o.scan.credentials.password)) {
      std::fprintf(stderr, "discover: cannot read the password file %s\n", o.password_file.c_str());
      return 2;
    }
  }
  o.scan.probe.targets = o.unicast;
  o.scan.probe.multicast = !o.no_multicast;
  o.scan.use_ws_discovery = o.scan.probe.multicast || !o.scan.probe.targets.empty();

  const ScanResult result = scan(o.scan);
  if (o.json) {
    std::printf("%s\n", to_json(result).dump(2).c_str());
  } else {
    print_table(stdout, result);
  }
  std::fflush(stdout);
  const auto readable = std::count_if(result.cameras.begin(), result.cameras.end(),
                                      [](const FoundCamera& c) { return c.device.ok(); });

  if (!o.write_config.empty()) {
    std::vector<CameraEntry> entries;
    for (const auto& id : o.select) {
      const bool known = std::any_of(result.cameras.begin(), result.cameras.end(),
                                     [&](const FoundCamera& c) { return c.id == id; });
      if (!known) {
        std::fprintf(stderr, "discover: --select %s: no such camera was found\n", id.c_str());
        return 2;
      }
    }
    for (const auto& c : result.cameras) {
      if (!o.select.empty() && std::find(o.select.begin(), o.select.end(), c.id) == o.select.end())
        continue;
      const StreamProfile* main = c.device.main_stream();
      if (!c.device.ok() || !main) {
        if (!o.select.empty()) {
          std::fprintf(stderr, "discover: %s: %s\n", c.id.c_str(),
                       c.device.ok() ? "no stream URI" : c.device.error.c_str());
          return 2;
        }
        continue;  // not readable: shown above, not written
      }
      const auto& cred = o.scan.credentials;
      auto url = [&](const std::string& u) {
        return o.no_url_credentials ? u : with_credentials(u, cred.user, cred.password);
      };
      const StreamProfile* sub = c.device.sub_stream();
      entries.push_back({c.id, c.name, url(main->uri), sub ? url(sub->uri) : ""});
    }
    if (entries.empty()) {
      std::fprintf(stderr, "discover: no camera to write to %s\n", o.write_config.c_str());
      return 1;
    }
    try {
      const WriteResult w = add_cameras(o.write_config, entries);
      // To stderr: stdout stays the table or the JSON document.
      for (const auto& id : w.added)
        std::fprintf(stderr, "discover: camera %s added to %s\n", id.c_str(),
                     o.write_config.c_str());
      for (const auto& id : w.updated)
        std::fprintf(stderr, "discover: camera %s updated in %s\n", id.c_str(),
                     o.write_config.c_str());
    } catch (const config::Error& e) {
      std::fprintf(stderr, "discover: configuration refused, nothing written: %s\n", e.what());
      return 2;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "discover: %s\n", e.what());
      return 2;
    }
  }
  return readable > 0 ? 0 : 1;
}

}  // namespace gridsight::edge::discovery
