#include "edge/capture/config.h"

#include "common/config/section.h"

namespace gridsight::capture {

const char* to_string(HwAccel hw) {
  switch (hw) {
    case HwAccel::kNone:
      return "none";
    case HwAccel::kV4l2m2m:
      return "v4l2m2m";
    case HwAccel::kVaapi:
      return "vaapi";
  }
  return "none";
}

const char* to_string(PixelFormat fmt) {
  switch (fmt) {
    case PixelFormat::kBgr24:
      return "bgr24";
    case PixelFormat::kRgb24:
      return "rgb24";
    case PixelFormat::kGray8:
      return "gray8";
  }
  return "bgr24";
}

int channels(PixelFormat fmt) {
  return fmt == PixelFormat::kGray8 ? 1 : 3;
}

bool is_file_url(const std::string& url) {
  if (url.rfind("file:", 0) == 0) return true;
  return url.find("://") == std::string::npos;
}

CameraConfig CameraConfig::read(config::Section& s) {
  CameraConfig c;
  c.id = s.required_string("id");
  if (c.id.empty() || c.id.size() > 64) s.fail("id", "must be 1 to 64 characters");
  for (char ch : c.id) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_' || ch == '.';
    if (!ok) s.fail("id", "may hold only letters, digits, '-', '_' and '.'");
  }
  c.url = s.required_string("url");
  if (c.url.empty()) s.fail("url", "must not be empty");
  c.sub_url = s.string("sub_url", "");
  c.transport =
      s.choice("transport", "tcp", {"tcp", "udp"}) == "udp" ? Transport::kUdp : Transport::kTcp;

  config::Section a = s.section("analytics");
  c.analytics_fps = a.number("fps", 5.0, 0.1, 60.0);
  c.analytics_width = static_cast<int>(a.integer("width", 640, 32, 3840));
  c.analytics_height = static_cast<int>(a.integer("height", 0, 0, 2160));
  std::string fmt = a.choice("pixel_format", "bgr24", {"bgr24", "rgb24", "gray8"});
  c.pixel_format = fmt == "rgb24"   ? PixelFormat::kRgb24
                   : fmt == "gray8" ? PixelFormat::kGray8
                                    : PixelFormat::kBgr24;
  c.queue_capacity = static_cast<std::size_t>(a.integer("queue", 4, 1, 256));
  a.finish();

  config::Section d = s.section("decode");
  std::string hw = d.choice("hwaccel", "none", {"none", "v4l2m2m", "vaapi"});
  c.hwaccel = hw == "v4l2m2m" ? HwAccel::kV4l2m2m
              : hw == "vaapi" ? HwAccel::kVaapi
                              : HwAccel::kNone;
  c.hw_device = d.string("hw_device", "");
  c.decode_threads = static_cast<int>(d.integer("threads", 1, 1, 16));
  c.skip_nonref = d.boolean("skip_nonref", true);
  d.finish();

  c.open_timeout_ms = s.duration_ms("open_timeout", 5'000, 100, 120'000);
  c.stall_timeout_ms = s.duration_ms("stall_timeout", 3'000, 100, 120'000);
  c.loop = s.boolean("loop", false);
  c.realtime = s.boolean("realtime", true);
  if ((c.loop || !c.realtime) && !is_file_url(c.url)) {
    s.fail(c.loop ? "loop" : "realtime", "applies to file sources only");
  }

  config::Section r = s.section("reconnect");
  c.backoff.initial_ms = r.duration_ms("initial", 500, 10, 600'000);
  c.backoff.max_ms = r.duration_ms("max", 30'000, 10, 3'600'000);
  if (c.backoff.max_ms < c.backoff.initial_ms) r.fail("max", "must be at least reconnect.initial");
  c.backoff.multiplier = r.number("multiplier", 2.0, 1.0, 10.0);
  c.backoff.jitter = r.number("jitter", 0.5, 0.0, 1.0);
  c.stable_after_ms = r.duration_ms("stable_after", 10'000, 0, 3'600'000);
  c.max_attempts = static_cast<int>(r.integer("max_attempts", 0, 0, 1'000'000));
  r.finish();

  s.finish();
  return c;
}

}  // namespace gridsight::capture
