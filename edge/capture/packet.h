#pragma once
// Compressed video packets as they leave the demuxer, for the evidence ring. The codec
// parameters are opaque here (libav stays out of headers); edge/evidence reads them through
// edge/capture/packet_internal.h.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace gridsight::capture {

// Codec parameters of one video stream of one session (SPS/PPS, size, time base).
class StreamInfo {
 public:
  struct Impl;
  explicit StreamInfo(std::unique_ptr<Impl> impl);
  ~StreamInfo();
  StreamInfo(const StreamInfo&) = delete;
  StreamInfo& operator=(const StreamInfo&) = delete;

  std::string codec_name() const;
  int width() const;
  int height() const;
  const Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

struct EncodedPacket {
  std::shared_ptr<const StreamInfo> stream;
  std::vector<std::uint8_t> data;
  std::int64_t pts = INT64_MIN;  // in the stream's time base; INT64_MIN: unknown
  std::int64_t dts = INT64_MIN;
  std::int64_t duration = 0;
  std::int64_t time_ms = 0;  // camera timeline, same clock as AnalyticsFrame::time_ms
  bool keyframe = false;
};

using PacketPtr = std::shared_ptr<const EncodedPacket>;

// Receives the main stream's packets (edge/evidence's recorder implements it). Called on the
// camera's capture thread: must return quickly.
class PacketObserver {
 public:
  virtual ~PacketObserver() = default;
  virtual void on_packet(const std::string& camera_id, PacketPtr packet) = 0;
  // The source ended or broke: nothing more will follow until it reconnects.
  virtual void on_stream_end(const std::string& camera_id) = 0;
};

}  // namespace gridsight::capture
