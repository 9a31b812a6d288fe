#include "aggregator/dispatch/mqtt_case_sink.h"

#include <spdlog/spdlog.h>

#include <ctime>

#include "aggregator/cases/case_json.h"
#include "common/mqtt/session.h"

namespace gridsight::aggregator {
namespace {

std::string utc(std::int64_t ms) {
  if (ms <= 0) return "-";
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

MqttCaseSink::MqttCaseSink(mqtt::Session& session, const std::string& topic_root)
    : session_(session), topic_(topic_root + "/dispatch/v1/cases") {}

void MqttCaseSink::publish(const cases::CaseOutput& o) {
  std::string departments;
  for (const auto& d : o.departments) departments += (departments.empty() ? "" : ",") + d;
  spdlog::info("case {} {}: state {}, class {}, cell {}, department {}, due {}", o.case_id,
               cases::to_string(o.kind), cases::to_string(o.state), o.class_code, o.cell_code,
               departments.empty() ? "-" : departments, utc(o.due_ms));
  // Stored by the engine before this call; a publish lost while the broker is away is not
  // re-sent here (the dispatch side reads the case store through the API for catch-up).
  if (!session_.publish(topic_, cases::to_json(o), 1, false)) {
    spdlog::debug("case {}: not connected, output not published", o.case_id);
  }
}

}  // namespace gridsight::aggregator
