#include <gtest/gtest.h>

#include "common/metrics.h"

namespace gridsight {
namespace {

TEST(Metrics, PrometheusExposition) {
  Metrics m;
  m.counter("gridsight_x_total", "Things", {{"code", "bad\"one"}}).inc(3);
  m.gauge("gridsight_depth", "Depth").set(2.5);
  EXPECT_EQ(&m.counter("gridsight_x_total", "Things", {{"code", "bad\"one"}}),
            &m.counter("gridsight_x_total", "", {{"code", "bad\"one"}}));
  std::string text = m.prometheus();
  EXPECT_NE(text.find("# TYPE gridsight_x_total counter"), std::string::npos);
  EXPECT_NE(text.find("gridsight_x_total{code=\"bad\\\"one\"} 3"), std::string::npos) << text;
  EXPECT_NE(text.find("gridsight_depth 2.5"), std::string::npos) << text;
  EXPECT_EQ(m.value("gridsight_x_total", {{"code", "bad\"one"}}), 3);
  EXPECT_EQ(m.value("absent"), 0);
}

}  // namespace
}  // namespace gridsight
