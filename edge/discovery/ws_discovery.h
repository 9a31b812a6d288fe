#pragma once
// WS-Discovery (ONVIF Core §7): a Probe for NetworkVideoTransmitter devices, sent to the
// multicast group 239.255.255.250:3702 on one interface and/or to unicast addresses (devices
// in another subnet, tests), and the ProbeMatches answers collected for a bounded time.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gridsight::edge::discovery {

inline constexpr std::string_view kMulticastGroup = "239.255.255.250";
inline constexpr int kDiscoveryPort = 3702;

struct ProbeOptions {
  // Interface that sends the multicast probe: a name ("eth0") or its IPv4 address; empty: the
  // interface of the system's multicast route.
  std::string interface;
  // Unicast probes, "host" or "host:port" (port 3702 unless given).
  std::vector<std::string> targets;
  bool multicast = true;        // also probe the multicast group
  std::int64_t wait_ms = 3000;  // answers are collected this long after the first probe
};

struct ProbeMatch {
  std::string endpoint;             // the device's stable address (wsa:Address, "urn:uuid:...")
  std::vector<std::string> xaddrs;  // device service URLs
  std::vector<std::string> scopes;  // "onvif://www.onvif.org/name/...", ...
  std::string types;
  std::string from;  // the answer's sender, "ip:port"
};

struct ProbeResult {
  std::vector<ProbeMatch> matches;  // one per endpoint, in order of first answer
  std::vector<std::string> errors;  // a socket or interface error stops the probe
  int malformed = 0;                // datagrams that were not ProbeMatches (counted, skipped)
  int unrelated = 0;                // ProbeMatches answering someone else's probe
};

// The Probe message for one message id ("urn:uuid:...").
std::string probe_message(std::string_view message_id);
enum class ProbeAnswer { kMatches, kMalformed, kUnrelated };
// Appends the ProbeMatch entries of a datagram answering `message_id` to `out`; kMalformed
// (with `error` set) when it is not a ProbeMatches message, kUnrelated when it answers
// another probe.
ProbeAnswer parse_probe_matches(std::string_view datagram, std::string_view message_id,
                                std::vector<ProbeMatch>& out, std::string* error = nullptr);

// The value of a scope "onvif://www.onvif.org/<key>/<value>" (URL-decoded), or empty.
std::string scope_value(const std::vector<std::string>& scopes, std::string_view key);

ProbeResult probe(const ProbeOptions& options);

}  // namespace gridsight::edge::discovery
