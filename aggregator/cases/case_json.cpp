#include "aggregator/cases/case_json.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "common/json_writer.h"

namespace gridsight::cases {
namespace {
using nlohmann::json;

template <class E>
E parse_enum(const json& j, std::optional<E> (*from)(std::string_view), const char* what) {
  auto v = from(j.get<std::string>());
  if (!v) throw std::runtime_error(std::string("unknown ") + what + " " + j.dump());
  return *v;
}

Report report_of(const json& j) {
  Report r;
  r.event_id = j.at("event_id").get<std::string>();
  r.source = parse_enum<Source>(j.at("source"), source_from_string, "source");
  r.camera_id = j.at("camera_id").get<std::string>();
  r.detector = j.at("detector").get<std::string>();
  r.at_ms = j.at("at_ms").get<std::int64_t>();
  r.note = j.at("note").get<std::string>();
  return r;
}

Transition transition_of(const json& j) {
  Transition t;
  t.seq = j.at("seq").get<int>();
  t.action = parse_enum<Action>(j.at("action"), action_from_string, "action");
  t.from = parse_enum<State>(j.at("from"), state_from_string, "state");
  t.to = parse_enum<State>(j.at("to"), state_from_string, "state");
  t.actor = j.at("actor").get<std::string>();
  t.at_ms = j.at("at_ms").get<std::int64_t>();
  t.note = j.at("note").get<std::string>();
  return t;
}

void write_report(JsonWriter& w, const Report& r) {
  w.begin_object()
      .field("event_id", r.event_id)
      .field("source", to_string(r.source))
      .field("camera_id", r.camera_id)
      .field("detector", r.detector)
      .field("at_ms", r.at_ms)
      .field("note", r.note)
      .end_object();
}

void write_transition(JsonWriter& w, const Transition& t) {
  w.begin_object()
      .field("seq", t.seq)
      .field("action", to_string(t.action))
      .field("from", to_string(t.from))
      .field("to", to_string(t.to))
      .field("actor", t.actor)
      .field("at_ms", t.at_ms)
      .field("note", t.note)
      .end_object();
}

}  // namespace

std::string to_json(const Case& c, bool with_children) {
  // Written on every save (each merged event): a streaming writer, not a json tree.
  JsonWriter w(768);
  w.begin_object()
      .field("id", c.id)
      .field("state", to_string(c.state))
      .field("class_code", c.class_code)
      .field("cell_code", c.cell_code)
      .field("spot", c.spot)
      .field("source", to_string(c.source))
      .field("detector", c.detector)
      .field("camera_id", c.camera_id)
      .field("device_id", c.device_id)
      .field("zone", c.zone)
      .field("reported_ms", c.reported_ms)
      .field("last_report_ms", c.last_report_ms)
      .field("incident_ended_ms", c.incident_ended_ms)
      .field("recheck_at_ms", c.recheck_at_ms)
      .field("filed_ms", c.filed_ms)
      .field("dispatched_ms", c.dispatched_ms)
      .field("limit_minutes", c.limit_minutes)
      .field("due_ms", c.due_ms)
      .field("reminder_ms", c.reminder_ms)
      .field("parked_remaining_ms", c.parked_remaining_ms)
      .field("resolved_ms", c.resolved_ms)
      .field("closed_ms", c.closed_ms)
      .field("evaluated_ms", c.evaluated_ms)
      .field("return_count", c.return_count)
      .field("rework_count", c.rework_count)
      .field("extension_count", c.extension_count)
      .field("reminder_sent", c.reminder_sent)
      .field("supervision_round", c.supervision_round)
      .field("next_supervision_ms", c.next_supervision_ms)
      .field("rejection_label", c.rejection_label);
  if (c.lon && c.lat) {
    w.key("location").begin_object().field("lon", *c.lon).field("lat", *c.lat).end_object();
  }
  if (c.linked_case_id) w.field("linked_case_id", *c.linked_case_id);
  if (c.satisfaction) w.field("satisfaction", to_string(*c.satisfaction));
  w.key("departments").begin_array();
  for (const auto& a : c.departments) {
    w.begin_object()
        .field("department", a.department)
        .field("resolved", a.resolved)
        .field("resolved_ms", a.resolved_ms)
        .end_object();
  }
  w.end_array();
  if (with_children) {
    w.key("reports").begin_array();
    for (const auto& r : c.reports) write_report(w, r);
    w.end_array();
    w.key("history").begin_array();
    for (const auto& t : c.history) write_transition(w, t);
    w.end_array();
  }
  w.end_object();
  return std::move(w).str();
}

Case case_from_json(std::string_view text) {
  try {
    json j = json::parse(text);
    Case c;
    c.id = j.at("id").get<CaseId>();
    c.state = parse_enum<State>(j.at("state"), state_from_string, "state");
    c.class_code = j.at("class_code").get<std::string>();
    c.cell_code = j.at("cell_code").get<std::string>();
    c.spot = j.at("spot").get<std::string>();
    c.source = parse_enum<Source>(j.at("source"), source_from_string, "source");
    c.detector = j.at("detector").get<std::string>();
    c.camera_id = j.at("camera_id").get<std::string>();
    c.device_id = j.at("device_id").get<std::string>();
    c.zone = j.at("zone").get<std::string>();
    for (auto [key, field] : std::initializer_list<std::pair<const char*, std::int64_t*>>{
             {"reported_ms", &c.reported_ms},
             {"last_report_ms", &c.last_report_ms},
             {"incident_ended_ms", &c.incident_ended_ms},
             {"recheck_at_ms", &c.recheck_at_ms},
             {"filed_ms", &c.filed_ms},
             {"dispatched_ms", &c.dispatched_ms},
             {"limit_minutes", &c.limit_minutes},
             {"due_ms", &c.due_ms},
             {"reminder_ms", &c.reminder_ms},
             {"parked_remaining_ms", &c.parked_remaining_ms},
             {"resolved_ms", &c.resolved_ms},
             {"closed_ms", &c.closed_ms},
             {"evaluated_ms", &c.evaluated_ms},
             {"next_supervision_ms", &c.next_supervision_ms}}) {
      *field = j.at(key).get<std::int64_t>();
    }
    c.return_count = j.at("return_count").get<int>();
    c.rework_count = j.at("rework_count").get<int>();
    c.extension_count = j.at("extension_count").get<int>();
    c.reminder_sent = j.at("reminder_sent").get<bool>();
    c.supervision_round = j.at("supervision_round").get<int>();
    c.rejection_label = j.at("rejection_label").get<std::string>();
    if (j.contains("location")) {
      c.lon = j["location"].at("lon").get<double>();
      c.lat = j["location"].at("lat").get<double>();
    }
    if (j.contains("linked_case_id")) c.linked_case_id = j["linked_case_id"].get<CaseId>();
    if (j.contains("satisfaction")) {
      c.satisfaction =
          parse_enum<Satisfaction>(j["satisfaction"], satisfaction_from_string, "satisfaction");
    }
    for (const auto& d : j.at("departments")) {
      c.departments.push_back({d.at("department").get<std::string>(), d.at("resolved").get<bool>(),
                               d.at("resolved_ms").get<std::int64_t>()});
    }
    if (j.contains("reports")) {
      for (const auto& r : j["reports"]) c.reports.push_back(report_of(r));
    }
    if (j.contains("history")) {
      for (const auto& t : j["history"]) c.history.push_back(transition_of(t));
    }
    return c;
  } catch (const json::exception& e) {
    throw std::runtime_error(std::string("malformed case JSON: ") + e.what());
  }
}

std::string to_json(const Report& r) {
  JsonWriter w(256);
  write_report(w, r);
  return std::move(w).str();
}

Report report_from_json(std::string_view text) {
  try {
    return report_of(json::parse(text));
  } catch (const json::exception& e) {
    throw std::runtime_error(std::string("malformed report JSON: ") + e.what());
  }
}

std::string to_json(const CaseOutput& o) {
  JsonWriter w(384);
  w.begin_object()
      .field("kind", to_string(o.kind))
      .field("case_id", o.case_id)
      .field("at_ms", o.at_ms)
      .field("state", to_string(o.state))
      .field("class_code", o.class_code)
      .field("cell_code", o.cell_code);
  w.key("departments").begin_array();
  for (const auto& d : o.departments) w.value(d);
  w.end_array().field("due_ms", o.due_ms);
  if (o.transition) {
    w.key("transition");
    write_transition(w, *o.transition);
  }
  if (o.kind == OutputKind::kSupervision) {
    w.field("round", o.round)
        .field("escalation_level", o.escalation_level)
        .field("escalation_code", o.escalation_code);
  }
  w.end_object();
  return std::move(w).str();
}

CaseOutput output_from_json(std::string_view text) {
  try {
    json j = json::parse(text);
    CaseOutput o;
    std::string kind = j.at("kind").get<std::string>();
    bool found = false;
    for (OutputKind k : {OutputKind::kNewCase, OutputKind::kTransition, OutputKind::kReminder,
                         OutputKind::kSupervision}) {
      if (kind == to_string(k)) {
        o.kind = k;
        found = true;
      }
    }
    if (!found) throw std::runtime_error("unknown output kind " + kind);
    o.case_id = j.at("case_id").get<CaseId>();
    o.at_ms = j.at("at_ms").get<std::int64_t>();
    o.state = parse_enum<State>(j.at("state"), state_from_string, "state");
    o.class_code = j.at("class_code").get<std::string>();
    o.cell_code = j.at("cell_code").get<std::string>();
    o.departments = j.at("departments").get<std::vector<std::string>>();
    o.due_ms = j.at("due_ms").get<std::int64_t>();
    if (j.contains("transition")) o.transition = transition_of(j["transition"]);
    if (j.contains("round")) {
      o.round = j["round"].get<int>();
      o.escalation_level = j.at("escalation_level").get<std::string>();
      o.escalation_code = j.at("escalation_code").get<std::string>();
    }
    return o;
  } catch (const json::exception& e) {
    throw std::runtime_error(std::string("malformed output JSON: ") + e.what());
  }
}

}  // namespace gridsight::cases
