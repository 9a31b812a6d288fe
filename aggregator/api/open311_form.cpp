#include "aggregator/api/open311_form.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "common/http/message.h"

namespace gridsight::api {

std::map<std::string, std::string> parse_form(std::string_view body) {
  std::map<std::string, std::string> out;
  while (!body.empty()) {
    const auto amp = body.find('&');
    const std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto k = http::percent_decode(pair.substr(0, eq), true);
    auto v = http::percent_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
    if (k && v) out[*k] = *v;
  }
  return out;
}

Open311Body parse_open311_body(std::string_view content_type, std::string_view body) {
  Open311Body out;
  if (content_type.rfind("application/json", 0) == 0) {
    nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      out.error = "the body is not a JSON object";
      return out;
    }
    for (const auto& [k, v] : j.items()) {
      if (v.is_string()) {
        out.fields[k] = v.get<std::string>();
      } else if (v.is_number()) {
        out.fields[k] = v.dump();
      } else {
        out.error = "field " + k + " must be a string or a number";
        return out;
      }
    }
  } else {
    out.fields = parse_form(body);
  }
  static const std::set<std::string, std::less<>> kKnown = {
      "api_key",    "jurisdiction_id", "service_code", "lat",        "long",       "address_string",
      "address_id", "email",           "device_id",    "account_id", "first_name", "last_name",
      "phone",      "description",     "media_url",    "external_id"};
  for (const auto& [k, v] : out.fields) {
    if (!kKnown.count(k) && k.rfind("attribute[", 0) != 0) {
      out.error = "unknown field " + k;
      return out;
    }
  }
  return out;
}

namespace {

std::optional<double> whole_number(const std::string& text) {
  try {
    std::size_t used = 0;
    const double v = std::stod(text, &used);
    if (used != text.size() || !std::isfinite(v)) return std::nullopt;
    return v;
  } catch (const std::exception&) {  // std::invalid_argument, std::out_of_range
    return std::nullopt;
  }
}

}  // namespace

std::optional<protocol::GeoPoint> open311_location(const std::string& lat, const std::string& lon) {
  const auto la = whole_number(lat);
  const auto lo = whole_number(lon);
  if (!la || !lo || *la < -90 || *la > 90 || *lo < -180 || *lo > 180) return std::nullopt;
  return protocol::GeoPoint{*lo, *la, protocol::Crs::kWgs84};
}

std::optional<std::int64_t> parse_iso8601(const std::string& s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  char tail[16] = {};
  int n = std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%15s", &y, &mo, &d, &h, &mi, &sec, tail);
  if (n != 3 && n < 6) return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 ||
      sec > 60) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  std::int64_t t = static_cast<std::int64_t>(timegm(&tm));
  std::string z(tail);
  if (n == 7 && !z.empty() && z != "Z") {
    // Skip fractional seconds.
    std::size_t i = 0;
    if (z[0] == '.') {
      i = 1;
      while (i < z.size() && std::isdigit(static_cast<unsigned char>(z[i]))) ++i;
    }
    z = z.substr(i);
    if (!z.empty() && z != "Z") {
      int oh = 0, om = 0;
      if ((z[0] != '+' && z[0] != '-') || std::sscanf(z.c_str() + 1, "%2d:%2d", &oh, &om) != 2 ||
          oh < 0 || oh > 23 || om < 0 || om > 59) {
        return std::nullopt;
      }
      const int off = (oh * 60 + om) * 60;
      t -= z[0] == '+' ? off : -off;
    }
  }
  return t * 1000;
}

}  // namespace gridsight::api
