#pragma once
// Per-camera analytics configuration (docs/analytics.md): zones, lines, masks, schedules,
// detector tuning and rules. Read from the camera's `detection:` section with
// config::Section, so a wrong value names the file, line and key. No OpenCV here: the edge
// config can include this header without pulling the vision code in.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocol/event.h"

namespace gridsight::config {
class Section;
}

namespace gridsight::analytics {

// A point in normalised frame coordinates (0..1, origin top-left).
struct Point {
  double x = 0;
  double y = 0;
  bool operator==(const Point&) const = default;
};

// A polygon region of the frame that watches one ground spot.
struct Zone {
  std::string id;
  std::vector<Point> polygon;                  // >= 3 points
  std::optional<protocol::GeoPoint> location;  // the ground spot (grid cell lookup)
};

// Which crossings of a tripwire count. Sides are as seen walking from `from` to `to`.
enum class Direction { kAny, kLeftToRight, kRightToLeft };

struct Line {
  std::string id;
  Point from;
  Point to;
  Direction direction = Direction::kAny;
  std::optional<protocol::GeoPoint> location;
};

// A region ignored by every detector (timestamps, trees, sky).
struct Mask {
  std::string id;
  std::vector<Point> polygon;
};

// Local-time windows, e.g. {days: [mon, tue], from: "22:00", to: "06:00"} (to < from: the
// window runs past midnight and belongs to the day it starts on).
struct TimeWindow {
  std::uint8_t days = 0x7f;  // bit 0 = Monday ... bit 6 = Sunday
  int from_min = 0;          // minutes after local midnight
  int to_min = 24 * 60;
};

struct Schedule {
  std::string id;
  std::vector<TimeWindow> windows;
  // Whether `utc_ms` (stream time) falls in a window, with local time = UTC + offset.
  bool active(std::int64_t utc_ms, int utc_offset_min) const;
};

// Background subtraction shared by motion/intrusion and line crossing.
struct MotionSettings {
  int work_width = 320;                // analysed at this width (aspect kept)
  std::int64_t learn_ms = 2'000;       // warm-up before anything is reported
  std::int64_t background_ms = 8'000;  // time constant of background adaptation
  std::int64_t absorb_ms = 120'000;    // a still object becomes background after ~this
  double threshold = 14;               // minimum grey-level difference (0..255)
  double noise_factor = 3.5;           // threshold >= factor * mean residual difference
  double global_change = 0.45;         // frame fraction changed at once: a light switch
  double min_blob = 0.0006;            // smallest object, fraction of the frame area
  double shadow_uniformity = 0.1;      // a blob changed by a ratio this uniform is illumination
  static MotionSettings read(config::Section& s);
};

// Camera tamper: covered, defocused, turned (scene changed), signal lost.
struct TamperSettings {
  std::int64_t learn_ms = 5'000;       // reference learnt over the first seconds
  std::int64_t reference_ms = 60'000;  // time constant of reference adaptation (dusk)
  std::int64_t relearn_ms = 600'000;   // a changed view becomes the reference after this
  double covered_contrast = 0.3;       // contrast and detail below this share: covered
  double covered_share = 0.6;          // share of the view blocked (0.3..1): covered
  double defocus_ratio = 0.65;         // sharpness below this share of the reference
  double turned_similarity = 0.45;     // structure correlation below this: turned
  double blank_std = 0.5;              // grey std below this: a "no video" screen
  std::int64_t signal_gap_ms = 3'000;  // no frame for this long: signal lost
  static TamperSettings read(config::Section& s);
};

enum class DetectorKind {
  kMotion,
  kLineCrossing,
  kTamper,
  // On tracked objects and static regions (detectors/objects, docs/analytics.md "Objects").
  kLoitering,
  kCrowd,
  kParking,
  kLeftObject,
  kStall,
  kFire,  // experimental: not evaluated on footage; a rule must say `experimental: true`
};
const char* to_string(DetectorKind kind);

// The object classes rules speak of; a detection backend maps its labels onto these.
enum class ObjectClass { kPerson, kVehicle, kBicycle, kOther };
inline constexpr std::size_t kObjectClasses = 4;
const char* to_string(ObjectClass cls);

// A detection model described by a manifest file in models/ (docs/analytics.md "Models").
struct ModelManifest {
  std::string manifest;     // the manifest's path (named in every error)
  std::string format;       // darknet | onnx | caffe | tensorflow
  std::string file;         // weights, resolved against the manifest's folder
  std::string config_file;  // darknet .cfg / caffe .prototxt / tf .pbtxt, or empty
  int input_width = 0, input_height = 0;
  double scale = 1.0 / 255;
  std::array<double, 3> mean{0, 0, 0};
  bool swap_rb = true;            // the model wants RGB
  std::string decoding;           // yolo: rows [cx, cy, w, h, objectness, class scores...]
                                  // ssd: [1, 1, N, 7] rows [image, class, score, x1, y1, x2, y2]
  bool class_offset = false;      // ssd: class ids start at 1 (0 = background)
  bool pixel_boxes = false;       // yolo: boxes in input pixels (else normalised 0..1)
  bool times_objectness = false;  // yolo: class scores still to be multiplied by objectness
  double confidence = 0.5;
  double nms = 0.45;
  std::vector<std::string> labels;
  std::vector<int> classes;  // per label: ObjectClass, or -1 (label ignored)
  // Reads and checks a manifest; a missing or unreadable model file fails naming the manifest.
  static ModelManifest load(const std::string& path);
};

// Object detection, tracking and static regions, shared by the object rules.
struct ObjectSettings {
  std::string backend = "blobs";  // blobs | hog | dnn
  std::optional<ModelManifest> model;
  std::int64_t scan_interval_ms = 2'000;  // hog/dnn: full frame at most this often
  std::int64_t detect_interval_ms = 0;    // hog/dnn: motion regions at most this often
  int max_regions = 4;                    // motion regions per run (more: their union)
  double min_confidence = 0.4;
  // blobs: calibrated size and shape (normalised to the frame)
  double person_min_height = 0.06, person_max_height = 0.7, person_min_aspect = 1.3;
  double vehicle_min_area = 0.008, vehicle_max_aspect = 1.0;  // h / w at most this
  // tracking
  std::int64_t max_missed_ms = 2'000;  // a track survives an occlusion this long
  double match_distance = 0.08;        // centroid distance (frame widths) still matched
  double still_radius = 0.015;         // moving less than this counts as stationary
  std::int64_t confirm_ms = 600;       // seen this long before a track counts
  // static regions (left objects, stalls)
  std::int64_t static_after_ms = 3'000;  // foreground unchanged this long: static
  double static_min_area = 0.0008;
  double static_diff = 10;  // grey-level change still "unchanged"
  static ObjectSettings read(config::Section& s);
};

// Tamper subtypes, each reported as its own incident type with its own minimum duration.
enum class TamperSubtype { kCovered, kDefocused, kTurned, kSignalLost, kOffPreset };
inline constexpr std::size_t kTamperSubtypes = 5;
const char* to_string(TamperSubtype subtype);

struct SubtypeRule {
  bool enabled = true;
  std::int64_t min_duration_ms = 0;
};

// Binds a detector to zones (or lines) with thresholds, minimum duration and cool-down.
struct Rule {
  std::string id;
  DetectorKind detector = DetectorKind::kMotion;
  std::string type;                // edge event type; default from the detector
  std::vector<std::string> zones;  // motion: zone ids (empty: the whole frame)
  std::vector<std::string> lines;  // line_crossing: line ids (empty: every line)
  std::string schedule;            // empty: always active
  std::int64_t min_duration_ms = 0;
  std::int64_t end_hold_ms = 2'000;     // a gap this short does not end the condition
  std::int64_t cooldown_ms = 60'000;    // after an incident closes, no new one before this
  std::int64_t update_interval_ms = 0;  // 0: no update records while it lasts
  double min_area = 0.02;               // motion: changed share of the zone
  double min_confidence = 0;            // drop observations below this
  std::array<SubtypeRule, kTamperSubtypes> subtypes{};  // tamper only
  // object rules (loitering, crowd, parking, left_object, stall)
  std::int64_t dwell_ms = 0;  // how long a track / region stays before it counts
  int min_count = 1;          // crowd: people in the zone; stall: people nearby
  double near = 0.15;         // stall: people within this distance (frame widths)
  std::uint8_t classes = 0;   // parking: bit per ObjectClass counted
  static Rule read(config::Section& s);
};

struct AnalyticsConfig {
  bool enabled = true;
  bool ptz = false;        // a PTZ camera: a view off its preset pauses analytics ("off preset")
  int utc_offset_min = 0;  // local time for schedules
  std::vector<Zone> zones;
  std::vector<Line> lines;
  std::vector<Mask> masks;
  std::vector<Schedule> schedules;
  MotionSettings motion;
  TamperSettings tamper;
  ObjectSettings objects;
  std::vector<Rule> rules;

  // Reads and cross-checks (ids unique, rules name existing zones, lines and schedules).
  static AnalyticsConfig read(config::Section& s);
  const Zone* zone(const std::string& id) const;
  const Line* line(const std::string& id) const;
  const Schedule* schedule(const std::string& id) const;
};

}  // namespace gridsight::analytics
