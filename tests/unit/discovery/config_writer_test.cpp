#include "edge/discovery/config_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/config/section.h"
#include "edge/config/edge_config.h"

namespace gridsight::edge::discovery {
namespace {

namespace fs = std::filesystem;

class ConfigWriter : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("gs-discovery-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "edge.yaml").string();
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& text) { std::ofstream(path_) << text; }
  std::string read(const std::string& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  fs::path dir_;
  std::string path_;
};

constexpr const char* kBroker = "mqtt: {host: 127.0.0.1, allow_insecure: true}\n";

TEST_F(ConfigWriter, AddsALoadableCameraKeepingTheFileMode) {
  write(std::string("device_id: box-7\n") + kBroker);
  fs::permissions(path_, fs::perms::owner_read | fs::perms::owner_write);
  auto r =
      add_cameras(path_, {{"cam-10-0-0-5", "Gate", "rtsp://10.0.0.5/main", "rtsp://10.0.0.5/sub"}});
  EXPECT_EQ(r.added, std::vector<std::string>{"cam-10-0-0-5"});
  const EdgeConfig c = EdgeConfig::load(path_);
  EXPECT_EQ(c.device_id, "box-7");
  ASSERT_EQ(c.cameras.size(), 1u);
  EXPECT_EQ(c.cameras[0].name, "Gate");
  ASSERT_TRUE(c.cameras[0].capture);
  EXPECT_EQ(c.cameras[0].capture->url, "rtsp://10.0.0.5/main");
  EXPECT_EQ(c.cameras[0].capture->sub_url, "rtsp://10.0.0.5/sub");
  EXPECT_EQ(fs::status(path_).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(ConfigWriter, AMissingFileIsRefused) {
  try {
    add_cameras(path_, {{"cam-a", "A", "rtsp://a/main", ""}});
    FAIL() << "accepted";
  } catch (const config::Error& e) {
    EXPECT_NE(std::string(e.what()).find(path_ + ": no such file"), std::string::npos);
  }
  EXPECT_FALSE(fs::exists(path_));
}

TEST_F(ConfigWriter, KeepsOtherSectionsAndCamerasAndUpdatesUrlsOnly) {
  write(std::string(kBroker) + R"(device_id: box-7
cameras:
  - id: cam-a
    name: Kept name
    url: rtsp://old/main
    location: {lon: 120.1, lat: 30.2, crs: WGS84}
  - id: cam-b
    name: Other
)");
  auto r = add_cameras(
      path_, {{"cam-a", "New name", "rtsp://new/main", ""}, {"cam-c", "", "rtsp://c/main", ""}});
  EXPECT_EQ(r.updated, std::vector<std::string>{"cam-a"});
  EXPECT_EQ(r.added, std::vector<std::string>{"cam-c"});
  const EdgeConfig c = EdgeConfig::load(path_);
  EXPECT_EQ(c.device_id, "box-7");
  ASSERT_EQ(c.cameras.size(), 3u);
  EXPECT_EQ(c.cameras[0].name, "Kept name");
  EXPECT_TRUE(c.cameras[0].location);
  EXPECT_EQ(c.cameras[0].capture->url, "rtsp://new/main");
  EXPECT_FALSE(c.cameras[1].capture);
  EXPECT_EQ(c.cameras[2].name, "cam-c");
  EXPECT_NE(read(path_ + ".bak").find("rtsp://old/main"), std::string::npos);
}

TEST_F(ConfigWriter, RefusesWhatTheDaemonWouldRefuseAndWritesNothing) {
  const std::string before = std::string(kBroker) + "device_id: box-7\nno_such_key: 1\n";
  write(before);
  try {
    add_cameras(path_, {{"cam-a", "A", "rtsp://a/main", ""}});
    FAIL() << "accepted";
  } catch (const config::Error& e) {
    EXPECT_NE(std::string(e.what()).find(path_), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("no_such_key"), std::string::npos) << e.what();
  }
  EXPECT_EQ(read(path_), before);
  EXPECT_FALSE(fs::exists(path_ + ".bak"));

  write(std::string(kBroker) + "cameras: {id: x}\n");
  EXPECT_THROW(add_cameras(path_, {{"cam-a", "A", "rtsp://a/main", ""}}), config::Error);
  write("cameras: [\n");
  EXPECT_THROW(add_cameras(path_, {{"cam-a", "A", "rtsp://a/main", ""}}), config::Error);
  // An id the daemon refuses.
  write(kBroker);
  EXPECT_THROW(add_cameras(path_, {{"bad id!", "A", "rtsp://a/main", ""}}), config::Error);
  EXPECT_EQ(read(path_), kBroker);
}

TEST(Credentials, AreInsertedPercentEncoded) {
  EXPECT_EQ(with_credentials("rtsp://10.0.0.5:554/Streaming/101", "admin", "p@ss:w,rd/1"),
            "rtsp://admin:p%40ss%3Aw%2Crd%2F1@10.0.0.5:554/Streaming/101");
  EXPECT_EQ(with_credentials("rtsp://u:p@10.0.0.5/x", "admin", "x"), "rtsp://u:p@10.0.0.5/x");
  EXPECT_EQ(with_credentials("rtsp://10.0.0.5/x", "", "x"), "rtsp://10.0.0.5/x");
  EXPECT_EQ(with_credentials("rtsp://10.0.0.5/x?a=b@c", "u", "p"), "rtsp://u:p@10.0.0.5/x?a=b@c");
}

TEST(CameraId, IsAValidConfigId) {
  EXPECT_EQ(camera_id_for("192.168.1.64"), "cam-192-168-1-64");
  EXPECT_EQ(camera_id_for("fe80::1"), "cam-fe80--1");
}

}  // namespace
}  // namespace gridsight::edge::discovery
