#pragma once
// The event: one incident seen by one camera, minted on the edge (docs/protocol.md, "Event").

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/parse_error.h"

namespace gridsight::protocol {

// Coordinate reference system of a ground location. Cameras report WGS-84 most often,
// Chinese map data is GCJ-02; CGCS2000 is the national geodetic system.
enum class Crs { kWgs84, kGcj02, kCgcs2000 };
const char* to_string(Crs crs);
std::optional<Crs> crs_from_string(std::string_view s);

struct GeoPoint {
  double lon = 0;
  double lat = 0;
  Crs crs = Crs::kWgs84;
  bool operator==(const GeoPoint&) const = default;
};

// A detection box in normalised frame coordinates (0..1, origin top-left).
struct Box {
  double x = 0, y = 0, w = 0, h = 0;
  std::string label;
  double confidence = 0;
  std::optional<std::int64_t> track_id;
  bool operator==(const Box&) const = default;
};

// A reference to an evidence object that travels separately (see evidence_frame.h).
struct EvidenceRef {
  std::string hash;        // "sha256:<64 lower-case hex digits>"
  std::uint64_t size = 0;  // bytes
  std::string media_type;  // "image/jpeg" or "video/mp4"
  std::string role;        // "snapshot" or "clip"
  bool operator==(const EvidenceRef&) const = default;
};

struct Event {
  std::string event_id;   // UUIDv7, minted on the edge (globally unique, time-sortable)
  std::string device_id;  // the edge box
  std::string camera_id;  // a name or a 20-digit GB/T 28181 device code
  std::uint64_t seq = 0;  // per-device, strictly increasing, assigned by the edge outbox
  std::string type;       // edge event type, e.g. "zone.intrusion", "parking.illegal"
  std::int64_t start_ms = 0;  // UTC, milliseconds since the epoch
  std::optional<std::int64_t> end_ms;  // absent while the incident lasts
  bool clock_synced = false;           // was the edge clock synchronised when it was stamped
  double confidence = 0;               // 0..1
  std::string zone;                    // configured zone id, may be empty
  std::vector<Box> boxes;
  std::optional<GeoPoint> location;  // the ground spot the camera/zone watches
  std::vector<EvidenceRef> evidence;
  std::map<std::string, std::string> attributes;  // small detector-specific facts
  // Schema 1.1: an update of an incident already reported by the event `update_of` (same
  // device): kUpdateEvidence brings more evidence (the clip after its post-roll),
  // kUpdateEnded says the camera no longer sees it (end_ms set, a closing snapshot).
  std::string update_of;  // event id of the incident's first event; empty: not an update
  std::string update;     // kUpdateEvidence | kUpdateEnded when update_of is set
  bool is_update() const { return !update_of.empty(); }
  bool operator==(const Event&) const = default;
};

inline constexpr const char* kUpdateEvidence = "evidence";
inline constexpr const char* kUpdateEnded = "ended";

// Encodes with the current schema version. The event must be valid (see validate()).
std::string encode(const Event& event);

// Strictly decodes an event message. Refuses a newer major schema version, unknown fields
// (unless the message's minor version is newer than ours), wrong types, out-of-range values.
Parsed<Event> decode_event(std::string_view payload);

// Checks the invariants decode_event enforces; used by the edge before an event is committed.
std::optional<ParseError> validate(const Event& event);

}  // namespace gridsight::protocol
