// One list of error codes (common/http/error_codes.h): docs/api.md and docs/openapi.yaml list
// exactly these, and every error the server and the API answer with is one of them, with one
// of its statuses.
#include "common/http/error_codes.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace gridsight::http {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& p) {
  std::ifstream in(p);
  EXPECT_TRUE(in.good()) << p;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const fs::path kSource = GRIDSIGHT_SOURCE_DIR;

std::set<std::string> listed_codes() {
  std::set<std::string> out;
  for (const auto& e : kErrorCodes) out.insert(std::string(e.code));
  return out;
}

std::string statuses_text(const ErrorCode& e) {
  std::string s = std::to_string(e.statuses[0]);
  if (e.statuses[1] != 0) s += ", " + std::to_string(e.statuses[1]);
  return s;
}

TEST(ErrorCodes, TheDocsTableIsTheList) {
  const std::string doc = read(kSource / "docs/api.md");
  // Rows "| `code` | 400 | when |" of the errors table.
  std::regex row(R"(\|\s*`([a-z_]+)`\s*\|\s*([0-9, ]+?)\s*\|\s*([^|]+?)\s*\|)");
  std::map<std::string, std::string> documented;
  for (auto it = std::sregex_iterator(doc.begin(), doc.end(), row); it != std::sregex_iterator();
       ++it) {
    documented[(*it)[1]] = (*it)[2];
  }
  ASSERT_FALSE(documented.empty());
  for (const auto& e : kErrorCodes) {
    auto it = documented.find(std::string(e.code));
    ASSERT_NE(it, documented.end()) << e.code << " is not in docs/api.md";
    EXPECT_EQ(it->second, statuses_text(e)) << e.code;
    documented.erase(it);
  }
  EXPECT_TRUE(documented.empty()) << documented.begin()->first
                                  << " is documented but not in error_codes.h";
}

TEST(ErrorCodes, TheOpenApiEnumIsTheList) {
  const std::string spec = read(kSource / "docs/openapi.yaml");
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(spec, m, std::regex(R"(error: \{type: string, enum: \[([^\]]*)\])")));
  std::set<std::string> in_spec;
  std::string list = m[1];
  std::regex word("[a-z_]+");
  for (auto it = std::sregex_iterator(list.begin(), list.end(), word); it != std::sregex_iterator();
       ++it) {
    in_spec.insert(it->str());
  }
  EXPECT_EQ(in_spec, listed_codes());
}

// Every Response::error(<status>, "<code>" or k<Name>, ...) of the server, the router and the
// API uses a listed code with one of its statuses.
TEST(ErrorCodes, EveryAnsweredErrorIsListed) {
  std::regex call(R"re(Response::error\(\s*([0-9]{3}),\s*("([a-z_]+)"|(k[A-Za-z]+)))re");
  std::map<std::string, std::string> constants;
  for (const auto& e : kErrorCodes) {
    std::string name = "k";
    bool up = true;
    for (char c : e.code) {
      if (c == '_') {
        up = true;
        continue;
      }
      name += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
      up = false;
    }
    constants[name] = std::string(e.code);
  }
  int calls = 0;
  for (const char* dir : {"common/http", "aggregator/api"}) {
    for (const auto& f : fs::recursive_directory_iterator(kSource / dir)) {
      if (f.path().extension() != ".cpp") continue;
      const std::string text = read(f.path());
      for (auto it = std::sregex_iterator(text.begin(), text.end(), call);
           it != std::sregex_iterator(); ++it) {
        ++calls;
        const int status = std::stoi((*it)[1]);
        const std::string code =
            (*it)[3].matched ? std::string((*it)[3]) : constants[std::string((*it)[4])];
        const ErrorCode* e = find_error_code(code);
        ASSERT_NE(e, nullptr) << f.path() << ": \"" << (*it)[0] << "\" is not a listed code";
        EXPECT_TRUE(e->statuses[0] == status || e->statuses[1] == status)
            << f.path() << ": " << code << " with status " << status;
      }
    }
  }
  EXPECT_GT(calls, 20);
}

}  // namespace
}  // namespace gridsight::http
