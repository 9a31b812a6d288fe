// YAML configuration: any text through config::load_string and the typed Section readers,
// then the real section readers of both sides (common: mqtt, edge: status, aggregator: api).
// Bad input must end in config::Error (file:line:key); any other exception, a crash or a
// value outside the asked bounds is a defect.
#include <cstddef>
#include <cstdint>
#include <string>

#include "aggregator/api/api_config.h"
#include "common/config/location.h"
#include "common/config/section.h"
#include "common/mqtt/options.h"
#include "edge/status/config.h"
#include "fuzz/fuzz_check.h"

namespace {

using gridsight::config::Error;
using gridsight::config::Section;

// Every typed reader on keys named after it, each bound checked.
void typed(Section& s) {
  try {
    s.boolean("flag", false);
  } catch (const Error&) {
  }
  try {
    const auto v = s.integer("count", 5, -1000, 1000);
    FUZZ_CHECK(v >= -1000 && v <= 1000);
  } catch (const Error&) {
  }
  try {
    const double v = s.number("ratio", 0.5, 0, 1);
    FUZZ_CHECK(v >= 0 && v <= 1);
  } catch (const Error&) {
  }
  try {
    const auto v = s.duration_ms("timeout", 1000, 1, 7LL * 86'400'000);
    FUZZ_CHECK(v >= 1 && v <= 7LL * 86'400'000);
  } catch (const Error&) {
  }
  try {
    const auto v = s.bytes("limit", 1024, 1, 1ULL << 40);
    FUZZ_CHECK(v >= 1 && v <= 1ULL << 40);
  } catch (const Error&) {
  }
  try {
    s.choice("mode", "a", {"a", "b", "c"});
  } catch (const Error&) {
  }
  try {
    s.string("name", "x");
    s.optional_string("label");
    s.strings("tags");
    s.numbers("values");
  } catch (const Error&) {
  }
  try {
    gridsight::config::read_location(s, "location");
  } catch (const Error&) {
  }
  try {
    for (auto& item : s.list("items")) {
      item.required_string("id");
      item.finish();
    }
  } catch (const Error&) {
  }
  try {
    auto child = s.section("child");
    child.integer("count", 0, 0, 10);
    child.dump("count");
    child.finish();
  } catch (const Error&) {
  }
  try {
    s.dump("name");
    s.finish();
  } catch (const Error&) {
  }
}

template <class Config>
void real(Section& root, const char* key) {
  try {
    auto s = root.section(key);
    Config::read(s);
  } catch (const Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    Section root = gridsight::config::load_string(text, "fuzz.yaml");
    real<gridsight::mqtt::Options>(root, "mqtt");
    real<gridsight::edge::status::StatusConfig>(root, "status");
    real<gridsight::api::ApiConfig>(root, "api");
    try {
      auto s = root.section("typed");
      typed(s);
    } catch (const Error&) {
    }
  } catch (const Error&) {
  }
  return 0;
}
