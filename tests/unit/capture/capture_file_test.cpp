// Capture from files (the real footage transcoded by tests/support/make_test_media.sh), run
// unthrottled on stream time: no services, no timing assumptions.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <mutex>
#include <sstream>

#include "edge/capture/supervisor.h"
#include "tests/support/test_support.h"

namespace gridsight::capture {
namespace {

using test::media;

struct FrameMeta {
  std::uint64_t seq;
  std::int64_t time_ms;
  int width, height, stride;
  std::size_t bytes;
};

struct CameraRun {
  std::vector<FrameMeta> frames;
  std::vector<CameraState> states;
  CameraHealth health;
};

CameraConfig file_camera(const std::string& file) {
  CameraConfig c;
  c.id = "cam";
  c.url = media(file);
  c.realtime = false;
  c.backoff.initial_ms = 10;
  c.backoff.max_ms = 20;
  return c;
}

bool terminal(CameraState s) {
  return s == CameraState::kStopped || s == CameraState::kFailed;
}

// Runs a camera until its source ends (or `max_frames` frames), consuming every frame.
CameraRun run_camera(const CameraConfig& cfg, PacketObserver* packets = nullptr,
                     std::size_t max_frames = SIZE_MAX) {
  CameraRun r;
  std::mutex mu;
  Supervisor sup(SystemClock::instance(), [&](const std::string&, CameraState s) {
    std::lock_guard lock(mu);
    r.states.push_back(s);
  });
  auto q = sup.add(cfg, packets);
  for (;;) {
    auto f = q->pop(std::chrono::milliseconds(20));
    if (f) {
      r.frames.push_back({f->seq, f->time_ms, f->width, f->height, f->stride, f->data.size()});
      if (r.frames.size() >= max_frames) break;
    } else if (terminal(sup.health(cfg.id)->state)) {
      break;
    }
  }
  r.health = *sup.health(cfg.id);
  sup.stop_all();
  std::lock_guard lock(mu);
  return r;
}

class CountingObserver : public PacketObserver {
 public:
  void on_packet(const std::string&, PacketPtr p) override {
    ++packets;
    if (p->keyframe) ++keyframes;
    width = p->stream->width();
    codec = p->stream->codec_name();
  }
  void on_stream_end(const std::string&) override { ++ends; }
  std::atomic<int> packets{0}, keyframes{0}, ends{0}, width{0};
  std::string codec;
};

class LogCapture {
 public:
  LogCapture() : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(out_)) {
    spdlog::default_logger()->sinks().push_back(sink_);
  }
  ~LogCapture() {
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
  }
  std::string text() {
    sink_->flush();
    return out_.str();
  }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

TEST(CaptureFile, H264WithBFramesAtAnalyticsRateAndSize) {
  CameraRun r = run_camera(file_camera("h264_b.mp4"));
  // 16 s of 25 fps footage analysed at 5 fps.
  ASSERT_GE(r.frames.size(), 79u);
  ASSERT_LE(r.frames.size(), 81u);
  // B-frames are skipped: each analysed frame is the first I/P frame at or after its due time
  // (mini-GOPs of up to 3 frames here), the average rate stays 5 fps.
  for (std::size_t i = 1; i < r.frames.size(); ++i) {
    EXPECT_EQ(r.frames[i].seq, r.frames[i - 1].seq + 1);
    EXPECT_NEAR(r.frames[i].time_ms - r.frames[i - 1].time_ms, 200, 120) << i;
  }
  double mean =
      double(r.frames.back().time_ms - r.frames.front().time_ms) / double(r.frames.size() - 1);
  EXPECT_NEAR(mean, 200, 5);
  // 768x576 scaled once to 640 wide, aspect kept, BGR.
  EXPECT_EQ(r.frames[0].width, 640);
  EXPECT_EQ(r.frames[0].height, 480);
  EXPECT_EQ(r.frames[0].stride, 640 * 3);
  EXPECT_EQ(r.frames[0].bytes, 640u * 480 * 3);
  EXPECT_EQ(r.states, (std::vector<CameraState>{CameraState::kConnecting, CameraState::kStreaming,
                                                CameraState::kStopped}));
  const CameraHealth& h = r.health;
  EXPECT_EQ(h.codec, "h264");
  EXPECT_EQ(h.width, 768);
  EXPECT_EQ(h.height, 576);
  EXPECT_EQ(h.decoder, "h264");
  EXPECT_EQ(h.packets, 400u);
  EXPECT_EQ(h.analysed, r.frames.size());
  EXPECT_EQ(h.dropped, 0u);
  EXPECT_EQ(h.decode_errors, 0u);
  EXPECT_EQ(h.reconnects, 0u);
  // The B-frames (213 of 400, ffprobe) were never decoded.
  EXPECT_LE(h.decoded, 400u - 213u) << "decoded " << h.decoded << " of " << h.packets;
}

TEST(CaptureFile, WithoutSkippingEveryFrameIsDecoded) {
  CameraConfig c = file_camera("h264_b.mp4");
  c.skip_nonref = false;
  CameraRun r = run_camera(c);
  EXPECT_EQ(r.health.decoded, 400u);
  EXPECT_GE(r.frames.size(), 79u);
}

TEST(CaptureFile, H265) {
  CameraConfig c = file_camera("h265.mp4");
  c.analytics_width = 320;
  c.pixel_format = PixelFormat::kGray8;
  CameraRun r = run_camera(c);
  EXPECT_EQ(r.health.codec, "hevc");
  EXPECT_EQ(r.health.decoder, "hevc");
  EXPECT_EQ(r.health.width, 640);
  ASSERT_GE(r.frames.size(), 39u);
  EXPECT_LE(r.frames.size(), 41u);
  EXPECT_EQ(r.frames[0].width, 320);
  EXPECT_EQ(r.frames[0].height, 180);
  EXPECT_EQ(r.frames[0].stride, 320);
  EXPECT_LT(r.health.decoded, r.health.packets);
}

TEST(CaptureFile, SubStreamForAnalyticsMainStreamForEvidence) {
  CameraConfig c = file_camera("main_1080p.mp4");
  c.sub_url = media("sub_360p.mp4");
  c.analytics_height = 360;
  CountingObserver obs;
  CameraRun r = run_camera(c, &obs);
  // Analytics decoded the sub-stream only.
  EXPECT_EQ(r.health.width, 640);
  EXPECT_EQ(r.health.height, 360);
  EXPECT_EQ(r.health.packets, 200u);
  EXPECT_EQ(r.health.decoded, 200u);
  ASSERT_GE(r.frames.size(), 39u);
  EXPECT_EQ(r.frames[0].height, 360);
  // The evidence observer got the main stream, undecoded.
  EXPECT_EQ(obs.packets, 200);
  EXPECT_EQ(obs.keyframes, 8);
  EXPECT_EQ(obs.width, 1920);
  EXPECT_EQ(obs.codec, "h264");
  EXPECT_EQ(obs.ends, 1);
}

TEST(CaptureFile, TruncatedFileCountsDecodeErrors) {
  CameraRun r = run_camera(file_camera("truncated.ts"));
  EXPECT_GT(r.frames.size(), 10u);
  EXPECT_GT(r.health.decode_errors, 0u);
  EXPECT_EQ(r.health.state, CameraState::kStopped);
}

TEST(CaptureFile, BitFlippedFileCountsDecodeErrors) {
  LogCapture log;
  CameraRun r = run_camera(file_camera("bitflipped.ts"));
  // Damage seen while B-frames were skipped: the session stops skipping them, to be safe.
  EXPECT_NE(log.text().find("skipping only non-reference frames from now on"), std::string::npos);
  EXPECT_GT(r.frames.size(), 40u);
  EXPECT_GT(r.health.decode_errors, 0u);
  EXPECT_EQ(r.health.state, CameraState::kStopped);
}

TEST(CaptureFile, CleanFileHasNoDecodeErrors) {
  CameraRun r = run_camera(file_camera("h264.ts"));
  EXPECT_EQ(r.health.decode_errors, 0u);
}

TEST(CaptureFile, LoopContinuesTheTimeline) {
  CameraConfig c = file_camera("h265.mp4");  // 8 s: 40 frames per pass
  c.loop = true;
  CameraRun r = run_camera(c, nullptr, 100);
  ASSERT_EQ(r.frames.size(), 100u);
  for (std::size_t i = 1; i < r.frames.size(); ++i) {
    // The loop adds the reorder delay once (B-frames): at most a few frames.
    EXPECT_NEAR(r.frames[i].time_ms - r.frames[i - 1].time_ms, 200, 100) << i;
    EXPECT_GT(r.frames[i].time_ms, r.frames[i - 1].time_ms) << i;
  }
  EXPECT_EQ(r.health.reconnects, 0u);
}

TEST(CaptureFile, MissingFileFailsAfterMaxAttempts) {
  CameraConfig c = file_camera("does-not-exist.mp4");
  c.max_attempts = 2;
  CameraRun r = run_camera(c);
  EXPECT_EQ(r.states, (std::vector<CameraState>{CameraState::kConnecting, CameraState::kBackoff,
                                                CameraState::kConnecting, CameraState::kFailed}));
  EXPECT_NE(r.health.last_error.find("No such file"), std::string::npos) << r.health.last_error;
  EXPECT_EQ(r.health.reconnects, 1u);
  EXPECT_TRUE(r.frames.empty());
}

TEST(CaptureFile, AbsentHardwareDecoderFallsBackToSoftware) {
  LogCapture log;
  CameraConfig c = file_camera("h265.mp4");
  c.hwaccel = HwAccel::kVaapi;
  c.hw_device = "/nonexistent/renderD999";
  CameraRun r = run_camera(c);
  EXPECT_EQ(r.health.decoder, "hevc");
  EXPECT_GE(r.frames.size(), 39u);
  std::string text = log.text();
  EXPECT_NE(text.find("camera cam: hardware decoder unavailable (vaapi device "
                      "/nonexistent/renderD999"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("falling back to software decoder hevc"), std::string::npos) << text;
}

TEST(CaptureFile, V4l2m2mRunsOrFallsBackAndSaysWhich) {
  LogCapture log;
  CameraConfig c = file_camera("h265.mp4");
  c.hwaccel = HwAccel::kV4l2m2m;
  CameraRun r = run_camera(c);
  std::string text = log.text();
  if (r.health.decoder == "hevc_v4l2m2m") {
    EXPECT_NE(text.find("with decoder hevc_v4l2m2m"), std::string::npos) << text;
  } else {
    EXPECT_EQ(r.health.decoder, "hevc");
    EXPECT_NE(text.find("hevc_v4l2m2m"), std::string::npos) << text;
    EXPECT_NE(text.find("falling back to software decoder hevc"), std::string::npos) << text;
  }
  EXPECT_GE(r.frames.size(), 39u);
}

}  // namespace
}  // namespace gridsight::capture
