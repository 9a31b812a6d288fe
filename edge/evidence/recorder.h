#pragma once
// EvidenceRecorder: keeps every camera's packet ring (it is the capture supervisor's
// PacketObserver), takes triggers (camera, time, boxes) and, once the post-roll is recorded,
// writes an MP4 clip (pre-roll + post-roll, remuxed) and a JPEG snapshot with the boxes drawn,
// on its own worker thread. The result is files on disk plus the fields the edge outbox needs
// (path, media type, role); the outbox moves, hashes and sends them.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "edge/capture/packet.h"
#include "protocol/event.h"

namespace gridsight::config {
class Section;
}

namespace gridsight::evidence {

struct EvidenceConfig {
  std::string directory;                       // where files are written (created if absent)
  std::int64_t pre_roll_ms = 10'000;           // clip starts at the keyframe before this
  std::int64_t post_roll_ms = 5'000;           // recorded after the trigger
  std::uint64_t ring_max_bytes = 32ull << 20;  // per camera
  bool clip = true;
  bool snapshot = true;
  int jpeg_quality = 85;
  // A trigger whose post-roll never completes (the camera died) is written with what it has
  // after this long (steady time), or at once when the camera's stream ends.
  std::int64_t max_wait_ms = 60'000;
  std::size_t max_pending = 32;  // triggers waiting for post-roll, all cameras

  static EvidenceConfig read(config::Section& s);
};

struct Trigger {
  std::string camera_id;
  std::int64_t time_ms = 0;  // camera timeline (AnalyticsFrame::time_ms)
  std::vector<protocol::Box> boxes;
};

struct EvidenceFile {
  std::string path;
  std::string media_type;  // "image/jpeg" | "video/mp4"
  std::string role;        // "snapshot" | "clip"
};

struct EvidenceResult {
  std::uint64_t trigger_id = 0;
  Trigger trigger;
  std::vector<EvidenceFile> files;  // may be empty (see errors)
  std::vector<std::string> errors;
  std::int64_t clip_start_ms = 0, clip_end_ms = 0;  // camera time covered by the clip
  std::int64_t snapshot_ms = 0;                     // camera time of the snapshot frame
};

class EvidenceRecorder final : public capture::PacketObserver {
 public:
  explicit EvidenceRecorder(EvidenceConfig config, Clock& clock = SystemClock::instance());
  ~EvidenceRecorder() override;  // pending triggers are written with what they have
  EvidenceRecorder(const EvidenceRecorder&) = delete;
  EvidenceRecorder& operator=(const EvidenceRecorder&) = delete;

  // PacketObserver (capture threads).
  void on_packet(const std::string& camera_id, capture::PacketPtr packet) override;
  void on_stream_end(const std::string& camera_id) override;

  // Records evidence around `t`. Returns its id, or 0 when refused (too many pending).
  std::uint64_t trigger(Trigger t);

  // The next finished evidence, waiting up to `timeout`.
  std::optional<EvidenceResult> next(std::chrono::milliseconds timeout);

  // Ring occupancy of one camera (status page, tests).
  struct RingStats {
    std::uint64_t bytes = 0;
    std::size_t packets = 0;
    std::int64_t oldest_ms = 0, newest_ms = 0;
  };
  RingStats ring(const std::string& camera_id) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gridsight::evidence
