// Real footage through the real edge: capture, analytics, evidence, outbox, uplink, and the
// aggregator storing the event with its snapshot and clip.
#include <gtest/gtest.h>

#include <cstdlib>
#include <set>

#include "tests/support/harness.h"

namespace gridsight::test {
namespace {

TEST(VideoSystem, IntrusionOnRealFootageArrivesWithSnapshotAndClip) {
  TempDir dir("gridsight-video");
  // The part of OpenCV's walkway footage where two people step onto the lawn (~51 s).
  const auto clip = dir / "walkway.mp4";
  const std::string cmd = "ffmpeg -loglevel error -y -ss 44 -t 16 -i " +
                          std::string(GRIDSIGHT_VTEST_AVI) +
                          " -c:v libx264 -preset veryfast -g 20 -pix_fmt yuv420p -an " +
                          clip.string();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;

  Mosquitto broker(dir / "broker");
  broker.start();
  AggregatorSpec as;
  as.mqtt_port = broker.port();
  Aggregator agg(dir.path(), as);
  agg.start();

  EdgeSpec es;
  es.device_id = "edge-video";
  es.cameras = {};
  es.mqtt_port = broker.port();
  es.extra_yaml = R"(  - id: cam-walkway
    location: {lon: 116.4512, lat: 39.9112, crs: GCJ02}
    url: )" + clip.string() + R"(
    realtime: false
    detection:
      zones:
        - id: lawn
          polygon: [0.00, 0.50, 0.50, 0.66, 0.80, 0.82, 1.00, 0.92, 1.00, 1.00, 0.00, 1.00]
      rules:
        - {id: lawn-intrusion, detector: motion, type: zone.intrusion, zones: [lawn],
           min_area: 0.004, min_duration: 1s, end_hold: 3s, cooldown: 30s}
evidence:
  directory: )" + (dir / "evidence-work").string() + R"(
  pre_roll: 3s
  post_roll: 2s
)";
  Edge edge(dir.path(), es);
  edge.start();

  ASSERT_TRUE(wait_until(
      [&] {
        return query_int(agg.db(), "SELECT COUNT(*) FROM events WHERE type='zone.intrusion'")
                   .value_or(0) >= 1;
      },
      180s))
      << edge.process().log_tail();
  // Its evidence follows: a JPEG snapshot and an MP4 clip, complete and matching their hashes.
  ASSERT_TRUE(wait_until(
      [&] {
        return query_int(agg.db(),
                         "SELECT COUNT(*) FROM evidence e JOIN event_evidence x ON x.hash = e.hash "
                         "JOIN events v ON v.event_id = x.event_id "
                         "WHERE v.type = 'zone.intrusion' AND e.complete = 1")
                   .value_or(0) >= 2;
      },
      120s))
      << edge.process().log_tail();
  auto rows = query(agg.db(),
                    "SELECT e.hash, e.media_type FROM evidence e JOIN event_evidence x ON "
                    "x.hash = e.hash JOIN events v ON v.event_id = x.event_id WHERE v.type = "
                    "'zone.intrusion' ORDER BY e.media_type");
  ASSERT_GE(rows.size(), 2u);
  std::set<std::string> types;
  for (const auto& r : rows) {
    types.insert(*r[1]);
    const auto file = agg.evidence_dir() / r[0]->substr(7);
    EXPECT_EQ(sha256_file(file), *r[0]);
  }
  EXPECT_TRUE(types.count("image/jpeg"));
  EXPECT_TRUE(types.count("video/mp4"));
  // The event names the zone and carries a box and the camera's location.
  auto zone = query_text(agg.db(), "SELECT zone FROM events WHERE type='zone.intrusion' LIMIT 1");
  EXPECT_EQ(zone, "lawn");
  EXPECT_EQ(query_text(agg.db(), "SELECT crs FROM events WHERE type='zone.intrusion' LIMIT 1"),
            "GCJ02");
}

}  // namespace
}  // namespace gridsight::test
