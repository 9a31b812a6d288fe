#include "edge/discovery/ws_discovery.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>

#include "edge/discovery/xml.h"

namespace gridsight::edge::discovery {
namespace {

std::string new_message_id() {
  unsigned char b[16];
  RAND_bytes(b, sizeof b);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // variant
  char s[64];
  std::snprintf(s, sizeof s,
                "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
                b[13], b[14], b[15]);
  return s;
}

std::vector<std::string> split_ws(const std::string& s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    std::size_t j = i;
    while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j]))) ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

std::string url_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// The IPv4 address of an interface given by name or address.
std::optional<in_addr> interface_address(const std::string& name, std::string* error) {
  in_addr a{};
  if (::inet_pton(AF_INET, name.c_str(), &a) == 1) return a;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) {
    *error = std::string("getifaddrs: ") + std::strerror(errno);
    return std::nullopt;
  }
  std::optional<in_addr> found;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && name == i->ifa_name) {
      found = reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr;
      break;
    }
  }
  ::freeifaddrs(list);
  if (!found) *error = "interface " + name + ": no such interface with an IPv4 address";
  return found;
}

// "host[:port]" resolved to an IPv4 socket address.
std::optional<sockaddr_in> resolve_target(const std::string& target, std::string* error) {
  std::string host = target;
  std::string port = std::to_string(kDiscoveryPort);
  if (auto colon = target.rfind(':'); colon != std::string::npos) {
    host = target.substr(0, colon);
    port = target.substr(colon + 1);
  }
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0 || !res) {
    *error = "target " + target + ": " + ::gai_strerror(rc);
    return std::nullopt;
  }
  sockaddr_in a = *reinterpret_cast<sockaddr_in*>(res->ai_addr);
  ::freeaddrinfo(res);
  return a;
}

class Socket {
 public:
  Socket() : fd_(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

std::string sys_error(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

}  // namespace

std::string probe_message(std::string_view message_id) {
  std::string m =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
      "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
      "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
      "xmlns:d=\"http://schemas.xmlsoap.org/ws/2005/04/discovery\" "
      "xmlns:dn=\"http://www.onvif.org/ver10/network/wsdl\">"
      "<s:Header><a:Action s:mustUnderstand=\"1\">"
      "http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action><a:MessageID>";
  m += message_id;
  m += "</a:MessageID><a:ReplyTo><a:Address>"
       "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>"
       "<a:To s:mustUnderstand=\"1\">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>"
       "</s:Header><s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe>"
       "</s:Body></s:Envelope>";
  return m;
}

ProbeAnswer parse_probe_matches(std::string_view datagram, std::string_view message_id,
                                std::vector<ProbeMatch>& out, std::string* error) {
  auto doc = XmlDocument::parse(datagram, error);
  if (!doc) return ProbeAnswer::kMalformed;
  XmlNode root = doc->root();
  XmlNode matches = root.path({"Body", "ProbeMatches"});
  if (root.name() != "Envelope" || !matches) {
    if (error) *error = "not a ProbeMatches message";
    return ProbeAnswer::kMalformed;
  }
  const std::string relates = root.path({"Header", "RelatesTo"}).text();
  if (relates != message_id) {
    if (error) *error = "answers another probe (RelatesTo " + relates + ")";
    return ProbeAnswer::kUnrelated;
  }
  for (XmlNode m : matches.children("ProbeMatch")) {
    ProbeMatch pm;
    pm.endpoint = m.path({"EndpointReference", "Address"}).text();
    pm.types = m.child("Types").text();
    pm.scopes = split_ws(m.child("Scopes").text());
    pm.xaddrs = split_ws(m.child("XAddrs").text());
    if (pm.endpoint.empty() || pm.xaddrs.empty()) continue;  // nothing to call
    out.push_back(std::move(pm));
  }
  return ProbeAnswer::kMatches;
}

std::string scope_value(const std::vector<std::string>& scopes, std::string_view key) {
  const std::string prefix = "onvif://www.onvif.org/" + std::string(key) + "/";
  for (const auto& s : scopes) {
    if (s.size() > prefix.size() && s.compare(0, prefix.size(), prefix) == 0) {
      return url_decode(std::string_view(s).substr(prefix.size()));
    }
  }
  return {};
}

ProbeResult probe(const ProbeOptions& options) {
  ProbeResult result;
  Socket sock;
  if (sock.fd() < 0) {
    result.errors.push_back(sys_error("socket"));
    return result;
  }
  sockaddr_in local{};
  local.sin_family = AF_INET;
  if (!options.interface.empty()) {
    std::string error;
    auto addr = interface_address(options.interface, &error);
    if (!addr) {
      result.errors.push_back(error);
      return result;
    }
    if (::setsockopt(sock.fd(), IPPROTO_IP, IP_MULTICAST_IF, &*addr, sizeof *addr) != 0) {
      result.errors.push_back(sys_error("IP_MULTICAST_IF"));
      return result;
    }
  }
  const unsigned char ttl = 1;  // the probe stays on the local link
  ::setsockopt(sock.fd(), IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl);
  if (::bind(sock.fd(), reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    result.errors.push_back(sys_error("bind"));
    return result;
  }

  std::vector<sockaddr_in> destinations;
  if (options.multicast) {
    sockaddr_in group{};
    group.sin_family = AF_INET;
    group.sin_port = htons(kDiscoveryPort);
    ::inet_pton(AF_INET, std::string(kMulticastGroup).c_str(), &group.sin_addr);
    destinations.push_back(group);
  }
  for (const auto& t : options.targets) {
    std::string error;
    if (auto a = resolve_target(t, &error)) {
      destinations.push_back(*a);
    } else {
      result.errors.push_back(error);
      return result;
    }
  }

  const std::string message_id = new_message_id();
  const std::string message = probe_message(message_id);
  // UDP may lose a datagram: the probe goes out twice (WS-Discovery's repeat), the second
  // time a quarter of the wait later; answers are deduplicated by endpoint.
  auto send_all = [&]() -> bool {
    for (const auto& d : destinations) {
      if (::sendto(sock.fd(), message.data(), message.size(), 0,
                   reinterpret_cast<const sockaddr*>(&d), sizeof d) < 0) {
        char ip[INET_ADDRSTRLEN];
        ::inet_ntop(AF_INET, &d.sin_addr, ip, sizeof ip);
        result.errors.push_back(sys_error(("send to " + std::string(ip)).c_str()));
        return false;
      }
    }
    return true;
  };
  if (!send_all()) return result;

  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::milliseconds(options.wait_ms);
  const auto repeat_at = start + std::chrono::milliseconds(options.wait_ms / 4);
  bool repeated = false;
  std::vector<char> buf(65536);
  while (true) {
    const auto now = Clock::now();
    if (now >= deadline) break;
    if (!repeated && now >= repeat_at) {
      repeated = true;
      if (!send_all()) return result;
    }
    const auto until = repeated ? deadline : repeat_at;
    pollfd p{sock.fd(), POLLIN, 0};
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count() + 1;
    const int n = ::poll(&p, 1, static_cast<int>(ms));
    if (n < 0 && errno != EINTR) {
      result.errors.push_back(sys_error("poll"));
      break;
    }
    if (n <= 0) continue;
    sockaddr_in from{};
    socklen_t len = sizeof from;
    const ssize_t got =
        ::recvfrom(sock.fd(), buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (got < 0) continue;
    std::vector<ProbeMatch> matches;
    const auto answer = parse_probe_matches(
        std::string_view(buf.data(), static_cast<std::size_t>(got)), message_id, matches);
    if (answer != ProbeAnswer::kMatches) {
      ++(answer == ProbeAnswer::kUnrelated ? result.unrelated : result.malformed);
      continue;
    }
    char ip[INET_ADDRSTRLEN];
    ::inet_ntop(AF_INET, &from.sin_addr, ip, sizeof ip);
    for (auto& m : matches) {
      m.from = std::string(ip) + ":" + std::to_string(ntohs(from.sin_port));
      bool known = false;
      for (const auto& k : result.matches) known = known || k.endpoint == m.endpoint;
      if (!known) result.matches.push_back(std::move(m));
    }
  }
  return result;
}

}  // namespace gridsight::edge::discovery
