#pragma once
// A clip still recording, on disk: the event it is evidence of, the stream's codec parameters
// and every packet so far, appended as it arrives. The event is committed as soon as its rule
// fires; its clip follows when the post-roll ends. Should the daemon die in between (kill -9,
// a crash), the next start writes the clip from its spool, with the packets that reached the
// file, and sends it as evidence of that event (docs/capture.md, "Event first, clip after").
//
// File: "GSSPOOL1", u32 header length, JSON header, then records
// {u32 size, i64 pts, i64 dts, i64 duration, i64 time_ms, u8 keyframe, size bytes}
// (little-endian, this machine's order: a spool never leaves the box). A torn last record
// (the process died mid-write) is dropped when read.

#include <cstdint>
#include <string>
#include <vector>

#include "edge/capture/packet.h"

namespace gridsight::evidence {

struct SpoolHeader {
  std::string event;         // the committed event, encoded (protocol::encode)
  std::int64_t time_ms = 0;  // the trigger: the rule fired (camera time)
  std::int64_t end_ms = 0;   // the clip ends here (time_ms + post_roll)
};

class ClipSpool {
 public:
  // Creates `path` with the header and `stream`'s codec parameters. Throws std::runtime_error.
  ClipSpool(std::string path, const SpoolHeader& header, const capture::StreamInfo& stream);
  ~ClipSpool();  // closes the file; it stays until the clip's update is committed
  ClipSpool(const ClipSpool&) = delete;
  ClipSpool& operator=(const ClipSpool&) = delete;

  // Appends one packet (a write to the page cache: it survives the process, not power loss).
  // A failure is logged once and later packets are not spooled.
  void append(const capture::EncodedPacket& packet);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

struct SpooledClip {
  SpoolHeader header;
  std::vector<capture::PacketPtr> packets;
};

// Reads a spool. Throws std::runtime_error when its header is unreadable.
SpooledClip read_spool(const std::string& path);

}  // namespace gridsight::evidence
