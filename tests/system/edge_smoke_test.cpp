// Edge smoke test: one gridsight-edge, a real mosquitto and a real gridsight-aggregator
// (tests/support/harness.h). The edge's birth reaches the aggregator, its events are stored
// there, and the aggregator's confirmations empty the edge's outbox.
//
// Natively it checks the build's own edge. scripts/cross-test.sh runs it with the arm64 edge
// under qemu-aarch64 (GRIDSIGHT_TEST_EDGE_BIN, GRIDSIGHT_TEST_EDGE_EMULATOR, QEMU_LD_PREFIX)
// against the native broker and aggregator: the arm64 smoke test of docs/arm64.md.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/harness.h"

namespace gridsight::test {
namespace {

// Bounds on waiting only (an emulated edge on 2 shared cores); no assertion is about speed.
constexpr Millis kWait = 120s;
constexpr std::int64_t kEvents = 25;

std::string joined(const std::vector<std::string>& words) {
  std::string s;
  for (const auto& w : words) s += (s.empty() ? "" : " ") + w;
  return s;
}

TEST(EdgeSmoke, BirthAndEventsReachTheAggregator) {
  TempDir dir("gridsight-edge-smoke");
  std::printf("edge under test: %s\n", joined(edge_command()).c_str());

  Mosquitto broker(dir / "broker");
  broker.start();

  AggregatorSpec aggregator_spec;
  aggregator_spec.mqtt_port = broker.port();
  Aggregator aggregator(dir.path(), aggregator_spec);
  const auto subscribed_from = broker.process().log_size();
  aggregator.start();
  // Subscribed before the edge starts, so the events cannot miss it.
  ASSERT_TRUE(broker.process().wait_for_log("gridsight/v1/+/events", kWait, subscribed_from))
      << broker.process().log_tail() << aggregator.process().log_tail();

  EdgeSpec edge_spec;
  edge_spec.device_id = "edge-smoke";
  edge_spec.mqtt_port = broker.port();
  Edge edge(dir.path(), edge_spec);
  edge.start({"--synthetic", "--synthetic-camera", "cam-1", "--synthetic-rate", "50",
              "--synthetic-count", std::to_string(kEvents)});

  const std::string device_row = "FROM devices WHERE device_id = 'edge-smoke'";
  auto failure_context = [&] {
    return edge.process().log_tail() + aggregator.process().log_tail() +
           broker.process().log_tail(2000);
  };

  // Birth: the retained "online" state with the edge's version and session, as recorded by
  // the aggregator. (An edge that cannot start, e.g. a wrong emulator setup, fails at once.)
  auto online = [&] { return query_int(aggregator.db(), "SELECT online " + device_row); };
  wait_until([&] { return online() == 1 || !edge.process().is_running(); }, kWait, 100ms);
  ASSERT_EQ(online(), 1) << "edge running: " << edge.process().is_running() << "\n"
                         << failure_context();
  EXPECT_TRUE(query_text(aggregator.db(), "SELECT version " + device_row).has_value());
  EXPECT_TRUE(query_text(aggregator.db(), "SELECT session " + device_row).has_value());

  // Events: every one stored once at the aggregator, and the outbox emptied by its acks.
  EXPECT_TRUE(wait_until(
      [&] { return aggregator.stored("edge-smoke") == kEvents && edge.pending() == 0; }, kWait,
      200ms))
      << "stored " << aggregator.stored("edge-smoke").value_or(-1) << ", pending "
      << edge.pending().value_or(-1) << "\n"
      << failure_context();
  EXPECT_EQ(query_int(aggregator.db(),
                      "SELECT COUNT(DISTINCT seq) FROM events WHERE device_id = 'edge-smoke'"),
            kEvents);
  EXPECT_EQ(query_int(aggregator.db(), "SELECT COUNT(*) FROM dead_letters"), 0);

  // A clean shutdown announces "offline" (reason shutdown) before the edge exits 0.
  EXPECT_EQ(edge.stop(), 0) << edge.process().log_tail();
  EXPECT_TRUE(wait_until([&] { return online() == 0; }, kWait, 100ms)) << failure_context();
  EXPECT_EQ(aggregator.stop(), 0) << aggregator.process().log_tail();
  if (HasFailure()) dir.keep();
}

}  // namespace
}  // namespace gridsight::test
