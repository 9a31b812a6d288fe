// Camera discovery against the ONVIF test device (tests/support/onvif_device.py, itself
// checked by the npm `onvif` client in tests/onvif): the real gridsight-edge binary probes by
// WS-Discovery, reads the device and media services with WS-UsernameToken and/or HTTP digest,
// writes the camera into a configuration that --check-config loads and streams from the real
// RTSP servers behind the device. Multicast runs only inside a network namespace the test
// makes (named as root, in a user namespace otherwise); the other tests use unicast probes
// on loopback.
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/http/client.h"
#include "tests/support/harness.h"

namespace gridsight::test {
namespace {

using nlohmann::json;

const std::string kUser = "installer";
const std::string kPassword = "p@ss:w,rd\"1";  // needs escaping in XML, digest and URLs

// A program found in PATH (the harness starts processes without a PATH lookup).
std::string in_path(const std::string& name) {
  std::istringstream dirs(std::string(std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin") +
                          ":/usr/sbin:/sbin");
  for (std::string d; std::getline(dirs, d, ':');) {
    const auto p = std::filesystem::path(d) / name;
    if (::access(p.c_str(), X_OK) == 0) return p.string();
  }
  return name;
}

std::string media_file(const std::string& name) {
  return std::string(GRIDSIGHT_TEST_MEDIA_DIR) + "/" + name;
}

// A command run to its end: exit status, stdout and stderr kept apart.
struct CommandRun {
  int status = -1;
  std::string out, err;
};

CommandRun run(const std::filesystem::path& dir, const std::string& name,
               std::vector<std::string> command) {
  const auto out = dir / (name + ".stdout");
  const auto err = dir / (name + ".stderr");
  // sh sends stdout and stderr to their own files; arguments pass untouched.
  std::vector<std::string> argv = {"/bin/sh", "-c",
                                   "exec \"$0\" \"$@\" >\"$GS_STDOUT\" 2>\"$GS_STDERR\""};
  argv.insert(argv.end(), command.begin(), command.end());
  Process p(name, argv, dir / (name + ".log"),
            {{"GS_STDOUT", out.string()}, {"GS_STDERR", err.string()}});
  p.start();
  CommandRun r;
  EXPECT_TRUE(wait_until([&] { return !p.is_running(); }, 300s)) << name << " did not finish";
  r.status = p.exit_status().value_or(-1);
  r.out = std::filesystem::exists(out) ? read_file(out) : "";
  r.err = std::filesystem::exists(err) ? read_file(err) : "";
  return r;
}

std::vector<std::string> edge_discover(std::vector<std::string> args) {
  auto cmd = edge_command();
  cmd.push_back("discover");
  cmd.insert(cmd.end(), args.begin(), args.end());
  return cmd;
}

// The ONVIF test device; `prefix` runs it elsewhere (ip netns exec NS).
class OnvifDevice {
 public:
  OnvifDevice(const std::filesystem::path& dir, std::vector<std::string> args,
              std::vector<std::string> prefix = {})
      : ports_(dir / "device.ports"),
        process_("onvif-device", argv(prefix, args), dir / "device.log") {
    std::filesystem::remove(ports_);
    process_.start();
    std::string why;
    EXPECT_TRUE(wait_while_running(
        {&process_}, [&] { return std::filesystem::exists(ports_); }, 60s, &why))
        << why << process_.log_tail();
    std::istringstream in(read_file(ports_));
    in >> http_port_ >> discovery_port_;
  }
  int http_port() const { return http_port_; }
  int discovery_port() const { return discovery_port_; }
  std::string device_url() const {
    return "http://127.0.0.1:" + std::to_string(http_port_) + "/onvif/device_service";
  }
  // What the device was asked (its test-control endpoint).
  json state() {
    http::Client client;
    auto r = client.get("http://127.0.0.1:" + std::to_string(http_port_) + "/_state");
    EXPECT_TRUE(r.ok()) << r.error;
    return r.ok() ? json::parse(r.response->body) : json();
  }
  Process& process() { return process_; }

 private:
  static std::vector<std::string> argv(std::vector<std::string> prefix,
                                       const std::vector<std::string>& args) {
    prefix.insert(prefix.end(), {in_path("python3"), std::string(GRIDSIGHT_SOURCE_DIR) +
                                                         "/tests/support/onvif_device.py"});
    prefix.insert(prefix.end(), args.begin(), args.end());
    return prefix;
  }
  std::filesystem::path ports_;
  Process process_;
  int http_port_ = 0, discovery_port_ = 0;
};

std::vector<std::string> device_args(const std::filesystem::path& dir, const std::string& main,
                                     const std::string& sub, const std::string& auth) {
  return {(dir / "device.ports").string(),
          "--main",
          main,
          "--sub",
          sub,
          "--main-video",
          "1920x1080@25",
          "--sub-video",
          "640x360@25",
          "--user",
          kUser,
          "--password",
          kPassword,
          "--auth",
          auth,
          "--name",
          "Gate East"};
}

class RtspPair {
 public:
  explicit RtspPair(const std::filesystem::path& dir)
      : main_port_(free_port()),
        main_("rtsp-main",
              {GRIDSIGHT_RTSP_SERVER, std::to_string(main_port_), media_file("main_1080p.mp4")},
              dir / "rtsp-main.log"),
        sub_port_(free_port()),
        sub_("rtsp-sub",
             {GRIDSIGHT_RTSP_SERVER, std::to_string(sub_port_), media_file("sub_360p.mp4")},
             dir / "rtsp-sub.log") {
    main_.start();
    sub_.start();
    EXPECT_TRUE(
        wait_until([&] { return port_accepts(main_port_) && port_accepts(sub_port_); }, 60s));
  }
  std::string main_url() const {
    return "rtsp://127.0.0.1:" + std::to_string(main_port_) + "/stream";
  }
  std::string sub_url() const {
    return "rtsp://127.0.0.1:" + std::to_string(sub_port_) + "/stream";
  }

 private:
  int main_port_;
  Process main_;
  int sub_port_;
  Process sub_;
};

void expect_profiles(const json& cam, const std::string& main_url, const std::string& sub_url) {
  ASSERT_EQ(cam["profiles"].size(), 2u) << cam.dump(2);
  const json& m = cam["profiles"][0];
  const json& s = cam["profiles"][1];
  EXPECT_EQ(m["role"], "main");
  EXPECT_EQ(m["codec"], "H264");
  EXPECT_EQ(m["width"], 1920);
  EXPECT_EQ(m["height"], 1080);
  EXPECT_EQ(m["fps"], 25);
  EXPECT_EQ(m["uri"], main_url);
  EXPECT_EQ(s["role"], "sub");
  EXPECT_EQ(s["width"], 640);
  EXPECT_EQ(s["height"], 360);
  EXPECT_EQ(s["uri"], sub_url);
}

TEST(DiscoverySystem, FindsTheCameraAndWritesAConfigThatStreams) {
  TempDir dir("gridsight-discovery");
  RtspPair rtsp(dir.path());
  OnvifDevice device(dir.path(),
                     device_args(dir.path(), rtsp.main_url(), rtsp.sub_url(), "either"));
  const auto config = dir / "edge.yaml";
  write_file(config, "device_id: box-1\ndata_dir: " + (dir / "data").string() +
                         "\nmqtt: {host: 127.0.0.1, allow_insecure: true}\n");

  CommandRun r =
      run(dir.path(), "discover",
          edge_discover({"--no-multicast", "--target",
                         "127.0.0.1:" + std::to_string(device.discovery_port()), "--user", kUser,
                         "--password", kPassword, "--json", "--write-config", config.string()}));
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  const json out = json::parse(r.out);
  ASSERT_EQ(out["cameras"].size(), 1u) << r.out;
  const json& cam = out["cameras"][0];
  EXPECT_EQ(cam["ok"], true) << cam.dump(2);
  EXPECT_EQ(cam["id"], "cam-127-0-0-1");
  EXPECT_EQ(cam["name"], "Gate East");
  EXPECT_EQ(cam["manufacturer"], "Gridsight Test");
  EXPECT_EQ(cam["model"], "GS-TEST-1");
  EXPECT_EQ(cam["device_url"], device.device_url());
  EXPECT_EQ(cam["endpoint"].get<std::string>().rfind("urn:uuid:", 0), 0u);
  expect_profiles(cam, rtsp.main_url(), rtsp.sub_url());
  EXPECT_NE(r.err.find("camera cam-127-0-0-1 added to " + config.string()), std::string::npos)
      << r.err;
  // The device saw a probe and authenticated calls, none refused.
  const json st = device.state();
  EXPECT_GE(st["probes"].get<int>(), 1);
  EXPECT_EQ(st["auth"]["refused"], 0) << st.dump();

  // The written configuration loads, and each stream opens on the real RTSP servers.
  const std::string yaml = read_file(config);
  EXPECT_NE(yaml.find("device_id: box-1"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("installer:p%40ss%3Aw%2Crd%221@127.0.0.1"), std::string::npos) << yaml;
  CommandRun check = run(dir.path(), "check", [&] {
    auto c = edge_command();
    c.insert(c.end(), {"--config", config.string(), "--check-config"});
    return c;
  }());
  EXPECT_EQ(check.status, 0) << check.out << check.err;
  EXPECT_NE(check.out.find("configuration OK: device box-1, 1 camera(s)"), std::string::npos)
      << check.out;
  EXPECT_NE(check.out.find("camera cam-127-0-0-1: main stream"), std::string::npos) << check.out;
  EXPECT_NE(check.out.find("1920x1080"), std::string::npos) << check.out;
  EXPECT_NE(check.out.find("640x360"), std::string::npos) << check.out;
  EXPECT_EQ(check.out.find("UNREACHABLE"), std::string::npos) << check.out;

  // Discovering again updates nothing and adds nothing.
  CommandRun again =
      run(dir.path(), "again",
          edge_discover({"--no-multicast", "--target",
                         "127.0.0.1:" + std::to_string(device.discovery_port()), "--user", kUser,
                         "--password", kPassword, "--write-config", config.string()}));
  EXPECT_EQ(again.status, 0) << again.err;
  EXPECT_EQ(again.err.find("added"), std::string::npos) << again.err;
  EXPECT_EQ(read_file(config), yaml);
  // The table shows each profile's role, codec, resolution, fps and URI.
  EXPECT_NE(again.out.find("1 camera(s) found"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("main  H264   1920x1080   25    " + rtsp.main_url()), std::string::npos)
      << again.out;
  EXPECT_NE(again.out.find("sub   H264   640x360     25    " + rtsp.sub_url()), std::string::npos)
      << again.out;
}

// Cameras that accept only one scheme: HTTP digest (a WS-UsernameToken is ignored) or only a
// WS-UsernameToken (no HTTP challenge). Both are read; the device says which one it checked.
TEST(DiscoverySystem, DigestOnlyAndUsernameTokenOnlyDevices) {
  for (const std::string auth : {"digest", "wsse"}) {
    SCOPED_TRACE(auth);
    TempDir dir("gridsight-discovery-" + auth);
    OnvifDevice device(
        dir.path(), device_args(dir.path(), "rtsp://10.9.9.9/main", "rtsp://10.9.9.9/sub", auth));
    CommandRun r = run(dir.path(), "discover",
                       edge_discover({"--device", device.device_url(), "--user", kUser,
                                      "--password", kPassword, "--json"}));
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    const json out = json::parse(r.out);
    ASSERT_EQ(out["cameras"].size(), 1u);
    expect_profiles(out["cameras"][0], "rtsp://10.9.9.9/main", "rtsp://10.9.9.9/sub");
    const json st = device.state();
    EXPECT_EQ(st["probes"], 0);  // --device: no WS-Discovery
    // GetDeviceInformation, GetServices, GetProfiles, two GetStreamUri.
    EXPECT_GE(st["auth"][auth].get<int>(), 5) << st.dump();
  }
}

TEST(DiscoverySystem, AWrongPasswordIsReportedAndNothingIsWritten) {
  TempDir dir("gridsight-discovery-denied");
  OnvifDevice device(
      dir.path(), device_args(dir.path(), "rtsp://10.9.9.9/main", "rtsp://10.9.9.9/sub", "either"));
  const auto config = dir / "edge.yaml";
  CommandRun r = run(dir.path(), "discover",
                     edge_discover({"--device", device.device_url(), "--user", kUser, "--password",
                                    "wrong", "--write-config", config.string()}));
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("error: GetDeviceInformation: not authorized (HTTP 401): check the user "
                       "and password"),
            std::string::npos)
      << r.out;
  EXPECT_FALSE(std::filesystem::exists(config));

  // Nothing answers: exit 1 and a plain message.
  CommandRun none =
      run(dir.path(), "none",
          edge_discover({"--no-multicast", "--target", "127.0.0.1:" + std::to_string(free_port()),
                         "--wait", "300"}));
  EXPECT_EQ(none.status, 1);
  EXPECT_NE(none.out.find("no ONVIF camera answered"), std::string::npos) << none.out;
}

// WS-Discovery multicast, as on a camera LAN, inside a network namespace made by the test:
// its loopback carries the multicast group and nothing leaves it. As root: a named namespace
// (`ip netns`). As any other user: a user namespace of its own with a network namespace
// (`unshare --user --map-root-user --net`) held by a sleeping process that the test's
// processes join with `nsenter`; the same loopback, the same probe, no privilege needed.
class NetworkNamespace {
 public:
  NetworkNamespace() {
    if (::geteuid() == 0) {
      const std::string name = "gs-disc-" + std::to_string(::getpid());
      if (sh("ip netns add " + name)) name_ = name;
      prefix_ = {in_path("ip"), "netns", "exec", name};
    } else {
      // The holder prints its pid, then sleeps in the new namespaces until it is killed.
      FILE* p = ::popen(
          "unshare --user --map-root-user --net sh -c 'echo $$; exec sleep 100000' "
          "</dev/null 2>/dev/null &",
          "r");
      if (p != nullptr) {
        if (std::fscanf(p, "%d", &holder_) != 1) holder_ = 0;
        ::pclose(p);
      }
      if (holder_ > 0) {
        // --preserve-credentials: no setgroups (a user namespace made unprivileged denies it).
        prefix_ = {in_path("nsenter"), "--target", std::to_string(holder_)};
        prefix_.insert(prefix_.end(), {"--user", "--net", "--preserve-credentials"});
      }
    }
    if (prefix_.empty() || (::geteuid() == 0 && name_.empty())) return;
    ok_ = run_in("ip link set lo up") && run_in("ip link set lo multicast on") &&
          run_in("ip route add 224.0.0.0/4 dev lo");
  }
  ~NetworkNamespace() {
    if (!name_.empty()) sh("ip netns del " + name_ + " 2>/dev/null");
    if (holder_ > 0) ::kill(holder_, SIGKILL);
  }
  NetworkNamespace(const NetworkNamespace&) = delete;
  NetworkNamespace& operator=(const NetworkNamespace&) = delete;
  bool ok() const { return ok_; }
  // The command prefix that runs a program inside the namespace.
  std::vector<std::string> exec() const { return prefix_; }

 private:
  static bool sh(const std::string& cmd) { return std::system(cmd.c_str()) == 0; }
  bool run_in(const std::string& cmd) const {
    std::string line;
    for (const auto& a : prefix_) line += a + " ";
    return sh(line + cmd);
  }
  std::string name_;  // the named namespace (root)
  int holder_ = 0;    // the process holding the namespaces (any other user)
  std::vector<std::string> prefix_;
  bool ok_ = false;
};

TEST(DiscoverySystem, MulticastProbeInANetworkNamespace) {
  NetworkNamespace ns;
  ASSERT_TRUE(ns.ok());
  TempDir dir("gridsight-discovery-mcast");
  auto args = device_args(dir.path(), "rtsp://10.9.9.9/main", "rtsp://10.9.9.9/sub", "either");
  args.insert(args.end(), {"--discovery", "0.0.0.0:3702", "--multicast"});
  OnvifDevice device(dir.path(), args, ns.exec());
  auto cmd = ns.exec();
  for (auto& a : edge_discover({"--interface", "lo", "--user", kUser, "--password", kPassword,
                                "--json", "--wait", "2000"}))
    cmd.push_back(a);
  CommandRun r = run(dir.path(), "discover", cmd);
  ASSERT_EQ(r.status, 0) << r.out << r.err << device.process().log_tail();
  const json out = json::parse(r.out);
  ASSERT_EQ(out["cameras"].size(), 1u) << r.out;
  EXPECT_EQ(out["cameras"][0]["name"], "Gate East");
  expect_profiles(out["cameras"][0], "rtsp://10.9.9.9/main", "rtsp://10.9.9.9/sub");
  EXPECT_EQ(out["probe"]["malformed"], 0);
}

}  // namespace
}  // namespace gridsight::test
