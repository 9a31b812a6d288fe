#include "common/http/router.h"

#include <algorithm>
#include <set>

#include "common/http/error_codes.h"

namespace gridsight::http {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  while (!path.empty()) {
    const auto slash = path.find('/');
    const std::string_view seg = path.substr(0, slash);
    if (!seg.empty()) out.emplace_back(seg);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

void Router::add(std::string method, std::string pattern, Handler handler) {
  routes_.push_back(Route{std::move(method), split_path(pattern), std::move(handler)});
  // Routes with more literal segments first, so "/cases/export" wins over "/cases/{id}".
  std::stable_sort(routes_.begin(), routes_.end(), [](const Route& a, const Route& b) {
    auto literals = [](const Route& r) {
      return std::count_if(r.segments.begin(), r.segments.end(),
                           [](const std::string& s) { return s.empty() || s.front() != '{'; });
    };
    return literals(a) > literals(b);
  });
}

bool Router::match(const Route& route, const std::vector<std::string>& path,
                   std::map<std::string, std::string>& params) {
  std::map<std::string, std::string> found;
  for (std::size_t i = 0; i < route.segments.size(); ++i) {
    const std::string& seg = route.segments[i];
    const bool is_param = seg.size() > 2 && seg.front() == '{' && seg.back() == '}';
    if (is_param && seg.size() > 5 && seg.compare(seg.size() - 4, 4, "...}") == 0) {
      if (i >= path.size()) return false;
      std::string rest;
      for (std::size_t j = i; j < path.size(); ++j) {
        if (!rest.empty()) rest += '/';
        rest += path[j];
      }
      found[seg.substr(1, seg.size() - 5)] = rest;
      params = std::move(found);
      return true;
    }
    if (i >= path.size()) return false;
    if (is_param) {
      found[seg.substr(1, seg.size() - 2)] = path[i];
    } else if (seg != path[i]) {
      return false;
    }
  }
  if (route.segments.size() != path.size()) return false;
  params = std::move(found);
  return true;
}

Response Router::route(Request& request) const {
  const auto path = split_path(request.path);
  std::set<std::string> allowed;
  for (const Route& r : routes_) {
    std::map<std::string, std::string> params;
    if (!match(r, path, params)) continue;
    if (r.method == request.method || (request.method == "HEAD" && r.method == "GET")) {
      request.params = std::move(params);
      return r.handler(request);
    }
    allowed.insert(r.method);
  }
  if (allowed.empty()) return Response::error(404, kNotFound, "no such resource: " + request.path);
  std::string allow;
  for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
  return Response::error(405, kMethodNotAllowed, request.method + " is not allowed here")
      .with_header("Allow", allow);
}

}  // namespace gridsight::http
