#include "common/json_writer.h"

#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>

namespace gridsight {
namespace {

TEST(JsonWriter, WritesWhatNlohmannReadsBackIncludingEscapes) {
  const std::string tricky = std::string("quote\" back\\ nl\n tab\t ctl\x01 ") + "中文";
  JsonWriter w;
  w.begin_object()
      .field("s", tricky)
      .field("i", std::int64_t{-42})
      .field("big", std::numeric_limits<std::int64_t>::max())
      .field("b", true)
      .field("d", 116.397128)
      .key("n")
      .null()
      .key("arr")
      .begin_array()
      .value(1)
      .value("two")
      .begin_object()
      .field("x", false)
      .end_object()
      .begin_array()
      .end_array()
      .end_array()
      .key("empty")
      .begin_object()
      .end_object()
      .end_object();
  const auto j = nlohmann::json::parse(w.str());
  EXPECT_EQ(j["s"], tricky);
  EXPECT_EQ(j["i"], -42);
  EXPECT_EQ(j["big"], std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(j["b"], true);
  EXPECT_DOUBLE_EQ(j["d"].get<double>(), 116.397128);
  EXPECT_TRUE(j["n"].is_null());
  EXPECT_EQ(j["arr"].size(), 4u);
  EXPECT_EQ(j["arr"][1], "two");
  EXPECT_EQ(j["arr"][2]["x"], false);
  EXPECT_TRUE(j["arr"][3].empty());
  EXPECT_TRUE(j["empty"].is_object());
  EXPECT_EQ(w.str().find('\n'), std::string::npos);  // control characters escaped
}

}  // namespace
}  // namespace gridsight
