#pragma once
// A TCP connection made with a bound wait (a blocking connect() to an unreachable host can
// hang for minutes).

#include <cstdint>
#include <string>

namespace gridsight {

// Connects to host:port (every resolved address in turn) within `timeout_ms` each. Returns a
// blocking socket whose reads and writes time out after `timeout_ms` too, or -1 with `why`
// naming the failure. The caller closes the socket.
int tcp_connect(const std::string& host, int port, std::int64_t timeout_ms, std::string& why);

}  // namespace gridsight
