#include <gtest/gtest.h>

#include "common/config/section.h"
#include "edge/capture/config.h"

namespace gridsight::capture {
namespace {

CameraConfig parse(const std::string& yaml) {
  config::Section s = config::load_string(yaml, "edge.yaml");
  return CameraConfig::read(s);
}

TEST(CaptureConfig, Defaults) {
  CameraConfig c = parse("id: gate-1\nurl: rtsp://10.0.0.5/main\n");
  EXPECT_EQ(c.id, "gate-1");
  EXPECT_EQ(c.transport, Transport::kTcp);
  EXPECT_DOUBLE_EQ(c.analytics_fps, 5.0);
  EXPECT_EQ(c.analytics_width, 640);
  EXPECT_EQ(c.analytics_height, 0);
  EXPECT_EQ(c.hwaccel, HwAccel::kNone);
  EXPECT_TRUE(c.skip_nonref);
  EXPECT_EQ(c.stall_timeout_ms, 3000);
  EXPECT_EQ(c.open_timeout_ms, 5000);
  EXPECT_EQ(c.backoff.initial_ms, 500);
  EXPECT_EQ(c.backoff.max_ms, 30000);
  EXPECT_FALSE(is_file_url(c.url));
}

TEST(CaptureConfig, AllKeys) {
  CameraConfig c = parse(R"(id: cam2
url: rtsp://10.0.0.6/main
sub_url: rtsp://10.0.0.6/sub
transport: udp
analytics: {fps: 2.5, width: 320, height: 180, pixel_format: gray8, queue: 8}
decode: {hwaccel: vaapi, hw_device: /dev/dri/renderD128, threads: 2, skip_nonref: false}
open_timeout: 2s
stall_timeout: 1500ms
reconnect: {initial: 1s, max: 1m, multiplier: 3, jitter: 0.2, stable_after: 30s, max_attempts: 5}
)");
  EXPECT_EQ(c.sub_url, "rtsp://10.0.0.6/sub");
  EXPECT_EQ(c.transport, Transport::kUdp);
  EXPECT_DOUBLE_EQ(c.analytics_fps, 2.5);
  EXPECT_EQ(c.analytics_height, 180);
  EXPECT_EQ(c.pixel_format, PixelFormat::kGray8);
  EXPECT_EQ(c.queue_capacity, 8u);
  EXPECT_EQ(c.hwaccel, HwAccel::kVaapi);
  EXPECT_EQ(c.decode_threads, 2);
  EXPECT_FALSE(c.skip_nonref);
  EXPECT_EQ(c.open_timeout_ms, 2000);
  EXPECT_EQ(c.stall_timeout_ms, 1500);
  EXPECT_EQ(c.backoff.initial_ms, 1000);
  EXPECT_EQ(c.backoff.max_ms, 60000);
  EXPECT_EQ(c.stable_after_ms, 30000);
  EXPECT_EQ(c.max_attempts, 5);
}

TEST(CaptureConfig, FileOptions) {
  CameraConfig c = parse("id: demo\nurl: media/vtest.mp4\nloop: true\nrealtime: false\n");
  EXPECT_TRUE(is_file_url(c.url));
  EXPECT_TRUE(c.loop);
  EXPECT_FALSE(c.realtime);
}

TEST(CaptureConfig, Refusals) {
  auto fails_with = [](const std::string& yaml, const std::string& needle) {
    try {
      parse(yaml);
    } catch (const config::Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      return;
    }
    ADD_FAILURE() << "accepted: " << yaml;
  };
  fails_with("url: rtsp://x/y\n", "id");
  fails_with("id: a b\nurl: rtsp://x/y\n", "id");
  fails_with("id: a\nurl: rtsp://x/y\nstall_timout: 1s\n", "stall_timout");
  fails_with("id: a\nurl: rtsp://x/y\nanalytics: {fps: 0}\n", "fps");
  fails_with("id: a\nurl: rtsp://x/y\ndecode: {hwaccel: cuda}\n", "hwaccel");
  fails_with("id: a\nurl: rtsp://x/y\nloop: true\n", "loop");
  fails_with("id: a\nurl: rtsp://x/y\nreconnect: {initial: 10s, max: 1s}\n", "max");
  fails_with("id: a\nurl: rtsp://x/y\nanalytics: {colour: red}\n", "colour");
}

}  // namespace
}  // namespace gridsight::capture
