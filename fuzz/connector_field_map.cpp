// The connector's field mapping: a `connector:` section (YAML, before the first NUL byte) is
// read as the aggregator reads it; when it is accepted, its field maps render a case built
// from the rest of the input (lines: class, cell, camera, device, detector, zone, note,
// actor, department) into platform documents that serialise. A map the configuration
// accepted must never fail to render.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "aggregator/dispatch/connector/connector_config.h"
#include "aggregator/dispatch/connector/field_map.h"
#include "common/config/section.h"
#include "fuzz/fuzz_check.h"

namespace {

using namespace gridsight;

// Case text arrives as UTF-8 (JSON messages and API bodies are checked on the way in).
std::vector<std::string> ascii_lines(std::string_view text) {
  std::vector<std::string> out;
  std::string line;
  for (char ch : text) {
    if (ch == '\n') {
      out.push_back(line);
      line.clear();
    } else {
      line += (static_cast<unsigned char>(ch) < 0x80) ? ch : '?';
    }
  }
  out.push_back(line);
  out.resize(9);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto nul = input.find('\0');
  connector::ConnectorConfig cfg;
  try {
    auto s = config::load_string(std::string(input.substr(0, nul)), "fuzz.yaml");
    cfg = connector::ConnectorConfig::read(s);
  } catch (const config::Error&) {
    return 0;
  }
  for (const auto& [name, expr] : cfg.fields) FUZZ_CHECK(connector::check_expression(expr).empty());

  const auto lines =
      ascii_lines(nul == std::string_view::npos ? std::string_view{} : input.substr(nul + 1));
  cases::Case c;
  c.id = 42;
  c.class_code = lines[0];
  c.cell_code = lines[1];
  c.camera_id = lines[2];
  c.device_id = lines[3];
  c.detector = lines[4];
  c.zone = lines[5];
  c.reports.push_back(
      {"report-1", cases::Source::kHotline, c.camera_id, c.detector, 1'764'000'000'000, lines[6]});
  c.departments.push_back({lines[8], false, 0});
  c.lon = 116.39;
  c.lat = 39.9;
  c.reported_ms = 1'764'000'000'000;
  cases::CaseOutput out;
  out.kind = cases::OutputKind::kTransition;
  out.case_id = c.id;
  out.at_ms = c.reported_ms + 60'000;
  out.state = cases::State::kDispatched;
  out.transition = cases::Transition{2,
                                     cases::Action::kDispatch,
                                     cases::State::kFiled,
                                     cases::State::kDispatched,
                                     lines[7],
                                     out.at_ms,
                                     lines[6]};

  const auto view = connector::case_view(c, out, {"name of " + c.class_code, ""}, 1);
  for (const auto* fields : {&cfg.fields, &cfg.update_fields}) {
    const auto doc = connector::render(*fields, view);
    FUZZ_CHECK(doc.is_object());
    doc.dump();
  }
  return 0;
}
