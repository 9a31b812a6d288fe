#pragma once
// The error codes the HTTP server and the aggregator API answer with, in one list: the
// `error` field of `{"error": "<code>", "reason": "..."}`. docs/api.md ("Errors") and
// docs/openapi.yaml (schema Error) list the same codes; a test compares them.

#include <array>
#include <string_view>

namespace gridsight::http {

struct ErrorCode {
  std::string_view code;
  std::array<int, 2> statuses;  // the HTTP statuses it comes with (0: unused slot)
  std::string_view meaning;
};

inline constexpr std::string_view kBadRequest = "bad_request";
inline constexpr std::string_view kUnauthorized = "unauthorized";
inline constexpr std::string_view kForbidden = "forbidden";
inline constexpr std::string_view kNotFound = "not_found";
inline constexpr std::string_view kMethodNotAllowed = "method_not_allowed";
inline constexpr std::string_view kConflict = "conflict";
inline constexpr std::string_view kTooLarge = "too_large";
inline constexpr std::string_view kRangeNotSatisfiable = "range_not_satisfiable";
inline constexpr std::string_view kRateLimited = "rate_limited";
inline constexpr std::string_view kInternalError = "internal_error";
inline constexpr std::string_view kUnavailable = "unavailable";

inline constexpr std::array<ErrorCode, 11> kErrorCodes = {{
    {kBadRequest,
     {400, 0},
     "malformed request or JSON, unknown field, wrong type, bad query parameter or path"},
    {kUnauthorized, {401, 0}, "no valid session or token"},
    {kForbidden, {403, 0}, "wrong role or department"},
    {kNotFound, {404, 0}, "no such resource (or not disclosed to the caller)"},
    {kMethodNotAllowed, {405, 0}, "the path exists, the method does not (`Allow` lists them)"},
    {kConflict, {409, 0}, "the lifecycle refuses the action in the case's state"},
    {kTooLarge, {413, 431}, "body above `api.max_body_bytes` (413) or header too large (431)"},
    {kRangeNotSatisfiable, {416, 0}, "a Range beyond the file's end"},
    {kRateLimited, {429, 0}, "too many failed logins (`Retry-After` seconds)"},
    {kInternalError, {500, 0}, "the request could not be completed (logged)"},
    {kUnavailable, {503, 0}, "no users or tokens configured, or the grid engine is off"},
}};

// The listed entry for `code`, or null.
constexpr const ErrorCode* find_error_code(std::string_view code) {
  for (const auto& e : kErrorCodes) {
    if (e.code == code) return &e;
  }
  return nullptr;
}

}  // namespace gridsight::http
