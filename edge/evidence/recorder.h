#pragma once
// EvidenceRecorder: keeps every camera's packet ring (it is the capture supervisor's
// PacketObserver) and takes triggers (camera, time, boxes). For each trigger, on its own
// worker thread, it delivers two results:
//  1. at once, Stage::kEvent: the JPEG snapshot with the boxes drawn, to go with the event;
//  2. once the post-roll is recorded, Stage::kClip: the MP4 clip (pre-roll + post-roll,
//     remuxed), evidence of that event.
// After the event is committed, bind() spools the recording clip to disk (edge/evidence/
// spool.h), so a clip whose daemon died is written at the next start and delivered as a
// Stage::kClip result of a recovered spool. Files are the outbox's to move, hash and send.

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
  std::int64_t time_ms = 0;          // camera timeline (AnalyticsFrame::time_ms): the rule fired
  std::vector<protocol::Box> boxes;  // drawn on the snapshot (the frame at time_ms)
  // When the incident began (first evidence of it, <= time_ms); 0: time_ms. The clip runs
  // from the keyframe at or before start_ms - pre_roll to time_ms + post_roll.
  std::int64_t start_ms = 0;
  std::int64_t clip_from_ms() const { return (start_ms > 0 ? start_ms : time_ms); }
};

struct EvidenceFile {
  std::string path;
  std::string media_type;  // "image/jpeg" | "video/mp4"
  std::string role;        // "snapshot" | "clip"
};

struct EvidenceResult {
  enum class Stage { kEvent, kClip };
  Stage stage = Stage::kEvent;
  std::uint64_t trigger_id = 0;  // 0 for a clip recovered from a spool
  Trigger trigger;
  std::vector<EvidenceFile> files;  // may be empty (see errors)
  std::vector<std::string> errors;
  std::int64_t clip_start_ms = 0, clip_end_ms = 0;  // camera time covered by the clip
  std::int64_t snapshot_ms = 0;                     // camera time of the snapshot frame
  // kClip: the event it is evidence of (as given to bind(), or read back from its spool),
  // and the spool to remove once the clip's update is committed (empty: none).
  std::string event;
  std::string spool_path;
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

  // The camera's rules fire up to `delay_ms` after an incident began: its ring keeps
  // pre_roll + delay_ms (+ the GOP around it), so a clip still starts pre_roll before the
  // incident. Applies from the camera's next packet; default 0.
  void set_detection_delay(const std::string& camera_id, std::int64_t delay_ms);

  // Records evidence around `t`. Returns its id, or 0 when refused (too many pending).
  std::uint64_t trigger(Trigger t);

  // A snapshot alone (e.g. when an incident ended): one Stage::kEvent result. Returns its id.
  std::uint64_t snapshot(Trigger t);

  // The event of trigger `id` is committed (`event`: it encoded): its clip, if still recording,
  // is spooled to disk from now on and its result names the event. False when the clip is
  // already written or there is none.
  bool bind(std::uint64_t id, const std::string& event);

  // No trigger pending, being written or waiting to be taken by next().
  bool idle() const;

  // The next finished evidence, waiting up to `timeout`.
  std::optional<EvidenceResult> next(std::chrono::milliseconds timeout);

  // Ring occupancy of one camera (status page, tests).
  struct RingStats {
    std::uint64_t bytes = 0;
    std::size_t packets = 0;
    std::int64_t oldest_ms = 0, newest_ms = 0;
    std::int64_t keep_ms = 0;  // how far back it reaches (pre_roll + detection delay)
  };
  RingStats ring(const std::string& camera_id) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gridsight::evidence
