// Event <-> JSON (docs/protocol.md, "Event message").
#include <cmath>

#include "protocol/event.h"
#include "protocol/ids.h"
#include "protocol/json_reader.h"
#include "protocol/limits.h"

namespace gridsight::protocol {
namespace {

using detail::FieldError;
using detail::ObjectReader;
using nlohmann::json;

constexpr std::int64_t kMinTimeMs = 946684800000;   // 2000-01-01
constexpr std::int64_t kMaxTimeMs = 4102444800000;  // 2100-01-01

// The oldest version describing the event: 1.1 only for incident updates.
std::string schema_string(const Event& e) {
  return std::to_string(kSchemaMajor) + "." +
         std::to_string(e.is_update() ? kSchemaMinor : kSchemaMinorBase);
}

bool is_event_type(std::string_view s) {
  if (s.empty() || s.size() > kMaxTypeLength) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_')) return false;
  }
  return s.front() != '.' && s.back() != '.';
}

void check(bool ok, ErrorCode code, std::string field, std::string reason) {
  if (!ok) throw FieldError(code, std::move(field), std::move(reason));
}

// The checks shared by decode and validate, on a decoded Event.
void check_event(const Event& e) {
  check(is_event_id(e.event_id), ErrorCode::kInvalidValue, "event_id", "must be a UUIDv7");
  check(is_device_id(e.device_id), ErrorCode::kInvalidValue, "device_id",
        "must be 1-64 of [A-Za-z0-9._-]");
  check(is_camera_id(e.camera_id), ErrorCode::kInvalidValue, "camera_id",
        "must be a name of 1-64 [A-Za-z0-9._-] or a GB/T 28181 code");
  check(e.seq >= 1, ErrorCode::kOutOfRange, "seq", "must be at least 1");
  check(is_event_type(e.type), ErrorCode::kInvalidValue, "type",
        "must be lower-case [a-z0-9._], e.g. \"zone.intrusion\"");
  check(e.start_ms >= kMinTimeMs && e.start_ms <= kMaxTimeMs, ErrorCode::kOutOfRange, "start_ms",
        "must be a UTC time in milliseconds between 2000 and 2100");
  if (e.end_ms) {
    check(*e.end_ms >= e.start_ms && *e.end_ms <= kMaxTimeMs, ErrorCode::kOutOfRange, "end_ms",
          "must not be before start_ms");
  }
  check(std::isfinite(e.confidence) && e.confidence >= 0 && e.confidence <= 1,
        ErrorCode::kOutOfRange, "confidence", "must be within [0, 1]");
  check(e.zone.empty() || is_camera_id(e.zone), ErrorCode::kInvalidValue, "zone",
        "must be 1-64 of [A-Za-z0-9._-]");
  check(e.boxes.size() <= kMaxBoxes, ErrorCode::kOutOfRange, "boxes", "too many");
  for (std::size_t i = 0; i < e.boxes.size(); ++i) {
    const Box& b = e.boxes[i];
    const std::string f = "boxes[" + std::to_string(i) + "]";
    auto unit = [](double v) { return std::isfinite(v) && v >= 0 && v <= 1; };
    check(unit(b.x) && unit(b.y) && unit(b.w) && unit(b.h), ErrorCode::kOutOfRange, f,
          "x, y, w, h must be within [0, 1]");
    check(b.x + b.w <= 1.0 + 1e-6 && b.y + b.h <= 1.0 + 1e-6, ErrorCode::kOutOfRange, f,
          "box must lie inside the frame");
    check(unit(b.confidence), ErrorCode::kOutOfRange, f + ".confidence", "must be within [0, 1]");
    check(b.label.size() <= kMaxTypeLength, ErrorCode::kOutOfRange, f + ".label", "too long");
  }
  if (e.location) {
    const GeoPoint& p = *e.location;
    check(std::isfinite(p.lon) && p.lon >= -180 && p.lon <= 180, ErrorCode::kOutOfRange,
          "location.lon", "must be within [-180, 180]");
    check(std::isfinite(p.lat) && p.lat >= -90 && p.lat <= 90, ErrorCode::kOutOfRange,
          "location.lat", "must be within [-90, 90]");
  }
  check(e.evidence.size() <= kMaxEvidence, ErrorCode::kOutOfRange, "evidence", "too many");
  for (std::size_t i = 0; i < e.evidence.size(); ++i) {
    const EvidenceRef& r = e.evidence[i];
    const std::string f = "evidence[" + std::to_string(i) + "]";
    check(is_content_hash(r.hash), ErrorCode::kInvalidValue, f + ".hash",
          "must be \"sha256:\" and 64 lower-case hex digits");
    check(r.size > 0 && r.size <= kMaxEvidenceObject, ErrorCode::kOutOfRange, f + ".size",
          "must be within [1, " + std::to_string(kMaxEvidenceObject) + "]");
    check(r.media_type == "image/jpeg" || r.media_type == "video/mp4", ErrorCode::kInvalidValue,
          f + ".media_type", "must be image/jpeg or video/mp4");
    check(r.role == "snapshot" || r.role == "clip", ErrorCode::kInvalidValue, f + ".role",
          "must be snapshot or clip");
  }
  check(e.attributes.size() <= kMaxAttributes, ErrorCode::kOutOfRange, "attributes", "too many");
  for (const auto& [k, v] : e.attributes) {
    check(!k.empty() && k.size() <= kMaxTypeLength, ErrorCode::kOutOfRange, "attributes",
          "keys must be 1-64 bytes");
    check(v.size() <= kMaxAttributeLength, ErrorCode::kOutOfRange, "attributes." + k, "too long");
  }
  if (e.is_update()) {
    check(is_event_id(e.update_of) && e.update_of != e.event_id, ErrorCode::kInvalidValue,
          "update_of", "must be the UUIDv7 of another event");
    check(e.update == kUpdateEvidence || e.update == kUpdateEnded, ErrorCode::kInvalidValue,
          "update", "must be evidence or ended");
    check(e.update != kUpdateEnded || e.end_ms.has_value(), ErrorCode::kMissingField, "end_ms",
          "an ended update carries the incident's end");
  } else {
    check(e.update.empty(), ErrorCode::kMissingField, "update_of",
          "an update names the event it updates");
  }
}

Event read_event(const detail::Document& doc, ParseError& identity) {
  ObjectReader r(doc.root, "", doc.newer_minor);
  Event e;
  // Identity first, so a refusal can still name the event to the edge.
  if (auto id = r.optional_string("event_id", kMaxIdLength); id && is_event_id(*id)) {
    identity.event_id = *id;
    e.event_id = *id;
  }
  if (auto it = doc.root.find("seq"); it != doc.root.end() && it->is_number_unsigned()) {
    identity.seq = it->get<std::uint64_t>();
  }
  e.event_id = r.string("event_id", kMaxIdLength);
  e.device_id = r.string("device_id", kMaxIdLength);
  e.camera_id = r.string("camera_id", kMaxIdLength);
  e.seq = r.u64("seq");
  e.type = r.string("type", kMaxTypeLength);
  e.start_ms = r.i64("start_ms", kMinTimeMs, kMaxTimeMs);
  e.end_ms = r.optional_i64("end_ms", kMinTimeMs, kMaxTimeMs);
  e.clock_synced = r.boolean("clock_synced");
  e.confidence = r.number("confidence", 0, 1);
  e.zone = r.optional_string("zone", kMaxIdLength).value_or("");
  if (const json* boxes = r.array("boxes", kMaxBoxes, false)) {
    for (std::size_t i = 0; i < boxes->size(); ++i) {
      ObjectReader b((*boxes)[i], r.path_of("boxes", i), r.allow_unknown());
      Box box;
      box.x = b.number("x", 0, 1);
      box.y = b.number("y", 0, 1);
      box.w = b.number("w", 0, 1);
      box.h = b.number("h", 0, 1);
      box.label = b.optional_string("label", kMaxTypeLength).value_or("");
      box.confidence = b.optional_number("confidence", 0, 1).value_or(0);
      box.track_id = b.optional_i64("track_id", 0, INT64_MAX);
      b.finish();
      e.boxes.push_back(std::move(box));
    }
  }
  if (const json* loc = r.object("location", false)) {
    ObjectReader l(*loc, "location", r.allow_unknown());
    GeoPoint p;
    p.lon = l.number("lon", -180, 180);
    p.lat = l.number("lat", -90, 90);
    std::string crs = l.string("crs", 16);
    auto c = crs_from_string(crs);
    if (!c) {
      throw FieldError(ErrorCode::kInvalidValue, "location.crs",
                       "must be WGS84, GCJ02 or CGCS2000, got \"" + crs + "\"");
    }
    p.crs = *c;
    l.finish();
    e.location = p;
  }
  if (const json* ev = r.array("evidence", kMaxEvidence, false)) {
    for (std::size_t i = 0; i < ev->size(); ++i) {
      ObjectReader o((*ev)[i], r.path_of("evidence", i), r.allow_unknown());
      EvidenceRef ref;
      ref.hash = o.string("hash", 80);
      ref.size = o.u64("size");
      ref.media_type = o.string("media_type", 32);
      ref.role = o.string("role", 16);
      o.finish();
      e.evidence.push_back(std::move(ref));
    }
  }
  if (const json* attrs = r.object("attributes", false)) {
    if (attrs->size() > kMaxAttributes) {
      throw FieldError(ErrorCode::kOutOfRange, "attributes", "too many");
    }
    for (const auto& [k, v] : attrs->items()) {
      if (!v.is_string()) {
        throw FieldError(ErrorCode::kWrongType, "attributes." + k, "expected string");
      }
      e.attributes.emplace(k, v.get<std::string>());
    }
  }
  // 1.1: incident updates. A 1.0 message has no such fields (an unknown field then).
  if (doc.minor >= 1) {
    e.update_of = r.optional_string("update_of", kMaxIdLength).value_or("");
    e.update = r.optional_string("update", 16).value_or("");
  }
  r.finish();
  check_event(e);
  return e;
}

}  // namespace

const char* to_string(Crs crs) {
  switch (crs) {
    case Crs::kWgs84: return "WGS84";
    case Crs::kGcj02: return "GCJ02";
    case Crs::kCgcs2000: return "CGCS2000";
  }
  return "?";
}

std::optional<Crs> crs_from_string(std::string_view s) {
  if (s == "WGS84") return Crs::kWgs84;
  if (s == "GCJ02") return Crs::kGcj02;
  if (s == "CGCS2000") return Crs::kCgcs2000;
  return std::nullopt;
}

std::string encode(const Event& e) {
  json j;
  j["schema"] = schema_string(e);
  j["event_id"] = e.event_id;
  j["device_id"] = e.device_id;
  j["camera_id"] = e.camera_id;
  j["seq"] = e.seq;
  j["type"] = e.type;
  j["start_ms"] = e.start_ms;
  if (e.end_ms) j["end_ms"] = *e.end_ms;
  j["clock_synced"] = e.clock_synced;
  j["confidence"] = e.confidence;
  if (!e.zone.empty()) j["zone"] = e.zone;
  if (!e.boxes.empty()) {
    json boxes = json::array();
    for (const Box& b : e.boxes) {
      json jb{{"x", b.x}, {"y", b.y}, {"w", b.w}, {"h", b.h}};
      if (!b.label.empty()) jb["label"] = b.label;
      jb["confidence"] = b.confidence;
      if (b.track_id) jb["track_id"] = *b.track_id;
      boxes.push_back(std::move(jb));
    }
    j["boxes"] = std::move(boxes);
  }
  if (e.location) {
    j["location"] = {{"lon", e.location->lon}, {"lat", e.location->lat},
                     {"crs", to_string(e.location->crs)}};
  }
  if (!e.evidence.empty()) {
    json ev = json::array();
    for (const EvidenceRef& r : e.evidence) {
      ev.push_back({{"hash", r.hash}, {"size", r.size}, {"media_type", r.media_type},
                    {"role", r.role}});
    }
    j["evidence"] = std::move(ev);
  }
  if (!e.attributes.empty()) j["attributes"] = e.attributes;
  if (e.is_update()) {
    j["update_of"] = e.update_of;
    j["update"] = e.update;
  }
  return detail::dump(j);
}

Parsed<Event> decode_event(std::string_view payload) {
  ParseError identity;
  try {
    auto doc = detail::parse_document(payload, kMaxEventBytes);
    return Parsed<Event>::ok(read_event(doc, identity));
  } catch (const FieldError& fe) {
    ParseError err = detail::to_parse_error(fe);
    err.event_id = identity.event_id;
    err.seq = identity.seq;
    return Parsed<Event>::fail(std::move(err));
  } catch (const std::exception& ex) {  // e.g. nlohmann type errors we did not foresee
    ParseError err{ErrorCode::kInvalidValue, "", ex.what(), identity.event_id, identity.seq};
    return Parsed<Event>::fail(std::move(err));
  }
}

std::optional<ParseError> validate(const Event& event) {
  try {
    check_event(event);
    return std::nullopt;
  } catch (const FieldError& fe) {
    return detail::to_parse_error(fe);
  }
}

}  // namespace gridsight::protocol
