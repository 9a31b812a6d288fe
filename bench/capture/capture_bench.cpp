// CPU and memory of the capture path: a file source run unthrottled through the capture
// pipeline (demux, decode only what analytics needs, scale to the analytics size) and the
// evidence ring, as in the edge daemon. Prints CPU seconds per minute of video and peak RSS.
// Driven by bench/capture/run.sh, which runs the baselines in the same session.
//
//   gridsight_capture_bench --file main.mp4 [--sub sub.mp4] [--fps 5] [--width 640]
//                           [--height 360] [--cameras 1] [--pre-roll 10]
#include <sys/resource.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "edge/capture/supervisor.h"
#include "edge/evidence/recorder.h"

namespace {

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
}

double rss_mb(const char* field) {  // VmRSS or VmHWM from /proc/self/status
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(field, 0) == 0) return std::atof(line.c_str() + std::strlen(field) + 1) / 1024;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace gridsight;
  std::string file, sub;
  double fps = 5, pre_roll_s = 10;
  int width = 640, height = 360, cameras = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--file")
      file = v;
    else if (k == "--sub")
      sub = v;
    else if (k == "--fps")
      fps = std::atof(v.c_str());
    else if (k == "--width")
      width = std::atoi(v.c_str());
    else if (k == "--height")
      height = std::atoi(v.c_str());
    else if (k == "--cameras")
      cameras = std::atoi(v.c_str());
    else if (k == "--pre-roll")
      pre_roll_s = std::atof(v.c_str());
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (file.empty()) {
    std::fprintf(stderr,
                 "usage: %s --file main.mp4 [--sub sub.mp4] [--fps 5] [--width 640] "
                 "[--height 360] [--cameras 1] [--pre-roll 10]\n",
                 argv[0]);
    return 2;
  }
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("gridsight-bench-" + std::to_string(::getpid()));
  double rss_base = rss_mb("VmRSS:");
  double cpu0 = cpu_seconds();
  std::atomic<std::int64_t> first_ms{INT64_MAX}, last_ms{INT64_MIN};
  std::atomic<std::uint64_t> frames{0};
  {
    evidence::EvidenceConfig ec;
    ec.directory = dir.string();
    ec.pre_roll_ms = static_cast<std::int64_t>(pre_roll_s * 1000);
    evidence::EvidenceRecorder recorder(ec);
    capture::Supervisor sup;
    std::vector<std::thread> consumers;
    for (int c = 0; c < cameras; ++c) {
      capture::CameraConfig cfg;
      cfg.id = "cam" + std::to_string(c);
      cfg.url = file;
      cfg.sub_url = sub;
      cfg.realtime = false;
      cfg.analytics_fps = fps;
      cfg.analytics_width = width;
      cfg.analytics_height = height;
      auto q = sup.add(cfg, &recorder);
      consumers.emplace_back([&, q, id = cfg.id] {
        for (;;) {
          auto f = q->pop(std::chrono::milliseconds(20));
          if (f) {
            ++frames;
            std::int64_t t = f->time_ms;
            std::int64_t cur = first_ms.load();
            while (t < cur && !first_ms.compare_exchange_weak(cur, t)) {
            }
            cur = last_ms.load();
            while (t > cur && !last_ms.compare_exchange_weak(cur, t)) {
            }
          } else if (sup.health(id)->state == capture::CameraState::kStopped) {
            return;
          }
        }
      });
    }
    for (auto& t : consumers) t.join();
    for (auto& h : sup.health()) {
      std::printf(
          "camera %s: %s %dx%d decoder %s, packets %llu, decoded %llu, analysed %llu, "
          "decode errors %llu\n",
          h.camera_id.c_str(), h.codec.c_str(), h.width, h.height, h.decoder.c_str(),
          static_cast<unsigned long long>(h.packets), static_cast<unsigned long long>(h.decoded),
          static_cast<unsigned long long>(h.analysed),
          static_cast<unsigned long long>(h.decode_errors));
    }
  }
  double cpu = cpu_seconds() - cpu0;
  double video_s = (last_ms - first_ms) / 1000.0 + 1.0 / fps;
  double per_camera_video_min = video_s / 60.0;
  std::printf("video: %.1f s per camera, %d camera(s), %llu analysed frames\n", video_s, cameras,
              static_cast<unsigned long long>(frames.load()));
  std::printf("cpu_seconds_per_video_minute %.3f\n", cpu / cameras / per_camera_video_min);
  double peak = rss_mb("VmHWM:");
  std::printf("peak_rss_mb %.1f base_rss_mb %.1f per_camera_mb %.1f\n", peak, rss_base,
              (peak - rss_base) / cameras);
  std::error_code ec;
  fs::remove_all(dir, ec);
  return frames > 0 ? 0 : 1;
}
