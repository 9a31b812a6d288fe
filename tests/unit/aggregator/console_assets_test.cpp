// The console's files are embedded into the binary: every file the pages load exists in the
// table with its content type, and nothing outside the table can be reached.
#include "aggregator/api/console/console_assets.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>

namespace gridsight::api {
namespace {

TEST(ConsoleAssets, ServesIndexAtTheRoot) {
  for (const char* path : {"", "/", "index.html", "/index.html"}) {
    auto a = console_asset(path);
    ASSERT_TRUE(a) << path;
    EXPECT_EQ(a->content_type, "text/html; charset=utf-8");
    EXPECT_NE(a->body.find("<!doctype html>"), std::string_view::npos);
    EXPECT_GE(a->etag.size(), 3u);
    EXPECT_EQ(a->etag.front(), '"');
  }
}

TEST(ConsoleAssets, ContentTypesByExtension) {
  EXPECT_EQ(console_asset("js/app.js")->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(console_asset("console.css")->content_type, "text/css; charset=utf-8");
  EXPECT_EQ(console_asset("icon.svg")->content_type, "image/svg+xml");
}

TEST(ConsoleAssets, OnlyEmbeddedFilesExist) {
  for (const char* path : {"missing.js", "../CMakeLists.txt", "js/../index.html", "/etc/passwd",
                           "js", "js/", "index.html/", "INDEX.HTML"}) {
    EXPECT_FALSE(console_asset(path)) << path;
  }
}

// Every /console/... reference in index.html and every module import resolves to a file in
// the table, and nothing loads from another origin (a command centre may be offline).
TEST(ConsoleAssets, EveryReferencedFileIsEmbeddedAndNothingIsExternal) {
  std::set<std::string> paths;
  for (const EmbeddedFile* f = kConsoleFiles; f->data != nullptr; ++f) paths.insert(f->path);
  ASSERT_TRUE(paths.count("index.html"));
  const std::string index(console_asset("index.html")->body);
  std::regex ref(R"re((?:href|src)="/console/([^"]+)")re");
  int refs = 0;
  for (std::sregex_iterator it(index.begin(), index.end(), ref), end; it != end; ++it, ++refs) {
    EXPECT_TRUE(paths.count((*it)[1].str())) << (*it)[1].str();
  }
  EXPECT_GE(refs, 3);
  std::regex import(R"re(from '\./([\w-]+\.js)')re");
  for (const auto& p : paths) {
    std::string body(console_asset(p)->body);
    // The SVG namespace is a name, not a download.
    const std::string svg_ns = "http://www.w3.org/2000/svg";
    for (auto at = body.find(svg_ns); at != std::string::npos; at = body.find(svg_ns)) {
      body.erase(at, svg_ns.size());
    }
    EXPECT_EQ(body.find("http://"), std::string::npos) << p;
    EXPECT_EQ(body.find("https://"), std::string::npos) << p;
    if (p.rfind("js/", 0) != 0) continue;
    for (std::sregex_iterator it(body.begin(), body.end(), import), end; it != end; ++it) {
      EXPECT_TRUE(paths.count("js/" + (*it)[1].str())) << p << " imports " << (*it)[1].str();
    }
  }
}

}  // namespace
}  // namespace gridsight::api
