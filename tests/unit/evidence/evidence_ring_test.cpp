#include <gtest/gtest.h>

#include "edge/capture/packet_internal.h"  // StreamInfo::Impl, for placeholder streams
#include "edge/evidence/media.h"
#include "edge/evidence/ring.h"

namespace gridsight::evidence {
namespace {

using capture::EncodedPacket;
using capture::PacketPtr;
using capture::StreamInfo;

// 10 packets per second, a keyframe every `gop` packets, `size` bytes each.
PacketPtr packet(const std::shared_ptr<const StreamInfo>& s, int i, int gop = 10,
                 std::size_t size = 100) {
  auto p = std::make_shared<EncodedPacket>();
  p->stream = s;
  p->time_ms = 1000 + i * 100;
  p->pts = p->dts = i;
  p->keyframe = i % gop == 0;
  p->data.assign(size, 0);
  return p;
}

std::shared_ptr<const StreamInfo> stream() {
  return std::make_shared<StreamInfo>(nullptr);
}

TEST(PacketRing, KeepsWholeGopsCoveringThePreRoll) {
  auto s = stream();
  PacketRing ring(3000, 1 << 20);
  for (int i = 0; i < 100; ++i) ring.push(packet(s, i));
  // Newest at 1000 + 99*100 = 10900; pre-roll reaches back to 7900, inside the GOP starting
  // at packet 60 (7000).
  EXPECT_EQ(ring.newest_ms(), 10900);
  EXPECT_EQ(ring.oldest_ms(), 7000);
  EXPECT_EQ(ring.size(), 40u);
  EXPECT_EQ(ring.bytes(), 4000u);
  auto since = ring.since(9000);
  ASSERT_FALSE(since.empty());
  EXPECT_TRUE(since.front()->keyframe);
  EXPECT_EQ(since.front()->time_ms, 9000);
  auto older = ring.since(100);  // before the ring: from its first keyframe
  EXPECT_EQ(older.front()->time_ms, 7000);
  EXPECT_EQ(older.size(), 40u);
}

TEST(PacketRing, BoundedInBytes) {
  auto s = stream();
  PacketRing ring(60'000, 2500);
  for (int i = 0; i < 100; ++i) ring.push(packet(s, i));
  EXPECT_LE(ring.bytes(), 2500u);
  EXPECT_GT(ring.evicted_for_bytes(), 0u);
  EXPECT_TRUE(ring.since(0).front()->keyframe);
}

TEST(PacketRing, StartsOnAKeyframeAndRestartsOnANewStream) {
  auto s = stream();
  PacketRing ring(3000, 1 << 20);
  for (int i = 5; i < 10; ++i) ring.push(packet(s, i));  // no keyframe yet: useless
  EXPECT_EQ(ring.size(), 0u);
  for (int i = 10; i < 25; ++i) ring.push(packet(s, i));
  EXPECT_EQ(ring.size(), 15u);
  auto s2 = stream();  // a reconnect: other codec parameters
  ring.push(packet(s2, 30));
  EXPECT_EQ(ring.size(), 1u);
  EXPECT_EQ(ring.since(0).front()->stream, s2);
}

TEST(DrawBoxes, OutlinesInsideTheImage) {
  const int w = 100, h = 50;
  std::vector<std::uint8_t> rgb(w * h * 3, 0);
  protocol::Box b;
  b.x = 0.1;
  b.y = 0.2;
  b.w = 0.5;
  b.h = 0.6;
  protocol::Box outside;  // clipped, never out of bounds
  outside.x = 0.9;
  outside.y = 0.9;
  outside.w = 0.5;
  outside.h = 0.5;
  draw_boxes(rgb.data(), w, h, w * 3, {b, outside});
  auto px = [&](int x, int y) { return rgb[(y * w + x) * 3]; };
  EXPECT_EQ(px(10, 10), 255);  // top-left corner of the first box
  EXPECT_EQ(px(30, 10), 255);  // top edge
  EXPECT_EQ(px(10, 30), 255);  // left edge
  EXPECT_EQ(px(30, 25), 0);    // inside: untouched
  EXPECT_EQ(px(5, 5), 0);      // outside
}

}  // namespace
}  // namespace gridsight::evidence
