// Stall detection latency of the capture path (docs/capture.md, "Figures"): a real RTSP
// server (tests/support/rtsp_server.c) streams over TCP through a loopback relay
// (tests/support/tcp_relay.h) that, once the camera streams, stops forwarding while keeping
// both connections open. Prints, per configured stall_timeout (the baseline), the time from the
// relay's last forwarded byte to the camera's `stalled` state, and the excess over the timeout
// (target: at most 500 ms).
//
//   gridsight_stall_bench [--file h264_b.mp4] [--timeouts 2000,3000] [--rounds 3]
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "edge/capture/supervisor.h"
#include "tests/support/tcp_relay.h"
#include "tests/support/test_support.h"

int main(int argc, char** argv) {
  using namespace gridsight;
  std::string file = std::string(GRIDSIGHT_TEST_MEDIA_DIR) + "/h264_b.mp4";
  std::vector<std::int64_t> timeouts{2000, 3000};
  int rounds = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--file") {
      file = v;
    } else if (k == "--timeouts") {
      timeouts.clear();
      std::stringstream ss(v);
      for (std::string t; std::getline(ss, t, ',');) timeouts.push_back(std::atoll(t.c_str()));
    } else if (k == "--rounds") {
      rounds = std::max(1, std::atoi(v.c_str()));
    } else {
      std::fprintf(stderr, "usage: %s [--file h264_b.mp4] [--timeouts 2000,3000] [--rounds 3]\n",
                   argv[0]);
      return 2;
    }
  }
  spdlog::set_level(spdlog::level::err);  // the figures only, on stdout
  test::RtspServer server(file);
  test::TcpRelay relay(server.port());
  std::mutex mu;
  std::int64_t stalled_at = 0;
  capture::Supervisor sup(SystemClock::instance(), [&](const std::string&, capture::CameraState s) {
    std::lock_guard lock(mu);
    if (s == capture::CameraState::kStalled && stalled_at == 0) {
      stalled_at = test::TcpRelay::now_ms();
    }
  });
  const auto limit = std::chrono::seconds(60);
  int failures = 0;
  std::printf("stall detection latency (RTSP over TCP, relay silent, connection kept open)\n");
  for (std::int64_t timeout_ms : timeouts) {
    std::int64_t worst = 0;
    std::printf("stall_timeout %lld ms:", static_cast<long long>(timeout_ms));
    for (int r = 0; r < rounds; ++r) {
      {
        std::lock_guard lock(mu);
        stalled_at = 0;
      }
      capture::CameraConfig c;
      c.id = "cam";
      c.url = "rtsp://127.0.0.1:" + std::to_string(relay.port()) + "/stream";
      c.open_timeout_ms = 2000;
      c.stall_timeout_ms = timeout_ms;
      auto q = sup.add(c);
      bool streaming = test::wait_until(
          [&] {
            q->pop(std::chrono::milliseconds(10));
            auto h = sup.health("cam");
            return h && h->analysed >= 3;
          },
          limit);
      std::int64_t frozen_at = relay.freeze();
      bool stalled = streaming && test::wait_until(
                                      [&] {
                                        std::lock_guard lock(mu);
                                        return stalled_at != 0;
                                      },
                                      limit);
      sup.remove("cam");
      relay.thaw();
      if (!stalled) {
        std::printf(" (no stall reported)");
        ++failures;
        continue;
      }
      std::int64_t took = 0;
      {
        std::lock_guard lock(mu);
        took = stalled_at - frozen_at;
      }
      worst = std::max(worst, took);
      std::printf(" %lld", static_cast<long long>(took));
      std::fflush(stdout);
    }
    std::printf(" ms after the last byte; worst excess %lld ms (target <= 500)\n",
                static_cast<long long>(worst - timeout_ms));
  }
  return failures == 0 ? 0 : 1;
}
