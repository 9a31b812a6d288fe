// Open311 service requests (POST /open311/v2/requests.json and the dates of GET
// requests.json): the first byte picks form or JSON, the rest is the body. Fields that pass
// are known names; a location that passes is finite and on the globe.
#include "aggregator/api/open311_form.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gridsight::api;
  if (size == 0) return 0;
  const std::string_view type =
      (data[0] & 1) ? "application/json; charset=utf-8" : "application/x-www-form-urlencoded";
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  Open311Body parsed = parse_open311_body(type, body);
  if (!parsed.error.empty()) return 0;
  auto& f = parsed.fields;
  if (auto at = open311_location(f["lat"], f["long"])) {
    FUZZ_CHECK(std::isfinite(at->lat) && at->lat >= -90 && at->lat <= 90);
    FUZZ_CHECK(std::isfinite(at->lon) && at->lon >= -180 && at->lon <= 180);
  }
  parse_iso8601(f["description"]);
  parse_iso8601(f["external_id"]);
  return 0;
}
