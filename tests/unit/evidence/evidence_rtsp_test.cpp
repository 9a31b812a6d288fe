// Evidence from a live RTSP camera stand-in (H.264 with B-frames over RTP): the clip's
// timestamps come from the network, not from a file index.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "edge/capture/supervisor.h"
#include "edge/evidence/recorder.h"
#include "tests/support/test_support.h"
#include "tests/unit/evidence/evidence_support.h"

namespace gridsight::evidence {
namespace {

namespace fs = std::filesystem;

TEST(EvidenceRtsp, ClipFromALiveStream) {
  test::RtspServer server(test::media("h264_b.mp4"));
  fs::path dir =
      fs::temp_directory_path() / ("gridsight-evidence-rtsp-" + std::to_string(::getpid()));
  EvidenceConfig ec;
  ec.directory = dir.string();
  ec.pre_roll_ms = 2500;
  ec.post_roll_ms = 1000;
  EvidenceRecorder rec(ec);
  capture::CameraConfig cam;
  cam.id = "live";
  cam.url = server.url();
  capture::Supervisor sup;
  auto q = sup.add(cam, &rec);
  std::int64_t first = INT64_MIN, t = INT64_MIN;
  while (t == INT64_MIN) {
    auto f = q->pop(std::chrono::seconds(30));
    ASSERT_TRUE(f.has_value());
    if (first == INT64_MIN) first = f->time_ms;
    if (f->time_ms - first >= 5000) {  // past the first keyframe, which RTP leaves untimed
      t = f->time_ms;
      protocol::Box b;
      b.x = b.y = 0.3;
      b.w = b.h = 0.2;
      ASSERT_GT(rec.trigger({"live", t, {b}}), 0u);
    }
  }
  auto r = test::next_evidence(rec);
  sup.stop_all();
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->errors.empty()) << r->errors.front();
  ASSERT_EQ(r->files.size(), 2u);
  const EvidenceFile& clip = r->files[0].role == "clip" ? r->files[0] : r->files[1];
  test::ClipFacts c = test::read_clip(clip.path);
  ASSERT_TRUE(c.opened);
  EXPECT_TRUE(c.first_is_key);
  EXPECT_TRUE(c.dts_increasing);
  EXPECT_EQ(c.first_dts_ms, 0);
  EXPECT_EQ(c.decoded, c.packets);
  EXPECT_EQ(c.decode_errors, 0);
  EXPECT_LE(r->clip_start_ms, t - 2500);
  EXPECT_GE(r->clip_end_ms, t + 1000);
  EXPECT_NEAR(c.packet_span_s, (r->clip_end_ms - r->clip_start_ms) / 1000.0, 0.1);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace gridsight::evidence
