// Messages per second from the connector to a platform (tests/support/fake_platform.py on a
// free loopback port): the connector's path (durable enqueue with a synchronous SQLite
// commit, then ordered delivery with idempotency keys) against a baseline of raw POSTs of
// the same bodies to the same server from one client, measured in the same run.
// `--smoke` runs a small version for CI.

#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "aggregator/dispatch/connector/connector.h"
#include "common/clock.h"
#include "common/config/section.h"
#include "common/http/client.h"
#include "common/metrics.h"

using namespace gridsight;
using Clk = std::chrono::steady_clock;

namespace {

double since(Clk::time_point t) {
  return std::chrono::duration<double>(Clk::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  const bool smoke = argc > 1 && std::strcmp(argv[1], "--smoke") == 0;
  spdlog::set_level(spdlog::level::warn);
  const int n = smoke ? 50 : 1000;
  auto dir = std::filesystem::temp_directory_path() /
             ("gridsight-connector-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto port_file = dir / "port";
  pid_t server = ::fork();
  if (server == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::execl(GRIDSIGHT_PYTHON3, GRIDSIGHT_PYTHON3, GRIDSIGHT_FAKE_PLATFORM, port_file.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  for (int i = 0; i < 1000 && !std::filesystem::exists(port_file); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  int port = 0;
  std::ifstream(port_file) >> port;
  if (!port) {
    std::fprintf(stderr, "the stand-in platform did not start\n");
    return 1;
  }
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  int rc = 0;
  {
    // Baseline: raw POSTs, one connection each (as the connector does), unique keys.
    http::Client client;
    const std::string body =
        R"({"title":"06010 @ A grid 1","ref":"gridsight-1","location":{"lon":116.4,"lat":39.9}})";
    auto t0 = Clk::now();
    for (int i = 0; i < n; ++i) {
      auto r = client.post_json(
          base + "/cases", body,
          {{"Idempotency-Key", "gridsight-" + std::to_string(1'000'000 + i) + "-1"}});
      if (!r.ok() || r.response->status != 201) {
        std::fprintf(stderr, "baseline POST failed: %s\n", r.ok() ? "status" : r.error.c_str());
        rc = 1;
        break;
      }
    }
    const double raw = since(t0);

    auto s = config::load_string("enabled: true\nendpoint: " + base + "/cases\nupdate_endpoint: " +
                                     base + "/cases/{case_id}/updates\n",
                                 "bench.yaml");
    auto cfg = connector::ConnectorConfig::read(s);
    Metrics metrics;
    connector::Connector c(cfg, (dir / "connector.db").string(), {}, SystemClock::instance(),
                           metrics);
    // Enqueue alone (the engine's side: one committed SQLite transaction per output).
    auto t1 = Clk::now();
    for (int i = 1; i <= n; ++i) {
      cases::CaseOutput o;
      o.case_id = i;
      o.class_code = "06010";
      o.cell_code = "110105001001001";
      o.state = cases::State::kDispatched;
      c.publish(o);
    }
    const double enqueue = since(t1);
    auto t2 = Clk::now();
    c.start();
    while (c.stats().depth > 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    const double deliver = since(t2);
    c.stop();
    std::printf("connector bench: %d messages to a loopback HTTP platform (Python stand-in)\n", n);
    std::printf("  baseline raw POSTs        %8.0f msg/s  (%.3f s)\n", n / raw, raw);
    std::printf("  connector delivery        %8.0f msg/s  (%.3f s, %.0f%% of baseline)\n",
                n / deliver, deliver, 100.0 * raw / deliver);
    std::printf("  connector enqueue only    %8.0f msg/s  (%.3f s, durable commit each)\n",
                n / enqueue, enqueue);
    if (metrics.value("gridsight_connector_sent_total") != n) {
      std::fprintf(stderr, "not every message was delivered\n");
      rc = 1;
    }
  }
  ::kill(server, SIGKILL);
  ::waitpid(server, nullptr, 0);
  std::filesystem::remove_all(dir);
  return rc;
}
