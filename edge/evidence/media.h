#pragma once
// Writing evidence files from ring packets: an MP4 clip remuxed without re-encoding, and a
// JPEG snapshot with the detection boxes drawn. libav stays in media.cpp.

#include <cstdint>
#include <string>
#include <vector>

#include "edge/capture/packet.h"
#include "protocol/event.h"

namespace gridsight::evidence {

struct ClipInfo {
  std::int64_t start_ms = 0;  // camera time of the first (key) frame
  std::int64_t end_ms = 0;    // camera time after the last frame
  std::size_t packets = 0;
};

// MP4 metadata tag holding the camera time (UTC ms) of the clip's first frame.
inline constexpr const char* kClipStartTag = "gridsight_start_ms";

// Writes `packets` (from the first keyframe on, one stream only) as an MP4 with its index at
// the front (faststart), timestamps starting at zero and the first frame's camera time in the
// kClipStartTag metadata tag. Throws std::runtime_error.
ClipInfo write_clip(const std::vector<capture::PacketPtr>& packets, const std::string& path);

// Decodes from the first keyframe up to the frame shown at `at_ms` (the last one at or before
// it), draws `boxes` (normalised coordinates) and writes a JPEG with libjpeg-turbo.
// Returns the camera time of the frame used. Throws std::runtime_error.
std::int64_t write_snapshot(const std::vector<capture::PacketPtr>& packets, std::int64_t at_ms,
                            const std::vector<protocol::Box>& boxes, int quality,
                            const std::string& path);

// Encodes packed pixels (3 channels: BGR24, 1: GRAY8) as a JPEG with libjpeg-turbo, e.g. a
// camera's latest analytics frame for the status page. Throws std::runtime_error.
std::string encode_jpeg(const std::uint8_t* pixels, int width, int height, int stride,
                        int channels, int quality);

// Draws rectangle outlines into a packed RGB24 image (exposed for tests).
void draw_boxes(std::uint8_t* rgb, int width, int height, int stride,
                const std::vector<protocol::Box>& boxes);

}  // namespace gridsight::evidence
