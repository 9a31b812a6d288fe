#include <gtest/gtest.h>

#include "common/backoff.h"

namespace gridsight {
namespace {

TEST(Backoff, GrowsExponentiallyWithJitterUpToTheMaximum) {
  Backoff b({100, 1000, 2.0, 0.5}, 42);
  std::int64_t ceilings[] = {100, 200, 400, 800, 1000, 1000};
  for (auto c : ceilings) {
    auto d = b.next_delay_ms();
    EXPECT_GE(d, c / 2);
    EXPECT_LE(d, c);
  }
  b.reset();
  EXPECT_LE(b.next_delay_ms(), 100);
}

TEST(Backoff, JitterSpreadsDelays) {
  Backoff a({1000, 1000, 2.0, 0.5}, 1), b({1000, 1000, 2.0, 0.5}, 2);
  int differ = 0;
  for (int i = 0; i < 10; ++i) differ += a.next_delay_ms() != b.next_delay_ms();
  EXPECT_GT(differ, 5);
}

}  // namespace
}  // namespace gridsight
