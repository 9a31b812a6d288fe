#pragma once
// Routes "METHOD /path/{param}/..." patterns to handlers. A segment "{name}" matches one
// non-empty path segment; a final "{name...}" matches the rest of the path. Exact segments
// win over parameters; unknown path → 404, known path with another method → 405 with Allow.

#include <string>
#include <vector>

#include "common/http/message.h"

namespace gridsight::http {

class Router {
 public:
  void add(std::string method, std::string pattern, Handler handler);
  // Fills request.params and returns the response of the matching handler, or 404/405.
  Response route(Request& request) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Handler handler;
  };
  static bool match(const Route& route, const std::vector<std::string>& path,
                    std::map<std::string, std::string>& params);
  std::vector<Route> routes_;
};

// "/a/b/" → {"a", "b"}; empty segments dropped.
std::vector<std::string> split_path(std::string_view path);

}  // namespace gridsight::http
