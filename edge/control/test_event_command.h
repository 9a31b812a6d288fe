#pragma once
// `gridsight-edge test-event`: asks the running daemon (through its control socket) to raise
// a test event and reports whether the aggregator confirmed it within `timeout_ms`, which this
// command owns. Exit status (docs/installer-guide.md):
//   0  confirmed by the aggregator
//   4  not confirmed in time (the event stays in the outbox and is delivered later)
//   5  refused by the aggregator (dead-lettered), or the daemon could not raise it
//   6  no running daemon answers on the socket

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

namespace gridsight::edge::control {

inline constexpr int kTestEventConfirmed = 0;
inline constexpr int kTestEventTimeout = 4;
inline constexpr int kTestEventRefused = 5;
inline constexpr int kTestEventNoDaemon = 6;

int run_test_event(const std::filesystem::path& socket, const std::string& camera,
                   std::int64_t timeout_ms, std::FILE* out);

}  // namespace gridsight::edge::control
