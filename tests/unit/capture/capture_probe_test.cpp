// Camera probing (`gridsight-edge --check-config`) on real media files: codec, resolution and
// frame rate are read without decoding; a missing file or a file without video is a clear
// error; credentials never appear in the report.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "edge/capture/probe.h"
#include "tests/support/test_support.h"

namespace gridsight::capture {
namespace {

using test::media;

CameraConfig camera(const std::string& url) {
  CameraConfig c;
  c.id = "cam-probe";
  c.url = url;
  c.open_timeout_ms = 3000;
  return c;
}

std::string report(const CameraConfig& c, bool& ok) {
  std::FILE* f = std::tmpfile();
  ok = probe_and_report(c, f);
  std::rewind(f);
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, f)) out += buf;
  std::fclose(f);
  return out;
}

TEST(CaptureProbe, RealFileReportsCodecResolutionAndRate) {
  auto r = probe_camera(camera(media("h264_b.mp4")));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].reachable) << r[0].error;
  EXPECT_EQ(r[0].role, "main");
  EXPECT_EQ(r[0].codec, "h264");
  EXPECT_EQ(r[0].width, 768);
  EXPECT_EQ(r[0].height, 576);
  EXPECT_DOUBLE_EQ(r[0].fps, 25.0);
  bool ok = false;
  const std::string text = report(camera(media("h264_b.mp4")), ok);
  EXPECT_TRUE(ok);
  EXPECT_NE(text.find("camera cam-probe: main stream"), std::string::npos) << text;
  EXPECT_NE(text.find("reachable, h264 768x576 at 25 fps"), std::string::npos) << text;
}

TEST(CaptureProbe, MainAndSubStreamsAreBothProbed) {
  CameraConfig c = camera("file://" + media("main_1080p.mp4"));
  c.sub_url = media("h265.mp4");
  auto r = probe_camera(c);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_TRUE(r[0].reachable) << r[0].error;
  EXPECT_EQ(r[0].width, 1920);
  EXPECT_EQ(r[0].height, 1080);
  EXPECT_EQ(r[1].role, "sub");
  EXPECT_TRUE(r[1].reachable) << r[1].error;
  EXPECT_EQ(r[1].codec, "hevc");
  EXPECT_EQ(r[1].width, 640);
  EXPECT_EQ(r[1].height, 360);
}

TEST(CaptureProbe, MissingFileIsAClearError) {
  bool ok = true;
  const std::string text = report(camera("/nonexistent/gridsight/cam.mp4"), ok);
  EXPECT_FALSE(ok);
  EXPECT_NE(text.find("camera cam-probe: main stream /nonexistent/gridsight/cam.mp4: "
                      "UNREACHABLE: cannot open: No such file or directory"),
            std::string::npos)
      << text;
}

TEST(CaptureProbe, FileWithoutVideoIsRefused) {
  const std::string path = ::testing::TempDir() + "gridsight_probe_not_video.txt";
  std::ofstream(path) << "not a video\n";
  auto r = probe_camera(camera(path));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_FALSE(r[0].reachable);
  EXPECT_FALSE(r[0].error.empty());
  std::remove(path.c_str());
}

TEST(CaptureProbe, CredentialsAreRemovedFromUrls) {
  EXPECT_EQ(redact_url("rtsp://admin:secret@10.0.0.5:554/main"), "rtsp://10.0.0.5:554/main");
  EXPECT_EQ(redact_url("rtsp://10.0.0.5/main"), "rtsp://10.0.0.5/main");
  EXPECT_EQ(redact_url("http://10.0.0.5/a@b"), "http://10.0.0.5/a@b");
  EXPECT_EQ(redact_url("/var/video/a@b.mp4"), "/var/video/a@b.mp4");
}

}  // namespace
}  // namespace gridsight::capture
