#pragma once
// The stand-in case platform (tests/support/fake_platform.py), a real HTTP server on a free
// loopback port, started for a test and stopped by its PID.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "common/http/client.h"
#include "tests/support/test_support.h"

namespace gridsight::connector::testing {

inline std::filesystem::path temp_dir(const std::string& name) {
  auto dir = std::filesystem::path(::testing::TempDir()) /
             ("gridsight-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

class FakePlatform {
 public:
  explicit FakePlatform(const std::filesystem::path& dir, const std::string& cert = {},
                        const std::string& key = {}) {
    auto port_file = dir / "platform.port";
    std::filesystem::remove(port_file);
    std::vector<std::string> argv = {GRIDSIGHT_PYTHON3, GRIDSIGHT_FAKE_PLATFORM,
                                     port_file.string()};
    if (!cert.empty()) argv.insert(argv.end(), {"--cert", cert, "--key", key});
    process_ = std::make_unique<test::ChildProcess>(argv);
    EXPECT_TRUE(test::wait_until([&] { return std::filesystem::exists(port_file); }));
    std::ifstream in(port_file);
    in >> port_;
  }
  int port() const { return port_; }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  nlohmann::json state() {
    auto r = control_.get(url("/_state"));
    EXPECT_TRUE(r.ok()) << r.error;
    return r.ok() ? nlohmann::json::parse(r.response->body) : nlohmann::json::object();
  }
  void control(const std::string& path, const nlohmann::json& body) {
    auto r = control_.post_json(url(path), body.dump());
    ASSERT_TRUE(r.ok()) << r.error;
    ASSERT_EQ(r.response->status, 200);
  }
  void faults(const std::vector<std::string>& f, double delay_s = 2.0) {
    control("/_faults", {{"faults", f}, {"delay_s", delay_s}});
  }
  void outage(bool on) { control("/_outage", {{"on", on}}); }
  void set_status(long long case_id, const std::string& status) {
    control("/_status", {{"case", std::to_string(case_id)}, {"status", status}});
  }
  void kill() { process_->kill(); }

 private:
  std::unique_ptr<test::ChildProcess> process_;
  int port_ = 0;
  http::Client control_;
};

}  // namespace gridsight::connector::testing
