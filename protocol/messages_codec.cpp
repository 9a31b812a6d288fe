// Control messages <-> JSON (docs/protocol.md).
#include "protocol/ids.h"
#include "protocol/json_reader.h"
#include "protocol/limits.h"
#include "protocol/messages.h"

namespace gridsight::protocol {
namespace {

using detail::FieldError;
using detail::ObjectReader;
using nlohmann::json;

constexpr std::int64_t kMaxMs = 4102444800000;  // 2100-01-01

json envelope() {
  return json{{"schema", std::to_string(kSchemaMajor) + "." + std::to_string(kSchemaMinorBase)}};
}

// Runs `read` on a parsed control message, turning every failure into a ParseError.
template <class T, class F>
Parsed<T> decode_with(std::string_view payload, F read) {
  try {
    auto doc = detail::parse_document(payload, kMaxControlBytes);
    ObjectReader r(doc.root, "", doc.newer_minor);
    T value = read(r);
    r.finish();
    return Parsed<T>::ok(std::move(value));
  } catch (const FieldError& fe) {
    return Parsed<T>::fail(detail::to_parse_error(fe));
  } catch (const std::exception& ex) {
    return Parsed<T>::fail(ParseError{ErrorCode::kInvalidValue, "", ex.what(), "", std::nullopt});
  }
}

void require_device(const std::string& id, const char* field) {
  if (!is_device_id(id)) throw FieldError(ErrorCode::kInvalidValue, field, "not a valid device id");
}

// A JSON object embedded as a string field of ours (args/result): must itself be an object.
std::string embedded_object(ObjectReader& r, const char* key) {
  const json* j = r.object(key, false);
  return j ? detail::dump(*j) : "{}";
}

json parse_embedded(const std::string& s) {
  if (s.empty()) return json::object();
  return json::parse(s);
}

}  // namespace

const char* to_string(AckStatus s) {
  return s == AckStatus::kStored ? "stored" : "dead_letter";
}

const char* to_string(CommandStatus s) {
  switch (s) {
    case CommandStatus::kAccepted: return "accepted";
    case CommandStatus::kOk: return "ok";
    case CommandStatus::kError: return "error";
    case CommandStatus::kRefused: return "refused";
  }
  return "?";
}

// ---- Ack ----------------------------------------------------------------------------------
std::string encode(const Ack& ack) {
  json j = envelope();
  if (!ack.events.empty()) {
    json a = json::array();
    for (const auto& e : ack.events) {
      json je{{"event_id", e.event_id}, {"seq", e.seq}, {"status", to_string(e.status)}};
      if (!e.reason.empty()) je["reason"] = e.reason;
      a.push_back(std::move(je));
    }
    j["events"] = std::move(a);
  }
  if (!ack.notices.empty()) {
    json a = json::array();
    for (const auto& n : ack.notices) a.push_back({{"notice_id", n.notice_id}});
    j["notices"] = std::move(a);
  }
  if (!ack.evidence.empty()) {
    json a = json::array();
    for (const auto& e : ack.evidence) {
      json je{{"hash", e.hash}, {"received", e.received}, {"complete", e.complete}};
      if (e.refused) je["refused"] = true;
      if (!e.reason.empty()) je["reason"] = e.reason;
      a.push_back(std::move(je));
    }
    j["evidence"] = std::move(a);
  }
  return detail::dump(j);
}

Parsed<Ack> decode_ack(std::string_view payload) {
  return decode_with<Ack>(payload, [](ObjectReader& r) {
    Ack ack;
    constexpr std::size_t kMaxItems = 8192;
    if (const json* a = r.array("events", kMaxItems, false)) {
      for (std::size_t i = 0; i < a->size(); ++i) {
        ObjectReader o((*a)[i], r.path_of("events", i), r.allow_unknown());
        EventAck e;
        e.event_id = o.string("event_id", kMaxIdLength);
        e.seq = o.u64("seq");
        std::string status = o.string("status", 16);
        if (status == "stored") {
          e.status = AckStatus::kStored;
        } else if (status == "dead_letter") {
          e.status = AckStatus::kDeadLetter;
        } else {
          throw FieldError(ErrorCode::kInvalidValue, o.path_of("status"),
                           "must be stored or dead_letter");
        }
        e.reason = o.optional_string("reason", 1024).value_or("");
        o.finish();
        ack.events.push_back(std::move(e));
      }
    }
    if (const json* a = r.array("notices", kMaxItems, false)) {
      for (std::size_t i = 0; i < a->size(); ++i) {
        ObjectReader o((*a)[i], r.path_of("notices", i), r.allow_unknown());
        ack.notices.push_back({o.u64("notice_id")});
        o.finish();
      }
    }
    if (const json* a = r.array("evidence", kMaxItems, false)) {
      for (std::size_t i = 0; i < a->size(); ++i) {
        ObjectReader o((*a)[i], r.path_of("evidence", i), r.allow_unknown());
        EvidenceAck e;
        e.hash = o.string("hash", 80);
        e.received = o.u64("received");
        e.complete = o.boolean("complete");
        e.refused = o.optional_boolean("refused").value_or(false);
        e.reason = o.optional_string("reason", 1024).value_or("");
        o.finish();
        ack.evidence.push_back(std::move(e));
      }
    }
    return ack;
  });
}

// ---- Notice -------------------------------------------------------------------------------
std::string encode(const EvictionNotice& n) {
  json j = envelope();
  j["notice_id"] = n.notice_id;
  j["device_id"] = n.device_id;
  j["type"] = "evicted";
  j["first_seq"] = n.first_seq;
  j["last_seq"] = n.last_seq;
  j["count"] = n.count;
  j["reason"] = n.reason;
  j["at_ms"] = n.at_ms;
  return detail::dump(j);
}

Parsed<EvictionNotice> decode_notice(std::string_view payload) {
  return decode_with<EvictionNotice>(payload, [](ObjectReader& r) {
    EvictionNotice n;
    n.notice_id = r.u64("notice_id");
    n.device_id = r.string("device_id", kMaxIdLength);
    require_device(n.device_id, "device_id");
    if (r.string("type", 32) != "evicted") {
      throw FieldError(ErrorCode::kInvalidValue, "type", "must be \"evicted\"");
    }
    n.first_seq = r.u64("first_seq");
    n.last_seq = r.u64("last_seq");
    if (n.first_seq < 1 || n.last_seq < n.first_seq) {
      throw FieldError(ErrorCode::kOutOfRange, "last_seq", "must be >= first_seq >= 1");
    }
    n.count = r.u64("count");
    if (n.count > n.last_seq - n.first_seq + 1) {
      throw FieldError(ErrorCode::kOutOfRange, "count", "larger than the range");
    }
    n.reason = r.string("reason", 64);
    n.at_ms = r.i64("at_ms", 0, kMaxMs);
    return n;
  });
}

// ---- Device state -------------------------------------------------------------------------
std::string encode(const DeviceState& s) {
  json j = envelope();
  j["device_id"] = s.device_id;
  j["state"] = s.online ? "online" : "offline";
  if (!s.reason.empty()) j["reason"] = s.reason;
  if (!s.version.empty()) j["version"] = s.version;
  if (!s.session.empty()) j["session"] = s.session;
  j["at_ms"] = s.at_ms;
  j["clock_synced"] = s.clock_synced;
  return detail::dump(j);
}

Parsed<DeviceState> decode_state(std::string_view payload) {
  return decode_with<DeviceState>(payload, [](ObjectReader& r) {
    DeviceState s;
    s.device_id = r.string("device_id", kMaxIdLength);
    require_device(s.device_id, "device_id");
    std::string state = r.string("state", 16);
    if (state != "online" && state != "offline") {
      throw FieldError(ErrorCode::kInvalidValue, "state", "must be online or offline");
    }
    s.online = state == "online";
    s.reason = r.optional_string("reason", 64).value_or("");
    s.version = r.optional_string("version", 64).value_or("");
    s.session = r.optional_string("session", 64).value_or("");
    s.at_ms = r.i64("at_ms", 0, kMaxMs);
    s.clock_synced = r.boolean("clock_synced");
    return s;
  });
}

Parsed<TelemetryEnvelope> decode_telemetry_envelope(std::string_view payload) {
  try {
    auto doc = detail::parse_document(payload, kMaxControlBytes);
    // Telemetry sections are free-form: only the envelope is checked.
    ObjectReader r(doc.root, "", /*allow_unknown=*/true);
    TelemetryEnvelope t;
    t.device_id = r.string("device_id", kMaxIdLength);
    require_device(t.device_id, "device_id");
    t.at_ms = r.i64("at_ms", 0, kMaxMs);
    return Parsed<TelemetryEnvelope>::ok(std::move(t));
  } catch (const FieldError& fe) {
    return Parsed<TelemetryEnvelope>::fail(detail::to_parse_error(fe));
  }
}

// ---- Commands -----------------------------------------------------------------------------
std::string encode(const Command& c) {
  json j = envelope();
  j["command_id"] = c.command_id;
  j["name"] = c.name;
  j["args"] = parse_embedded(c.args_json);
  j["issued_ms"] = c.issued_ms;
  if (c.expires_ms) j["expires_ms"] = c.expires_ms;
  return detail::dump(j);
}

Parsed<Command> decode_command(std::string_view payload) {
  return decode_with<Command>(payload, [](ObjectReader& r) {
    Command c;
    c.command_id = r.string("command_id", kMaxIdLength);
    require_device(c.command_id, "command_id");
    c.name = r.string("name", kMaxIdLength);
    c.args_json = embedded_object(r, "args");
    c.issued_ms = r.i64("issued_ms", 0, kMaxMs);
    c.expires_ms = r.optional_i64("expires_ms", 0, kMaxMs).value_or(0);
    return c;
  });
}

std::string encode(const CommandResult& res) {
  json j = envelope();
  j["command_id"] = res.command_id;
  j["status"] = to_string(res.status);
  if (!res.reason.empty()) j["reason"] = res.reason;
  j["result"] = parse_embedded(res.result_json);
  j["at_ms"] = res.at_ms;
  return detail::dump(j);
}

Parsed<CommandResult> decode_command_result(std::string_view payload) {
  return decode_with<CommandResult>(payload, [](ObjectReader& r) {
    CommandResult res;
    res.command_id = r.string("command_id", kMaxIdLength);
    std::string status = r.string("status", 16);
    if (status == "accepted") {
      res.status = CommandStatus::kAccepted;
    } else if (status == "ok") {
      res.status = CommandStatus::kOk;
    } else if (status == "error") {
      res.status = CommandStatus::kError;
    } else if (status == "refused") {
      res.status = CommandStatus::kRefused;
    } else {
      throw FieldError(ErrorCode::kInvalidValue, "status", "must be accepted, ok, error or refused");
    }
    res.reason = r.optional_string("reason", 1024).value_or("");
    res.result_json = embedded_object(r, "result");
    res.at_ms = r.i64("at_ms", 0, kMaxMs);
    return res;
  });
}

}  // namespace gridsight::protocol
