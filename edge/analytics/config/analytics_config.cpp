#include "edge/analytics/config/analytics_config.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "common/config/location.h"
#include "common/config/section.h"

namespace gridsight::analytics {
namespace {

Point read_point(config::Section& s, const char* key) {
  auto v = s.numbers(key);
  if (v.size() != 2) s.fail(key, "must be [x, y] in normalised frame coordinates (0..1)");
  if (v[0] < 0 || v[0] > 1 || v[1] < 0 || v[1] > 1) s.fail(key, "x and y must be within 0..1");
  return {v[0], v[1]};
}

// A polygon as a flat list [x1, y1, x2, y2, ...] in normalised coordinates.
std::vector<Point> read_polygon(config::Section& s, const char* key) {
  if (!s.has(key)) s.fail(key, "is required: [x1, y1, x2, y2, x3, y3, ...]");
  auto v = s.numbers(key);
  if (v.size() < 6 || v.size() % 2 != 0) {
    s.fail(key, "must be a flat list of at least 3 points: [x1, y1, x2, y2, x3, y3, ...]");
  }
  std::vector<Point> out;
  for (std::size_t i = 0; i < v.size(); i += 2) {
    if (v[i] < 0 || v[i] > 1 || v[i + 1] < 0 || v[i + 1] > 1) {
      s.fail(key, "coordinates must be within 0..1 (normalised to the frame)");
    }
    out.push_back({v[i], v[i + 1]});
  }
  double area2 = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const Point& a = out[i];
    const Point& b = out[(i + 1) % out.size()];
    area2 += a.x * b.y - b.x * a.y;
  }
  if (std::abs(area2) < 1e-6) s.fail(key, "the polygon has no area");
  return out;
}

bool valid_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

std::string read_id(config::Section& s) {
  std::string id = s.required_string("id");
  if (!valid_id(id)) s.fail("id", "must be 1-64 of [A-Za-z0-9._-]");
  return id;
}

bool valid_type(const std::string& t) {
  if (t.empty() || t.size() > 64) return false;
  return std::all_of(t.begin(), t.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_';
  });
}

int parse_clock(config::Section& s, const char* key, const std::string& v) {
  // "HH:MM", 00:00 .. 24:00
  if (v.size() == 5 && v[2] == ':' && std::isdigit(static_cast<unsigned char>(v[0])) &&
      std::isdigit(static_cast<unsigned char>(v[1])) &&
      std::isdigit(static_cast<unsigned char>(v[3])) &&
      std::isdigit(static_cast<unsigned char>(v[4]))) {
    int h = (v[0] - '0') * 10 + (v[1] - '0');
    int m = (v[3] - '0') * 10 + (v[4] - '0');
    if (m < 60 && (h < 24 || (h == 24 && m == 0))) return h * 60 + m;
  }
  s.fail(key, "must be a local time HH:MM (00:00 to 24:00), got \"" + v + "\"");
}

int parse_offset(config::Section& s, const std::string& v) {
  // "+08:00", "-05:30", "Z"
  if (v == "Z" || v == "UTC") return 0;
  if (v.size() == 6 && (v[0] == '+' || v[0] == '-') && v[3] == ':') {
    std::string hhmm = v.substr(1);
    int m = parse_clock(s, "utc_offset", hhmm);
    if (m <= 14 * 60) return v[0] == '-' ? -m : m;
  }
  s.fail("utc_offset", "must be like +08:00, -05:30 or Z, got \"" + v + "\"");
}

template <class T>
void check_unique(config::Section& item, const std::vector<T>& items, const char* what) {
  for (std::size_t i = 0; i + 1 < items.size(); ++i) {
    if (items[i].id == items.back().id) item.fail("id", std::string("duplicate ") + what + " id");
  }
}

bool is_object_rule(DetectorKind d) {
  return d == DetectorKind::kLoitering || d == DetectorKind::kCrowd ||
         d == DetectorKind::kParking || d == DetectorKind::kLeftObject || d == DetectorKind::kStall;
}

// Keys that are valid on their own but would have no effect where they are written (no rule
// uses them): refused, so nothing accepted is ignored.
void check_applies(config::Section& s, config::Section& motion, std::vector<config::Section>& rules,
                   const AnalyticsConfig& c) {
  if (!c.enabled) return;  // enabled: false switches every detector off, on purpose
  auto any = [&](auto pred) { return std::any_of(c.rules.begin(), c.rules.end(), pred); };
  const bool tamper = any([](const Rule& r) { return r.detector == DetectorKind::kTamper; });
  const bool objects = any([](const Rule& r) { return is_object_rule(r.detector); });
  const bool foreground = any([](const Rule& r) { return r.detector != DetectorKind::kTamper; });
  const bool scheduled = any([](const Rule& r) { return !r.schedule.empty(); });
  if (s.has("tamper") && !tamper) {
    s.fail("tamper",
           "applies only to a tamper rule (rules: [{detector: tamper}]); none is configured");
  }
  if (c.ptz && !tamper) {
    s.fail("ptz", "a view off its preset is found by the tamper rule; none is configured");
  }
  if (s.has("objects") && !objects) {
    s.fail("objects",
           "applies only to object rules (loitering, crowd, parking, left_object, stall); none is "
           "configured");
  }
  if (s.has("utc_offset") && !scheduled) {
    s.fail("utc_offset", "is the local time of schedules; no rule has a schedule");
  }
  if (!foreground) {
    for (const char* key : {"learning_time", "background_time", "absorb_time", "threshold",
                            "noise_factor", "global_change", "min_blob", "shadow_uniformity"}) {
      if (motion.has(key)) {
        motion.fail(key,
                    "applies to the background subtraction of motion, line_crossing, object "
                    "and fire rules; only a tamper rule is configured");
      }
    }
  }
  for (std::size_t i = 0; i < c.rules.size(); ++i) {
    if (c.rules[i].detector != DetectorKind::kTamper) continue;
    if (!c.ptz && rules[i].has("off_preset")) {
      rules[i].fail("off_preset", "applies only to a PTZ camera (ptz: true)");
    }
    if (c.ptz && rules[i].has("turned")) {
      rules[i].fail("turned",
                    "a PTZ camera reports a changed view as off_preset: configure off_preset");
    }
  }
}

}  // namespace

const char* to_string(DetectorKind kind) {
  switch (kind) {
    case DetectorKind::kMotion:
      return "motion";
    case DetectorKind::kLineCrossing:
      return "line_crossing";
    case DetectorKind::kTamper:
      return "tamper";
    case DetectorKind::kLoitering:
      return "loitering";
    case DetectorKind::kCrowd:
      return "crowd";
    case DetectorKind::kParking:
      return "parking";
    case DetectorKind::kLeftObject:
      return "left_object";
    case DetectorKind::kStall:
      return "stall";
    case DetectorKind::kFire:
      return "fire";
  }
  return "?";
}

const char* to_string(ObjectClass cls) {
  switch (cls) {
    case ObjectClass::kPerson:
      return "person";
    case ObjectClass::kVehicle:
      return "vehicle";
    case ObjectClass::kBicycle:
      return "bicycle";
    case ObjectClass::kOther:
      return "other";
  }
  return "?";
}

ObjectSettings ObjectSettings::read(config::Section& s) {
  ObjectSettings o;
  o.backend = s.choice("backend", o.backend, {"blobs", "hog", "dnn"});
  if (s.has("model")) {
    if (o.backend != "dnn") s.fail("model", "a model is used only with backend: dnn");
    std::string path = s.required_string("model");
    if (!path.empty() && path[0] != '/') {
      const auto slash = s.file().rfind('/');
      if (slash != std::string::npos) path = s.file().substr(0, slash + 1) + path;
    }
    o.model = ModelManifest::load(path);
  } else if (o.backend == "dnn") {
    s.fail("model", "backend: dnn needs a model manifest (models/*.yaml)");
  }
  o.scan_interval_ms = s.duration_ms("scan_interval", o.scan_interval_ms, 0, 3'600'000);
  o.detect_interval_ms = s.duration_ms("detect_interval", o.detect_interval_ms, 0, 60'000);
  o.max_regions = static_cast<int>(s.integer("max_regions", o.max_regions, 1, 16));
  o.min_confidence = s.number("min_confidence", o.min_confidence, 0, 1);
  auto person = s.section("person");
  o.person_min_height = person.number("min_height", o.person_min_height, 0.005, 1);
  o.person_max_height = person.number("max_height", o.person_max_height, 0.005, 1);
  o.person_min_aspect = person.number("min_aspect", o.person_min_aspect, 0.5, 10);
  if (o.person_max_height < o.person_min_height) {
    person.fail("max_height", "must be at least min_height");
  }
  person.finish();
  auto vehicle = s.section("vehicle");
  o.vehicle_min_area = vehicle.number("min_area", o.vehicle_min_area, 0.0001, 1);
  o.vehicle_max_aspect = vehicle.number("max_aspect", o.vehicle_max_aspect, 0.1, 5);
  vehicle.finish();
  o.max_missed_ms = s.duration_ms("max_missed", o.max_missed_ms, 0, 60'000);
  o.match_distance = s.number("match_distance", o.match_distance, 0.001, 1);
  o.still_radius = s.number("still_radius", o.still_radius, 0.001, 0.5);
  o.confirm_ms = s.duration_ms("confirm_time", o.confirm_ms, 0, 60'000);
  o.static_after_ms = s.duration_ms("static_after", o.static_after_ms, 500, 600'000);
  o.static_min_area = s.number("static_min_area", o.static_min_area, 0.00005, 0.5);
  o.static_diff = s.number("static_diff", o.static_diff, 1, 128);
  s.finish();
  return o;
}

ModelManifest ModelManifest::load(const std::string& path) {
  auto s = config::load_file(path);
  ModelManifest m;
  m.manifest = path;
  const std::string dir =
      path.rfind('/') == std::string::npos ? "" : path.substr(0, path.rfind('/') + 1);
  auto resolve = [&](const std::string& f) { return f.empty() || f[0] == '/' ? f : dir + f; };
  m.format = s.choice("format", "", {"darknet", "onnx", "caffe", "tensorflow"});
  m.file = resolve(s.required_string("file"));
  m.config_file = resolve(s.string("config", ""));
  if (m.format != "onnx" && m.config_file.empty()) {
    s.fail("config", "a " + m.format + " model needs its network description file");
  }
  auto size = s.numbers("input_size");
  if (size.size() != 2 || size[0] < 8 || size[1] < 8 || size[0] > 4096 || size[1] > 4096) {
    s.fail("input_size", "must be [width, height] in pixels (8..4096)");
  }
  m.input_width = static_cast<int>(size[0]);
  m.input_height = static_cast<int>(size[1]);
  auto norm = s.section("normalisation");
  m.scale = norm.number("scale", m.scale, 1e-6, 10);
  if (norm.has("mean")) {
    auto mean = norm.numbers("mean");
    if (mean.size() != 3) norm.fail("mean", "must be three channel means");
    m.mean = {mean[0], mean[1], mean[2]};
  }
  m.swap_rb = norm.boolean("rgb", m.swap_rb);
  norm.finish();
  m.decoding = s.choice("decoding", "", {"yolo", "ssd"});
  m.class_offset = s.boolean("background_class", m.decoding == "ssd");
  if (m.decoding == "yolo") {
    m.pixel_boxes = s.choice("box_units", "normalised", {"normalised", "pixels"}) == "pixels";
    m.times_objectness = s.boolean("times_objectness", false);
  }
  m.confidence = s.number("confidence", m.confidence, 0.01, 1);
  m.nms = s.number("nms", m.nms, 0.01, 1);
  m.labels = s.strings("labels");
  if (m.labels.empty()) s.fail("labels", "the model's labels, in output order, are required");
  m.classes.assign(m.labels.size(), -1);
  auto map = s.section("classes");
  static const char* kNames[] = {"person", "vehicle", "bicycle", "other"};
  for (int c = 0; c < 4; ++c) {
    for (const auto& label : map.strings(kNames[c])) {
      auto it = std::find(m.labels.begin(), m.labels.end(), label);
      if (it == m.labels.end()) map.fail(kNames[c], "no label \"" + label + "\" in labels");
      m.classes[static_cast<std::size_t>(it - m.labels.begin())] = c;
    }
  }
  map.finish();
  s.finish();
  for (const auto& f : {m.file, m.config_file}) {
    if (f.empty()) continue;
    std::FILE* fp = std::fopen(f.c_str(), "rb");
    if (!fp) throw std::runtime_error("model manifest " + path + ": cannot read model file " + f);
    std::fclose(fp);
  }
  return m;
}

const char* to_string(TamperSubtype subtype) {
  switch (subtype) {
    case TamperSubtype::kCovered:
      return "covered";
    case TamperSubtype::kDefocused:
      return "defocused";
    case TamperSubtype::kTurned:
      return "turned";
    case TamperSubtype::kSignalLost:
      return "signal_lost";
    case TamperSubtype::kOffPreset:
      return "off_preset";
  }
  return "?";
}

bool Schedule::active(std::int64_t utc_ms, int utc_offset_min) const {
  std::int64_t local_min = utc_ms / 60'000 + utc_offset_min;
  std::int64_t day = local_min >= 0 ? local_min / 1440 : (local_min - 1439) / 1440;
  int minute = static_cast<int>(local_min - day * 1440);
  // 1970-01-01 was a Thursday: weekday index (Monday = 0) of day 0 is 3.
  auto weekday = [](std::int64_t d) { return static_cast<int>(((d % 7) + 7 + 3) % 7); };
  for (const auto& w : windows) {
    if (w.from_min <= w.to_min) {
      if ((w.days >> weekday(day) & 1) && minute >= w.from_min && minute < w.to_min) return true;
    } else {  // past midnight: from..24:00 today, or 00:00..to on the day after a window day
      if ((w.days >> weekday(day) & 1) && minute >= w.from_min) return true;
      if ((w.days >> weekday(day - 1) & 1) && minute < w.to_min) return true;
    }
  }
  return false;
}

MotionSettings MotionSettings::read(config::Section& s) {
  MotionSettings m;
  m.work_width = static_cast<int>(s.integer("work_width", m.work_width, 80, 1920));
  m.learn_ms = s.duration_ms("learning_time", m.learn_ms, 0, 600'000);
  m.background_ms = s.duration_ms("background_time", m.background_ms, 500, 3'600'000);
  m.absorb_ms = s.duration_ms("absorb_time", m.absorb_ms, 1'000, 86'400'000);
  m.threshold = s.number("threshold", m.threshold, 1, 255);
  m.noise_factor = s.number("noise_factor", m.noise_factor, 0, 20);
  m.global_change = s.number("global_change", m.global_change, 0.05, 1);
  m.min_blob = s.number("min_blob", m.min_blob, 0, 0.5);
  m.shadow_uniformity = s.number("shadow_uniformity", m.shadow_uniformity, 0, 1);
  s.finish();
  return m;
}

TamperSettings TamperSettings::read(config::Section& s) {
  TamperSettings t;
  t.learn_ms = s.duration_ms("learning_time", t.learn_ms, 500, 600'000);
  t.reference_ms = s.duration_ms("reference_time", t.reference_ms, 1'000, 86'400'000);
  t.relearn_ms = s.duration_ms("relearn_after", t.relearn_ms, 10'000, 86'400'000);
  t.covered_contrast = s.number("covered_contrast", t.covered_contrast, 0.01, 0.9);
  t.covered_share = s.number("covered_share", t.covered_share, 0.3, 1);
  t.defocus_ratio = s.number("defocus_ratio", t.defocus_ratio, 0.05, 0.95);
  t.turned_similarity = s.number("turned_similarity", t.turned_similarity, 0.05, 0.95);
  t.blank_std = s.number("blank_std", t.blank_std, 0, 20);
  t.signal_gap_ms = s.duration_ms("signal_gap", t.signal_gap_ms, 200, 3'600'000);
  s.finish();
  return t;
}

Rule Rule::read(config::Section& s) {
  Rule r;
  r.id = read_id(s);
  std::string det = s.choice("detector", "",
                             {"motion", "line_crossing", "tamper", "loitering", "crowd", "parking",
                              "left_object", "stall", "fire"});
  if (det == "loitering") {
    r.detector = DetectorKind::kLoitering;
    r.type = "person.loitering";
    r.dwell_ms = 60'000;
    r.end_hold_ms = 3'000;
    r.cooldown_ms = 300'000;
  } else if (det == "crowd") {
    r.detector = DetectorKind::kCrowd;
    r.type = "crowd.gathering";
    r.min_count = 5;
    r.dwell_ms = 10'000;
    r.min_duration_ms = 30'000;
    r.end_hold_ms = 5'000;
    r.cooldown_ms = 300'000;
  } else if (det == "parking") {
    r.detector = DetectorKind::kParking;
    r.type = "parking.illegal";
    r.dwell_ms = 180'000;
    r.end_hold_ms = 10'000;
    r.cooldown_ms = 600'000;
  } else if (det == "left_object") {
    r.detector = DetectorKind::kLeftObject;
    r.type = "object.left";
    r.dwell_ms = 60'000;
    r.near = 0.15;
    r.end_hold_ms = 5'000;
    r.cooldown_ms = 600'000;
  } else if (det == "stall") {
    r.detector = DetectorKind::kStall;
    r.type = "vendor.stall";
    r.dwell_ms = 120'000;
    r.end_hold_ms = 10'000;
    r.cooldown_ms = 600'000;
  } else if (det == "fire") {
    r.detector = DetectorKind::kFire;
    r.type = "fire.smoke";
    r.min_duration_ms = 5'000;
    r.end_hold_ms = 3'000;
    r.cooldown_ms = 600'000;
  } else if (det == "motion") {
    r.detector = DetectorKind::kMotion;
    r.type = "zone.intrusion";
    r.min_duration_ms = 1'000;
  } else if (det == "line_crossing") {
    r.detector = DetectorKind::kLineCrossing;
    r.type = "line.crossing";
    r.cooldown_ms = 0;
  } else {
    r.detector = DetectorKind::kTamper;
    r.type = "camera.tamper";
    r.cooldown_ms = 300'000;
  }
  r.type = s.string("type", r.type);
  if (!valid_type(r.type)) s.fail("type", "must be 1-64 of [a-z0-9._]");
  r.schedule = s.string("schedule", "");
  if (r.detector == DetectorKind::kLineCrossing) {
    // A crossing is an instant event: it has no duration to wait for or to hold.
    for (const char* key : {"min_duration", "end_hold", "update_interval"}) {
      if (s.has(key)) {
        s.fail(key, "does not apply to line_crossing (a crossing is an instant event)");
      }
    }
  }
  r.min_duration_ms = s.duration_ms("min_duration", r.min_duration_ms, 0, 86'400'000);
  r.end_hold_ms = s.duration_ms("end_hold", r.end_hold_ms, 0, 3'600'000);
  r.cooldown_ms = s.duration_ms("cooldown", r.cooldown_ms, 0, 86'400'000);
  r.update_interval_ms = s.duration_ms("update_interval", 0, 0, 86'400'000);
  r.min_confidence = s.number("min_confidence", 0, 0, 1);
  if (is_object_rule(r.detector)) {
    r.zones = s.strings("zones");
    r.dwell_ms = s.duration_ms("dwell", r.dwell_ms, 0, 86'400'000);
    if (r.detector == DetectorKind::kCrowd || r.detector == DetectorKind::kStall) {
      r.min_count = static_cast<int>(s.integer("min_count", r.min_count, 1, 1000));
    }
    if (r.detector == DetectorKind::kStall || r.detector == DetectorKind::kLeftObject) {
      r.near = s.number("near", r.near, 0.01, 1);
    }
    if (r.detector == DetectorKind::kParking) {
      std::vector<std::string> cls =
          s.has("objects") ? s.strings("objects") : std::vector<std::string>{"vehicle"};
      for (const auto& c : cls) {
        if (c == "vehicle") {
          r.classes |= 1u << static_cast<int>(ObjectClass::kVehicle);
        } else if (c == "bicycle") {
          r.classes |= 1u << static_cast<int>(ObjectClass::kBicycle);
        } else {
          s.fail("objects", "parking counts vehicle and/or bicycle");
        }
      }
    }
  } else if (r.detector == DetectorKind::kFire) {
    if (!s.boolean("experimental", false)) {
      s.fail("experimental",
             "fire detection is experimental (flame colour + motion + flicker, not evaluated on "
             "real footage): set experimental: true to use it");
    }
    r.zones = s.strings("zones");
    r.min_area = s.number("min_area", 0.002, 0.0001, 1);
  } else if (r.detector == DetectorKind::kMotion) {
    r.zones = s.strings("zones");
    r.min_area = s.number("min_area", r.min_area, 0.0001, 1);
  } else if (r.detector == DetectorKind::kLineCrossing) {
    r.lines = s.strings("lines");
  } else {
    std::array<std::int64_t, kTamperSubtypes> defaults = {10'000, 30'000, 10'000, 10'000, 20'000};
    // A rule-level min_duration is every subtype's, unless the subtype sets its own.
    if (s.has("min_duration")) defaults.fill(r.min_duration_ms);
    for (std::size_t i = 0; i < kTamperSubtypes; ++i) {
      const char* key = to_string(static_cast<TamperSubtype>(i));
      auto sub = s.section(key);
      r.subtypes[i].enabled = sub.boolean("enabled", true);
      r.subtypes[i].min_duration_ms = sub.duration_ms("min_duration", defaults[i], 0, 86'400'000);
      sub.finish();
    }
  }
  s.finish();
  return r;
}

AnalyticsConfig AnalyticsConfig::read(config::Section& s) {
  AnalyticsConfig c;
  c.enabled = s.boolean("enabled", true);
  c.ptz = s.boolean("ptz", false);
  c.utc_offset_min = parse_offset(s, s.string("utc_offset", "Z"));
  for (auto& z : s.list("zones")) {
    Zone zone;
    zone.id = read_id(z);
    zone.polygon = read_polygon(z, "polygon");
    zone.location = config::read_location(z, "location");
    z.finish();
    c.zones.push_back(std::move(zone));
    check_unique(z, c.zones, "zone");
  }
  for (auto& l : s.list("lines")) {
    Line line;
    line.id = read_id(l);
    line.from = read_point(l, "from");
    line.to = read_point(l, "to");
    if (line.from == line.to) l.fail("to", "the line has no length");
    std::string d = l.choice("direction", "any", {"any", "left_to_right", "right_to_left"});
    line.direction = d == "any"             ? Direction::kAny
                     : d == "left_to_right" ? Direction::kLeftToRight
                                            : Direction::kRightToLeft;
    line.location = config::read_location(l, "location");
    l.finish();
    c.lines.push_back(std::move(line));
    check_unique(l, c.lines, "line");
  }
  for (auto& m : s.list("masks")) {
    Mask mask;
    mask.id = read_id(m);
    mask.polygon = read_polygon(m, "polygon");
    m.finish();
    c.masks.push_back(std::move(mask));
    check_unique(m, c.masks, "mask");
  }
  for (auto& sc : s.list("schedules")) {
    Schedule sched;
    sched.id = read_id(sc);
    for (auto& w : sc.list("windows")) {
      TimeWindow tw;
      if (w.has("days")) {
        tw.days = 0;
        static const char* kDays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
        for (const auto& d : w.strings("days")) {
          auto it = std::find_if(std::begin(kDays), std::end(kDays),
                                 [&](const char* k) { return d == k; });
          if (it == std::end(kDays)) w.fail("days", "days are mon, tue, wed, thu, fri, sat, sun");
          tw.days |= static_cast<std::uint8_t>(1u << (it - std::begin(kDays)));
        }
      } else {
        w.strings("days");
      }
      tw.from_min = parse_clock(w, "from", w.string("from", "00:00"));
      tw.to_min = parse_clock(w, "to", w.string("to", "24:00"));
      if (tw.from_min == tw.to_min) w.fail("to", "the window is empty");
      w.finish();
      sched.windows.push_back(tw);
    }
    if (sched.windows.empty()) sc.fail("windows", "a schedule needs at least one window");
    sc.finish();
    c.schedules.push_back(std::move(sched));
    check_unique(sc, c.schedules, "schedule");
  }
  auto ms = s.section("motion");
  c.motion = MotionSettings::read(ms);
  auto ts = s.section("tamper");
  c.tamper = TamperSettings::read(ts);
  auto os = s.section("objects");
  c.objects = ObjectSettings::read(os);
  auto rule_sections = s.list("rules");
  for (auto& r : rule_sections) {
    c.rules.push_back(Rule::read(r));
    check_unique(r, c.rules, "rule");
    const Rule& rule = c.rules.back();
    for (const auto& z : rule.zones) {
      if (!c.zone(z)) r.fail("zones", "no zone \"" + z + "\" is configured");
    }
    for (const auto& l : rule.lines) {
      if (!c.line(l)) r.fail("lines", "no line \"" + l + "\" is configured");
    }
    if (rule.detector == DetectorKind::kLineCrossing && c.lines.empty()) {
      r.fail("detector", "a line_crossing rule needs configured lines");
    }
    if ((rule.detector == DetectorKind::kLeftObject || rule.detector == DetectorKind::kStall ||
         (rule.detector == DetectorKind::kParking && c.objects.backend == "blobs")) &&
        rule.dwell_ms + c.objects.static_after_ms >= c.motion.absorb_ms) {
      r.fail("dwell",
             "must be shorter than motion.absorb_time minus objects.static_after (a still "
             "object becomes background after absorb_time)");
    }
    if (!rule.schedule.empty() && !c.schedule(rule.schedule)) {
      r.fail("schedule", "no schedule \"" + rule.schedule + "\" is configured");
    }
    if (rule.detector == DetectorKind::kTamper) {
      for (std::size_t i = 0; i + 1 < c.rules.size(); ++i) {
        if (c.rules[i].detector == DetectorKind::kTamper) {
          r.fail("detector", "only one tamper rule per camera");
        }
      }
    }
  }
  check_applies(s, ms, rule_sections, c);
  s.finish();
  return c;
}

const Zone* AnalyticsConfig::zone(const std::string& id) const {
  for (const auto& z : zones)
    if (z.id == id) return &z;
  return nullptr;
}
const Line* AnalyticsConfig::line(const std::string& id) const {
  for (const auto& l : lines)
    if (l.id == id) return &l;
  return nullptr;
}
const Schedule* AnalyticsConfig::schedule(const std::string& id) const {
  for (const auto& sc : schedules)
    if (sc.id == id) return &sc;
  return nullptr;
}

}  // namespace gridsight::analytics
