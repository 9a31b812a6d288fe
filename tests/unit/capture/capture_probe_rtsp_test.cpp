// Camera probing against a real RTSP server (tests/support/rtsp_server.c) serving the real
// footage; and a camera nobody answers for, which must be a clear error, not a hang.
#include <gtest/gtest.h>

#include "edge/capture/probe.h"
#include "tests/support/test_support.h"

namespace gridsight::capture {
namespace {

using test::free_port;
using test::media;
using test::RtspServer;

TEST(CaptureProbeRtsp, ServerStreamIsReachableWithCodecAndResolution) {
  RtspServer server(media("h264_b.mp4"));
  for (Transport t : {Transport::kTcp, Transport::kUdp}) {
    CameraConfig c;
    c.id = "cam-rtsp";
    c.url = server.url();
    c.transport = t;
    auto r = probe_camera(c);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_TRUE(r[0].reachable) << r[0].error;
    EXPECT_EQ(r[0].codec, "h264");
    EXPECT_EQ(r[0].width, 768);
    EXPECT_EQ(r[0].height, 576);
    EXPECT_EQ(r[0].url, server.url());
  }
}

TEST(CaptureProbeRtsp, CredentialsDoNotAppearInTheResult) {
  RtspServer server(media("h264_b.mp4"));
  CameraConfig c;
  c.id = "cam-rtsp";
  const std::string url = server.url();
  c.url = "rtsp://viewer:s3cret@" + url.substr(7);
  auto r = probe_camera(c);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].reachable) << r[0].error;
  EXPECT_EQ(r[0].url, url);
  EXPECT_EQ(r[0].error.find("s3cret"), std::string::npos);
}

TEST(CaptureProbeRtsp, NobodyListeningIsUnreachable) {
  CameraConfig c;
  c.id = "cam-gone";
  c.url = "rtsp://127.0.0.1:" + std::to_string(free_port()) + "/stream";
  c.open_timeout_ms = 2000;
  auto r = probe_camera(c);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_FALSE(r[0].reachable);
  EXPECT_EQ(r[0].error.rfind("cannot open: ", 0), 0u) << r[0].error;
}

}  // namespace
}  // namespace gridsight::capture
