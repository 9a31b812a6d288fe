// Evidence of real incidents through the real edge, with a real RTSP camera stand-in serving
// real footage: the clip reaches the pre-roll before the incident began (read back with
// libav's ffprobe), the event goes out before its clip, and the clip survives a kill -9.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/support/harness.h"

namespace gridsight::test {
namespace {

// Runs a shell command and returns its standard output (empty on failure).
std::string capture_output(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

// 20 s of OpenCV's walkway footage at 25 fps with B-frames and a keyframe every second.
std::filesystem::path make_footage(const TempDir& dir, const std::string& codec) {
  const auto out = dir / ("walkway-" + codec + ".mp4");
  const std::string enc = codec == "h265"
                              ? "-vf scale=640:360 -c:v libx265 -preset ultrafast -x265-params "
                                "log-level=error:keyint=25:min-keyint=25:bframes=2 -tag:v hvc1"
                              : "-c:v libx264 -preset veryfast -g 25 -bf 2";
  const std::string cmd = "ffmpeg -loglevel error -y -i " + std::string(GRIDSIGHT_VTEST_AVI) +
                          " -t 20 -r 25 -an -pix_fmt yuv420p " + enc + " " + out.string();
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("cannot run: " + cmd);
  return out;
}

// The camera stand-in on a free port.
struct Camera {
  int port = free_port();
  Process process;
  Camera(const TempDir& dir, const std::filesystem::path& file, const std::string& codec)
      : process("rtsp", {GRIDSIGHT_RTSP_SERVER, std::to_string(port), file.string(), codec},
                dir / ("rtsp-" + codec + ".log")) {
    process.start();
    if (!wait_until([&] { return port_accepts(port); }, 30s)) {
      throw std::runtime_error("RTSP server did not start: " + process.log_tail());
    }
  }
  std::string url() const { return "rtsp://127.0.0.1:" + std::to_string(port) + "/stream"; }
};

// A camera watching the whole frame for motion that lasts 3 s; the detector learns the
// background over 4 s first, so the incident begins well after the stream started.
std::string camera_yaml(const std::string& url) {
  return "  - id: cam-walk\n    url: " + url +
         "\n    reconnect: {initial: 200ms, max: 1s}\n"
         "    detection:\n"
         "      motion: {learning_time: 4s}\n"
         "      rules:\n"
         "        - {id: walkers, detector: motion, type: zone.intrusion, min_area: 0.002,\n"
         "           min_duration: 3s, end_hold: 3s, cooldown: 10m}\n";
}

// The clip of the incident event `event_id`: carried by the event itself or by a later
// update of it. Empty until it is complete at the aggregator.
std::optional<std::string> clip_hash(const Aggregator& agg, const std::string& event_id) {
  return query_text(agg.db(),
                    "SELECT e.hash FROM evidence e JOIN event_evidence x ON x.hash = e.hash "
                    "JOIN events v ON v.event_id = x.event_id WHERE e.complete = 1 AND "
                    "e.media_type = 'video/mp4' AND (v.event_id = '" +
                        event_id + "' OR json_extract(v.payload, '$.update_of') = '" + event_id +
                        "')");
}

class EvidenceSystem : public ::testing::TestWithParam<std::string> {};

TEST_P(EvidenceSystem, ClipCoversThePreRollBeforeTheIncidentBegan) {
  const std::string codec = GetParam();
  TempDir dir("gridsight-preroll");
  const auto footage = make_footage(dir, codec);
  Camera cam(dir, footage, codec);
  Mosquitto broker(dir / "broker");
  broker.start();
  AggregatorSpec as;
  as.mqtt_port = broker.port();
  Aggregator agg(dir.path(), as);
  agg.start();
  EdgeSpec es;
  es.device_id = "edge-preroll";
  es.cameras = {};
  es.mqtt_port = broker.port();
  const std::int64_t pre_roll_ms = 3000;
  es.extra_yaml = camera_yaml(cam.url()) +
                  "evidence:\n  directory: " + (dir / "evidence-work").string() +
                  "\n  pre_roll: 3s\n  post_roll: 2s\n";
  Edge edge(dir.path(), es);
  edge.start();

  std::string why;
  ASSERT_TRUE(wait_while_running(
      {&edge.process()},
      [&] {
        return query_int(agg.db(), "SELECT COUNT(*) FROM events WHERE type='zone.intrusion'")
                   .value_or(0) >= 1;
      },
      180s, &why))
      << why << edge.process().log_tail();
  const auto event_id = *query_text(
      agg.db(), "SELECT event_id FROM events WHERE type='zone.intrusion' ORDER BY seq LIMIT 1");
  const std::int64_t start_ms =
      *query_int(agg.db(), "SELECT start_ms FROM events WHERE event_id='" + event_id + "'");
  std::optional<std::string> hash;
  ASSERT_TRUE(wait_while_running(
      {&edge.process()}, [&] { return (hash = clip_hash(agg, event_id)).has_value(); }, 120s, &why))
      << why << edge.process().log_tail();

  // Read the clip back with libav (ffprobe): its first frame's camera time and its length.
  const auto file = agg.evidence_dir() / hash->substr(7);
  const std::string probe = capture_output(
      "ffprobe -v error -show_entries format_tags=gridsight_start_ms:format=duration:stream="
      "codec_name -of default=noprint_wrappers=1 " +
      file.string());
  auto field = [&](const std::string& key) {
    auto at = probe.find(key + "=");
    if (at == std::string::npos) return std::string();
    at += key.size() + 1;
    return probe.substr(at, probe.find('\n', at) - at);
  };
  ASSERT_FALSE(field("TAG:gridsight_start_ms").empty()) << probe;
  EXPECT_EQ(field("codec_name"), codec == "h265" ? "hevc" : "h264") << probe;
  const std::int64_t clip_start_ms = std::stoll(field("TAG:gridsight_start_ms"));
  const double duration_s = std::stod(field("duration"));
  // The incident began after the stream started, and the clip reaches pre_roll before it.
  EXPECT_LE(clip_start_ms, start_ms - pre_roll_ms)
      << "incident start " << start_ms << ", clip start " << clip_start_ms;
  // It runs on past the moment the rule fired (at least min_duration after the start) by the
  // post-roll.
  EXPECT_GE(clip_start_ms + static_cast<std::int64_t>(duration_s * 1000),
            start_ms + 3000 + 2000 - 100)  // one frame of rounding in the container duration
      << probe;
}

// The event is at the aggregator, with its snapshot, while its clip is still recording; the
// edge is killed (-9) then; after the restart the clip still arrives, as an update of that
// event, and no event is lost or doubled.
TEST(EvidenceKill, EventFirstAndItsClipSurvivesAKill) {
  TempDir dir("gridsight-eventfirst");
  const auto footage = make_footage(dir, "h264");
  Camera cam(dir, footage, "h264");
  Mosquitto broker(dir / "broker");
  broker.start();
  AggregatorSpec as;
  as.mqtt_port = broker.port();
  Aggregator agg(dir.path(), as);
  agg.start();
  EdgeSpec es;
  es.device_id = "edge-eventfirst";
  es.cameras = {};
  es.mqtt_port = broker.port();
  const auto work = dir / "evidence-work";
  // A long post-roll: the clip is still recording when the event has arrived.
  es.extra_yaml = camera_yaml(cam.url()) + "evidence:\n  directory: " + work.string() +
                  "\n  pre_roll: 2s\n  post_roll: 10s\n";
  Edge edge(dir.path(), es);
  edge.start();

  auto spools = [&] {
    std::size_t n = 0;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(work, ec)) {
      n += e.path().string().ends_with(".clip.spool") ? 1 : 0;
    }
    return n;
  };
  const std::string opening =
      "SELECT event_id FROM events WHERE type='zone.intrusion' AND "
      "json_extract(payload, '$.update_of') IS NULL";
  std::string why;
  ASSERT_TRUE(wait_while_running(
      {&edge.process()}, [&] { return query_text(agg.db(), opening).has_value() && spools() == 1; },
      180s, &why))
      << why << edge.process().log_tail();
  const std::string event_id = *query_text(agg.db(), opening);
  // The event came with its snapshot and without its clip.
  EXPECT_EQ(query_text(agg.db(),
                       "SELECT media_type FROM event_evidence WHERE event_id='" + event_id + "'"),
            "image/jpeg");
  EXPECT_FALSE(clip_hash(agg, event_id).has_value());

  edge.kill();
  ASSERT_EQ(spools(), 1u);  // the clip's recording survives on disk
  // The camera is gone too: after the restart no new incident can be seen, only the owed clip.
  cam.process.kill();
  edge.start();
  ASSERT_TRUE(wait_while_running(
      {&edge.process()}, [&] { return clip_hash(agg, event_id).has_value(); }, 180s, &why))
      << why << edge.process().log_tail();
  EXPECT_TRUE(edge.process().wait_for_log("recovering the clip", 1s));
  // One incident event, one update carrying its clip; the spool is gone once committed.
  EXPECT_EQ(query_int(agg.db(),
                      "SELECT COUNT(*) FROM events WHERE type='zone.intrusion' AND "
                      "json_extract(payload, '$.update_of') IS NULL"),
            1);
  EXPECT_EQ(query_text(agg.db(),
                       "SELECT json_extract(payload, '$.update') FROM events WHERE "
                       "json_extract(payload, '$.update_of') = '" +
                           event_id + "'"),
            "evidence");
  EXPECT_TRUE(wait_until([&] { return spools() == 0; }, 60s));
  // The recovered clip is a valid MP4 (libav reads it) with the stream's codec.
  const auto file = agg.evidence_dir() / clip_hash(agg, event_id)->substr(7);
  EXPECT_NE(capture_output("ffprobe -v error -show_entries stream=codec_name -of csv=p=0 " +
                           file.string())
                .find("h264"),
            std::string::npos);
}

// An incident that ends in front of the camera: the edge sends the update "ended" with a
// closing snapshot, and the aggregator records on the incident's case that the camera no
// longer sees it (docs/grid-engine.md, "Incident ended").
TEST(IncidentEndSystem, TheCaseShowsTheCameraNoLongerSeesIt) {
  TempDir dir("gridsight-incident-end");
  // 8 s of the walkway, then its last frame held still for 16 s: the motion ends.
  const auto footage = dir / "walk-then-still.mp4";
  // -t before -i: it cuts the input; after it, it would cut the padded output to 8 s.
  const std::string cmd = "ffmpeg -loglevel error -y -t 8 -i " + std::string(GRIDSIGHT_VTEST_AVI) +
                          " -r 25 -an -vf tpad=stop_mode=clone:stop_duration=16 "
                          "-pix_fmt yuv420p -c:v libx264 -preset veryfast -g 25 -bf 2 " +
                          footage.string();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  Camera cam(dir, footage, "h264");
  Mosquitto broker(dir / "broker");
  broker.start();
  const std::string grid = std::string(GRIDSIGHT_SOURCE_DIR) + "/config/grid/";
  AggregatorSpec as;
  as.mqtt_port = broker.port();
  as.extra_yaml =
      "cases:\n  enabled: true\n  grid_file: " + grid +
      "district-example.geojson\n  cameras_file: " + grid +
      "cameras.yaml\n  classes_file: " + grid + "classes.yaml\n  calendar_file: " + grid +
      "calendar-2026.yaml\n  engine_file: " + grid + "engine.yaml\n  tick_interval: 500ms\n";
  Aggregator agg(dir.path(), as);
  agg.start();
  EdgeSpec es;
  es.device_id = "edge-jianwai-01";
  es.cameras = {};
  es.mqtt_port = broker.port();
  // The registered camera of the example district; its rule reports an overflowing bin
  // (class 06042: filed at once; camera_end: verify).
  es.extra_yaml = "  - id: \"11010500001320000001\"\n    url: " + cam.url() +
                  "\n    reconnect: {initial: 200ms, max: 1s}\n"
                  "    detection:\n"
                  // The people frozen in the held frame become background after 4 s.
                  "      motion: {learning_time: 3s, absorb_time: 4s}\n"
                  "      rules:\n"
                  "        - {id: bin, detector: motion, type: garbage.overflow, min_area: 0.002,\n"
                  "           min_duration: 2s, end_hold: 2s, cooldown: 10m}\n"
                  "evidence:\n  directory: " +
                  (dir / "evidence-work").string() + "\n  pre_roll: 2s\n  post_roll: 1s\n";
  Edge edge(dir.path(), es);
  edge.start();

  const auto cases_db = dir / "data-aggregator" / "cases.db";
  std::string why;
  ASSERT_TRUE(wait_while_running(
      {&edge.process(), &agg.process()},
      [&] {
        return query_int(cases_db,
                         "SELECT COUNT(*) FROM case_transitions WHERE action='incident_ended'")
                   .value_or(0) >= 1;
      },
      180s, &why))
      << why << edge.process().log_tail() << agg.process().log_tail();
  EXPECT_TRUE(edge.process().wait_for_log("the camera no longer sees it", 1s));
  // One case; its history says the camera no longer sees it, with the closing snapshot.
  EXPECT_EQ(query_int(cases_db, "SELECT COUNT(*) FROM cases"), 1);
  const auto note =
      query_text(cases_db, "SELECT note FROM case_transitions WHERE action='incident_ended'");
  ASSERT_TRUE(note.has_value());
  EXPECT_NE(note->find("the camera no longer sees it"), std::string::npos) << *note;
  auto at = note->find("closing snapshot sha256:");
  ASSERT_NE(at, std::string::npos) << *note;
  const std::string hash = note->substr(at + 17, 71);
  // The update event at the aggregator names the incident's first event and its end.
  EXPECT_EQ(query_text(agg.db(),
                       "SELECT json_extract(payload, '$.update') FROM events WHERE "
                       "json_extract(payload, '$.update_of') IS NOT NULL AND "
                       "end_ms IS NOT NULL"),
            "ended");
  // The closing snapshot arrives complete.
  ASSERT_TRUE(wait_while_running(
      {&edge.process()},
      [&] {
        return query_int(agg.db(), "SELECT complete FROM evidence WHERE hash='" + hash + "'")
                   .value_or(0) == 1;
      },
      120s, &why))
      << why;
  EXPECT_EQ(sha256_file(agg.evidence_dir() / hash.substr(7)), hash);
}

INSTANTIATE_TEST_SUITE_P(Codecs, EvidenceSystem, ::testing::Values("h264", "h265"),
                         [](const auto& test_param) { return test_param.param; });

}  // namespace
}  // namespace gridsight::test
