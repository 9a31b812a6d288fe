// The recorder fed by a real capture of the real footage (file sources, unthrottled): clips
// read back with libav, snapshots with libjpeg-turbo.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <mutex>

#include "common/config/section.h"
#include "edge/capture/supervisor.h"
#include "edge/evidence/recorder.h"
#include "tests/support/test_support.h"
#include "tests/unit/evidence/evidence_support.h"

namespace gridsight::evidence {
namespace {

namespace fs = std::filesystem;
using capture::CameraConfig;
using capture::CameraState;
using capture::Supervisor;
using test::media;

class EvidenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("gridsight-evidence-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  EvidenceConfig config(std::int64_t pre_ms, std::int64_t post_ms) {
    EvidenceConfig c;
    c.directory = dir_.string();
    c.pre_roll_ms = pre_ms;
    c.post_roll_ms = post_ms;
    return c;
  }

  // Runs `cam` to its end; triggers once the analysed frames reach `at_s` seconds of video.
  // Returns the trigger time (camera timeline).
  std::int64_t run_and_trigger(const CameraConfig& cam, EvidenceRecorder& rec, double at_s,
                               const std::vector<protocol::Box>& boxes) {
    Supervisor sup;
    auto q = sup.add(cam, &rec);
    std::int64_t first = INT64_MIN, trigger_ms = INT64_MIN;
    for (;;) {
      auto f = q->pop(std::chrono::milliseconds(20));
      if (f) {
        if (first == INT64_MIN) first = f->time_ms;
        if (trigger_ms == INT64_MIN && f->time_ms - first >= at_s * 1000) {
          trigger_ms = f->time_ms;
          EXPECT_GT(rec.trigger({cam.id, trigger_ms, boxes}), 0u);
        }
      } else if (sup.health(cam.id)->state == CameraState::kStopped) {
        break;
      }
    }
    return trigger_ms;
  }

  static CameraConfig file_camera(const std::string& file) {
    CameraConfig c;
    c.id = "cam-1";
    c.url = media(file);
    c.realtime = false;
    return c;
  }

  static const EvidenceFile* find(const EvidenceResult& r, const std::string& role) {
    for (auto& f : r.files) {
      if (f.role == role) return &f;
    }
    return nullptr;
  }

  fs::path dir_;
};

protocol::Box box(double x, double y, double w, double h) {
  protocol::Box b;
  b.x = x;
  b.y = y;
  b.w = w;
  b.h = h;
  b.label = "person";
  b.confidence = 0.9;
  return b;
}

TEST_F(EvidenceTest, ClipAndSnapshotAroundATrigger) {
  EvidenceRecorder rec(config(3000, 2000));
  std::int64_t t =
      run_and_trigger(file_camera("h264_b.mp4"), rec, 8.0, {box(0.25, 0.25, 0.5, 0.5)});
  ASSERT_NE(t, INT64_MIN);
  auto r = test::next_evidence(rec);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->errors.empty()) << r->errors.front();
  EXPECT_EQ(r->trigger.camera_id, "cam-1");
  EXPECT_EQ(r->trigger.time_ms, t);

  const EvidenceFile* clip = find(*r, "clip");
  ASSERT_NE(clip, nullptr);
  EXPECT_EQ(clip->media_type, "video/mp4");
  EXPECT_EQ(fs::path(clip->path).parent_path(), dir_);
  EXPECT_EQ(fs::path(clip->path).extension(), ".mp4");
  // Pre-roll from the keyframe at or before t - 3 s (2 s GOPs); post-roll to t + 2 s.
  EXPECT_LE(r->clip_start_ms, t - 3000);
  EXPECT_GT(r->clip_start_ms, t - 3000 - 2000);
  EXPECT_GE(r->clip_end_ms, t + 2000);
  EXPECT_LE(r->clip_end_ms, t + 2000 + 100);

  test::ClipFacts c = test::read_clip(clip->path);
  ASSERT_TRUE(c.opened);
  EXPECT_EQ(c.codec, "h264");
  EXPECT_EQ(c.width, 768);
  EXPECT_TRUE(c.first_is_key);
  EXPECT_EQ(c.first_dts_ms, 0);
  EXPECT_GE(c.first_pts_ms, 0);
  EXPECT_TRUE(c.dts_increasing);
  double expected_s = (r->clip_end_ms - r->clip_start_ms) / 1000.0;
  EXPECT_NEAR(c.packet_span_s, expected_s, 0.05);
  EXPECT_NEAR(c.duration_s, expected_s, 0.1);
  EXPECT_NEAR(c.packets, expected_s * 25, 1.0);
  EXPECT_EQ(c.decoded, c.packets);  // every frame decodes: no missing reference
  EXPECT_EQ(c.decode_errors, 0);
  // Faststart: the index (moov) before the media data.
  auto& atoms = c.top_level_atoms;
  auto moov = std::find(atoms.begin(), atoms.end(), "moov");
  auto mdat = std::find(atoms.begin(), atoms.end(), "mdat");
  ASSERT_NE(moov, atoms.end());
  ASSERT_NE(mdat, atoms.end());
  EXPECT_LT(moov, mdat);

  const EvidenceFile* snap = find(*r, "snapshot");
  ASSERT_NE(snap, nullptr);
  EXPECT_EQ(snap->media_type, "image/jpeg");
  EXPECT_LE(r->snapshot_ms, t);
  EXPECT_GT(r->snapshot_ms, t - 100);
  test::Jpeg j = test::read_jpeg(snap->path);
  ASSERT_EQ(j.width, 768);  // the main stream's full resolution
  ASSERT_EQ(j.height, 576);
  // The box outline (first colour: red) at (0.25, 0.25)..(0.75, 0.75).
  for (auto [x, y] : {std::pair{200, 145}, std::pair{384, 145}, std::pair{193, 288}}) {
    EXPECT_GT(j.r(x, y), 180) << x << "," << y;
    EXPECT_LT(j.g(x, y), 110) << x << "," << y;
  }
  // No partial files left.
  for (auto& e : fs::directory_iterator(dir_)) {
    EXPECT_EQ(e.path().string().find(".part"), std::string::npos) << e.path();
  }
}

TEST_F(EvidenceTest, MainStreamEvidenceWhileAnalyticsUsesTheSubStream) {
  EvidenceRecorder rec(config(2000, 1000));
  CameraConfig cam = file_camera("main_1080p.mp4");
  cam.sub_url = media("sub_360p.mp4");
  std::int64_t t = run_and_trigger(cam, rec, 4.0, {box(0.1, 0.1, 0.2, 0.3)});
  ASSERT_NE(t, INT64_MIN);
  auto r = test::next_evidence(rec);
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->files.size(), 2u);
  test::ClipFacts c = test::read_clip(find(*r, "clip")->path);
  EXPECT_EQ(c.width, 1920);
  EXPECT_EQ(c.height, 1080);
  EXPECT_TRUE(c.first_is_key);
  EXPECT_EQ(c.decode_errors, 0);
  EXPECT_LE(r->clip_start_ms, t - 2000);
  test::Jpeg j = test::read_jpeg(find(*r, "snapshot")->path);
  EXPECT_EQ(j.width, 1920);
  EXPECT_EQ(j.height, 1080);
}

TEST_F(EvidenceTest, H265Clip) {
  EvidenceRecorder rec(config(2000, 1000));
  std::int64_t t = run_and_trigger(file_camera("h265.mp4"), rec, 4.0, {});
  auto r = test::next_evidence(rec);
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->errors.empty()) << r->errors.front();
  test::ClipFacts c = test::read_clip(find(*r, "clip")->path);
  EXPECT_EQ(c.codec, "hevc");
  EXPECT_TRUE(c.first_is_key);
  EXPECT_TRUE(c.dts_increasing);
  EXPECT_EQ(c.decoded, c.packets);
  EXPECT_GE(r->clip_end_ms, t + 1000);
}

// The source ends before the post-roll is complete: the clip is written with what there is.
TEST_F(EvidenceTest, StreamEndCompletesPendingTriggers) {
  EvidenceRecorder rec(config(2000, 10'000));
  std::int64_t t = run_and_trigger(file_camera("h264_b.mp4"), rec, 14.0, {});
  auto r = test::next_evidence(rec);
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->errors.empty()) << r->errors.front();
  EXPECT_LT(r->clip_end_ms, t + 10'000);
  test::ClipFacts c = test::read_clip(find(*r, "clip")->path);
  EXPECT_TRUE(c.first_is_key);
  EXPECT_EQ(c.decode_errors, 0);
}

TEST_F(EvidenceTest, RingStaysWithinItsByteBound) {
  EvidenceConfig cfg = config(60'000, 0);
  cfg.ring_max_bytes = 512 * 1024;
  EvidenceRecorder rec(cfg);
  CameraConfig cam = file_camera("h264_b.mp4");
  Supervisor sup;
  auto q = sup.add(cam, &rec);
  std::uint64_t max_bytes = 0;
  while (sup.health(cam.id)->state != CameraState::kStopped || q->size() > 0) {
    q->pop(std::chrono::milliseconds(5));
    max_bytes = std::max(max_bytes, rec.ring(cam.id).bytes);
  }
  EXPECT_GT(max_bytes, 0u);
  EXPECT_LE(max_bytes, 512u * 1024);
}

// A camera that never delivers the post-roll: the trigger is written with what there is once
// max_wait has passed (steady time, a manual clock here). Its snapshot comes at once.
TEST_F(EvidenceTest, MaxWaitEndsATriggerWhoseCameraWentSilent) {
  ManualClock clock;
  EvidenceConfig cfg = config(2000, 2000);
  cfg.max_wait_ms = 5000;
  cfg.max_pending = 2;
  EvidenceRecorder rec(cfg, clock);
  std::uint64_t id = rec.trigger({"silent", clock.now_ms(), {}});
  ASSERT_GT(id, 0u);
  EXPECT_GT(rec.trigger({"silent", clock.now_ms(), {}}), 0u);
  EXPECT_EQ(rec.trigger({"silent", clock.now_ms(), {}}), 0u);  // max_pending reached
  for (int i = 0; i < 2; ++i) {  // the two snapshots: nothing to decode
    auto shot = rec.next(std::chrono::seconds(30));
    ASSERT_TRUE(shot.has_value());
    EXPECT_EQ(shot->stage, EvidenceResult::Stage::kEvent);
    EXPECT_TRUE(shot->files.empty());
    ASSERT_EQ(shot->errors.size(), 1u);
    EXPECT_NE(shot->errors[0].find("no keyframe"), std::string::npos) << shot->errors[0];
  }
  EXPECT_FALSE(rec.next(std::chrono::milliseconds(300)).has_value());
  clock.advance(2000 + 5000);
  auto r = rec.next(std::chrono::seconds(30));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->stage, EvidenceResult::Stage::kClip);
  EXPECT_EQ(r->trigger_id, id);
  EXPECT_TRUE(r->files.empty());
  ASSERT_EQ(r->errors.size(), 1u);  // no packets: no clip
  EXPECT_NE(r->errors[0].find("no keyframe"), std::string::npos) << r->errors[0];
}

TEST(EvidenceConfigTest, Read) {
  config::Section s = config::load_string(
      "directory: /var/lib/gridsight/evidence\npre_roll: 8s\npost_roll: 4s\n"
      "ring_max_bytes: 16MiB\njpeg_quality: 90\n",
      "edge.yaml");
  EvidenceConfig c = EvidenceConfig::read(s);
  EXPECT_EQ(c.pre_roll_ms, 8000);
  EXPECT_EQ(c.post_roll_ms, 4000);
  EXPECT_EQ(c.ring_max_bytes, 16u << 20);
  EXPECT_EQ(c.jpeg_quality, 90);
  config::Section bad = config::load_string("directory: x\npre_rol: 8s\n", "edge.yaml");
  EXPECT_THROW(EvidenceConfig::read(bad), config::Error);
}

}  // namespace
}  // namespace gridsight::evidence

namespace gridsight::evidence {
namespace {

// Collects a camera's packets as the capture delivers them.
struct Collector final : capture::PacketObserver {
  std::mutex mu;
  std::vector<capture::PacketPtr> all;
  void on_packet(const std::string&, capture::PacketPtr p) override {
    std::lock_guard lock(mu);
    all.push_back(std::move(p));
  }
  void on_stream_end(const std::string&) override {}
};

// The recorder dies while a bound clip is recording (as under kill -9): the spool stays, and
// the next recorder on the directory writes the clip from it and names its event.
TEST_F(EvidenceTest, SpooledClipIsWrittenByTheNextRecorder) {
  Collector col;
  {
    Supervisor sup;
    CameraConfig cam = file_camera("h264_b.mp4");
    auto q = sup.add(cam, &col);
    while (sup.health(cam.id)->state != CameraState::kStopped || q->size() > 0) {
      q->pop(std::chrono::milliseconds(5));
    }
  }
  ASSERT_GT(col.all.size(), 300u);
  const std::int64_t t0 = col.all.front()->time_ms;
  std::int64_t fired = 0;
  {
    EvidenceRecorder rec(config(2000, 60'000));
    std::size_t i = 0;
    for (; i < col.all.size() && col.all[i]->time_ms < t0 + 6000; ++i) {
      rec.on_packet("cam-1", col.all[i]);
    }
    fired = col.all[i - 1]->time_ms;
    const std::uint64_t id = rec.trigger({"cam-1", fired, {}});
    ASSERT_GT(id, 0u);
    auto shot = rec.next(std::chrono::seconds(30));
    ASSERT_TRUE(shot.has_value());
    EXPECT_EQ(shot->stage, EvidenceResult::Stage::kEvent);
    ASSERT_TRUE(rec.bind(id, "{\"the\":\"event\"}"));
    for (; i < col.all.size() && col.all[i]->time_ms < t0 + 9000; ++i) {
      rec.on_packet("cam-1", col.all[i]);
    }
  }
  std::size_t spools = 0;
  for (auto& e : fs::directory_iterator(dir_)) {
    spools += e.path().string().ends_with(".clip.spool") ? 1 : 0;
  }
  ASSERT_EQ(spools, 1u);
  EvidenceRecorder again(config(2000, 60'000));
  auto r = again.next(std::chrono::seconds(30));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->stage, EvidenceResult::Stage::kClip);
  EXPECT_EQ(r->event, "{\"the\":\"event\"}");
  EXPECT_TRUE(fs::exists(r->spool_path));  // removed by the daemon once the clip is committed
  ASSERT_TRUE(r->errors.empty()) << r->errors.front();
  ASSERT_EQ(r->files.size(), 1u);
  test::ClipFacts c = test::read_clip(r->files[0].path);
  EXPECT_TRUE(c.first_is_key);
  EXPECT_EQ(c.decode_errors, 0);
  EXPECT_LE(r->clip_start_ms, fired - 2000);
  EXPECT_GE(r->clip_end_ms, t0 + 8900);  // what reached the spool before the end
}

}  // namespace
}  // namespace gridsight::evidence
