#include "aggregator/dispatch/connector/field_map.h"

#include <ctime>

namespace gridsight::connector {

const std::vector<std::pair<std::string, std::string>>& case_fields() {
  static const std::vector<std::pair<std::string, std::string>> fields = {
      {"case_id", "the case number (integer)"},
      {"external_id", "\"gridsight-<case_id>\""},
      {"class_code", "event class code"},
      {"class_name", "event class name"},
      {"cell_code", "grid cell code"},
      {"cell_name", "grid cell name"},
      {"state", "case state after the output"},
      {"source", "ai_camera, grid_worker or hotline"},
      {"camera_id", "source camera"},
      {"device_id", "source edge device"},
      {"detector", "edge event type or reporter"},
      {"zone", "camera zone"},
      {"departments", "departments handling the case (list)"},
      {"department", "the first department"},
      {"reported_at", "first report, ISO 8601 UTC"},
      {"reported_ms", "first report, ms since the epoch"},
      {"filed_at", "filing time, ISO 8601 UTC"},
      {"due_at", "deadline, ISO 8601 UTC (null while none)"},
      {"due_ms", "deadline, ms since the epoch (0 while none)"},
      {"location", "{lon, lat} (WGS84) or null"},
      {"location.lon", "longitude or null"},
      {"location.lat", "latitude or null"},
      {"report_count", "number of reports merged into the case"},
      {"event_ids", "edge event ids / manual report ids (list)"},
      {"description", "the first report's note"},
      {"kind", "output kind: new_case, transition, reminder, supervision"},
      {"action", "transition action (null for other outputs)"},
      {"actor", "who acted (transitions)"},
      {"note", "transition note"},
      {"at", "time of the output, ISO 8601 UTC"},
      {"at_ms", "time of the output, ms since the epoch"},
      {"seq", "the connector's message number for the case (1 = the new case)"},
      {"round", "supervision round"},
      {"escalation_level", "supervision: the level escalated to"},
  };
  return fields;
}

namespace {

bool known(std::string_view name) {
  for (const auto& [k, d] : case_fields()) {
    if (k == name) return true;
  }
  return false;
}

std::string text_of(const nlohmann::json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : ",") + text_of(x);
    return out;
  }
  return v.dump();
}

const char* kind_name(cases::OutputKind k) {
  switch (k) {
    case cases::OutputKind::kNewCase:
      return "new_case";
    case cases::OutputKind::kTransition:
      return "transition";
    case cases::OutputKind::kReminder:
      return "reminder";
    case cases::OutputKind::kSupervision:
      return "supervision";
  }
  return "unknown";
}

}  // namespace

std::string check_expression(std::string_view e) {
  if (e.find('{') == std::string_view::npos && e.find('}') == std::string_view::npos) {
    if (known(e)) return {};
    return "unknown case field \"" + std::string(e) + "\" (text goes in a \"{field}\" template)";
  }
  std::size_t i = 0;
  while (i < e.size()) {
    if (e[i] == '}') return "unmatched '}'";
    if (e[i] != '{') {
      ++i;
      continue;
    }
    auto close = e.find('}', i);
    if (close == std::string_view::npos) return "unmatched '{'";
    auto name = e.substr(i + 1, close - i - 1);
    if (!known(name)) return "unknown case field \"{" + std::string(name) + "}\"";
    i = close + 1;
  }
  return {};
}

nlohmann::json iso_utc(std::int64_t ms) {
  if (ms <= 0) return nullptr;
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf);
}

std::string with_case_id(std::string text, long long case_id) {
  const std::string key = "{case_id}";
  for (auto pos = text.find(key); pos != std::string::npos; pos = text.find(key, pos)) {
    text.replace(pos, key.size(), std::to_string(case_id));
  }
  return text;
}

nlohmann::json case_view(const cases::Case& c, const cases::CaseOutput& o, const CaseNames& names,
                         int seq) {
  nlohmann::json v = nlohmann::json::object();
  v["case_id"] = c.id;
  v["external_id"] = "gridsight-" + std::to_string(c.id);
  v["class_code"] = c.class_code;
  v["class_name"] = names.class_name.empty() ? c.class_code : names.class_name;
  v["cell_code"] = c.cell_code;
  v["cell_name"] = names.cell_name.empty() ? c.cell_code : names.cell_name;
  v["state"] = cases::to_string(o.state);
  v["source"] = cases::to_string(c.source);
  v["camera_id"] = c.camera_id;
  v["device_id"] = c.device_id;
  v["detector"] = c.detector;
  v["zone"] = c.zone;
  nlohmann::json deps = nlohmann::json::array();
  for (const auto& d : o.departments) deps.push_back(d);
  if (deps.empty()) {
    for (const auto& a : c.departments) deps.push_back(a.department);
  }
  v["department"] = deps.empty() ? nlohmann::json("") : deps.front();
  v["departments"] = deps;
  v["reported_at"] = iso_utc(c.reported_ms);
  v["reported_ms"] = c.reported_ms;
  v["filed_at"] = iso_utc(c.filed_ms);
  const std::int64_t due = o.due_ms ? o.due_ms : c.due_ms;
  v["due_at"] = iso_utc(due);
  v["due_ms"] = due;
  if (c.lon && c.lat) {
    v["location"] = {{"lon", *c.lon}, {"lat", *c.lat}};
    v["location.lon"] = *c.lon;
    v["location.lat"] = *c.lat;
  } else {
    v["location"] = nullptr;
    v["location.lon"] = nullptr;
    v["location.lat"] = nullptr;
  }
  v["report_count"] = c.reports.size();
  nlohmann::json ids = nlohmann::json::array();
  for (const auto& r : c.reports) ids.push_back(r.event_id);
  v["event_ids"] = ids;
  v["description"] = c.reports.empty() ? "" : c.reports.front().note;
  v["kind"] = kind_name(o.kind);
  if (o.transition) {
    v["action"] = cases::to_string(o.transition->action);
    v["actor"] = o.transition->actor;
    v["note"] = o.transition->note;
  } else {
    v["action"] = nullptr;
    v["actor"] = "";
    v["note"] = "";
  }
  v["at"] = iso_utc(o.at_ms);
  v["at_ms"] = o.at_ms;
  v["seq"] = seq;
  v["round"] = o.round;
  v["escalation_level"] = o.escalation_level;
  return v;
}

nlohmann::json render(const FieldMap& fields, const nlohmann::json& view) {
  nlohmann::json doc = nlohmann::json::object();
  for (const auto& [name, expr] : fields) {
    nlohmann::json value;
    if (expr.find('{') == std::string::npos) {
      auto it = view.find(expr);
      value = it == view.end() ? nlohmann::json(nullptr) : *it;
    } else {
      std::string out;
      std::size_t i = 0;
      while (i < expr.size()) {
        if (expr[i] != '{') {
          out += expr[i++];
          continue;
        }
        auto close = expr.find('}', i);
        if (close == std::string::npos) break;  // refused at configuration
        auto it = view.find(expr.substr(i + 1, close - i - 1));
        if (it != view.end()) out += text_of(*it);
        i = close + 1;
      }
      value = out;
    }
    std::string pointer = "/" + name;
    for (auto& ch : pointer) {
      if (ch == '.') ch = '/';
    }
    doc[nlohmann::json::json_pointer(pointer)] = std::move(value);
  }
  return doc;
}

}  // namespace gridsight::connector
