#include "edge/capture/probe.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/error.h>
}

#include <chrono>
#include <cinttypes>
#include <cmath>

namespace gridsight::capture {
namespace {

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Deadline {
  std::int64_t at_ms = 0;
  bool expired = false;
};

int interrupt_cb(void* opaque) {
  auto* d = static_cast<Deadline*>(opaque);
  if (steady_ms() > d->at_ms) d->expired = true;
  return d->expired ? 1 : 0;
}

std::string error_text(int err, const Deadline& d) {
  // The socket timeout (RTSP "timeout") can end a silent exchange just before the interrupt
  // callback does; either way the camera did not answer in time.
  if (d.expired || steady_ms() >= d.at_ms) return "timed out";
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(err, buf, sizeof buf);
  return buf;
}

ProbeResult probe_url(const CameraConfig& cfg, const std::string& url, const char* role) {
  ProbeResult r;
  r.role = role;
  r.url = redact_url(url);
  std::string path = url;
  if (is_file_url(url) && path.rfind("file://", 0) == 0) path = path.substr(7);
  AVDictionary* opts = nullptr;
  if (url.rfind("rtsp://", 0) == 0 || url.rfind("rtsps://", 0) == 0) {
    av_dict_set(&opts, "rtsp_transport", cfg.transport == Transport::kUdp ? "udp" : "tcp", 0);
    av_dict_set_int(&opts, "timeout", cfg.open_timeout_ms * 1000, 0);
  } else if (!is_file_url(url)) {
    av_dict_set_int(&opts, "rw_timeout", cfg.open_timeout_ms * 1000, 0);
  }
  if (!is_file_url(url)) av_dict_set_int(&opts, "analyzeduration", 1'000'000, 0);

  AVFormatContext* fmt = avformat_alloc_context();
  if (!fmt) {
    av_dict_free(&opts);
    r.error = "out of memory";
    return r;
  }
  Deadline deadline{steady_ms() + cfg.open_timeout_ms, false};
  fmt->interrupt_callback.callback = interrupt_cb;
  fmt->interrupt_callback.opaque = &deadline;
  int ret = avformat_open_input(&fmt, path.c_str(), nullptr, &opts);
  av_dict_free(&opts);
  if (ret < 0) {  // fmt was freed
    r.error = "cannot open: " + error_text(ret, deadline);
    return r;
  }
  ret = avformat_find_stream_info(fmt, nullptr);
  if (ret < 0) {
    r.error = "no stream info: " + error_text(ret, deadline);
  } else {
    const int video = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    if (video < 0) {
      r.error = "no video stream";
    } else {
      const AVStream* st = fmt->streams[video];
      r.reachable = true;
      r.codec = avcodec_get_name(st->codecpar->codec_id);
      r.width = st->codecpar->width;
      r.height = st->codecpar->height;
      if (st->avg_frame_rate.num > 0 && st->avg_frame_rate.den > 0) {
        r.fps = av_q2d(st->avg_frame_rate);
      }
    }
  }
  deadline.at_ms = steady_ms() + 1000;  // an RTSP TEARDOWN must not hang either
  avformat_close_input(&fmt);
  return r;
}

}  // namespace

std::string redact_url(const std::string& url) {
  const auto scheme = url.find("://");
  const auto at = url.find('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) return url;
  const auto slash = url.find('/', scheme + 3);
  if (slash != std::string::npos && slash < at) return url;  // '@' in the path
  return url.substr(0, scheme + 3) + url.substr(at + 1);
}

std::vector<ProbeResult> probe_camera(const CameraConfig& camera) {
  // The report says what failed; libav's own messages would only repeat it.
  av_log_set_level(AV_LOG_QUIET);
  std::vector<ProbeResult> out;
  out.push_back(probe_url(camera, camera.url, "main"));
  if (!camera.sub_url.empty()) out.push_back(probe_url(camera, camera.sub_url, "sub"));
  return out;
}

bool probe_and_report(const CameraConfig& camera, std::FILE* out) {
  bool ok = true;
  for (const auto& r : probe_camera(camera)) {
    if (r.reachable) {
      std::fprintf(out, "camera %s: %s stream %s: reachable, %s %dx%d", camera.id.c_str(),
                   r.role.c_str(), r.url.c_str(), r.codec.c_str(), r.width, r.height);
      if (r.fps > 0) std::fprintf(out, " at %.3g fps", r.fps);
      std::fprintf(out, "\n");
    } else {
      ok = false;
      std::fprintf(out, "camera %s: %s stream %s: UNREACHABLE: %s\n", camera.id.c_str(),
                   r.role.c_str(), r.url.c_str(), r.error.c_str());
    }
  }
  return ok;
}

}  // namespace gridsight::capture
