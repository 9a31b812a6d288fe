// Camera probing against a real RTSP server (tests/support/rtsp_server.c) serving the real
// footage; and cameras nobody answers for, which must be a clear error, not a hang.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

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

// A server that accepts the connection and never answers: the probe gives up after the
// camera's open timeout with "timed out" instead of hanging the check.
TEST(CaptureProbeRtsp, SilentServerTimesOut) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t len = sizeof a;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  CameraConfig c;
  c.id = "cam-silent";
  c.url = "rtsp://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/stream";
  c.open_timeout_ms = 500;
  auto r = probe_camera(c);
  ::close(fd);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_FALSE(r[0].reachable);
  EXPECT_EQ(r[0].error, "cannot open: timed out");
}

}  // namespace
}  // namespace gridsight::capture
