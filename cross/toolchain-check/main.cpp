// Calls into each library the edge links, so that a wrong sysroot, a missing library or an
// ABI mismatch shows up at link time or when the arm64 binary runs under qemu.
#include <CLI/CLI.hpp>
#include <boost/version.hpp>
#include <gtest/gtest.h>
#include <mqtt/async_client.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>
#include <opencv2/video.hpp>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <systemd/sd-daemon.h>
#include <turbojpeg.h>
#include <yaml-cpp/yaml.h>
extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>
}

int main(int argc, char** argv) {
    CLI::App app{"toolchain check"};
    CLI11_PARSE(app, argc, argv);

    cv::Mat img(64, 64, CV_8UC3, cv::Scalar(10, 20, 30));
    cv::Mat gray;
    cv::cvtColor(img, gray, cv::COLOR_BGR2GRAY);
    auto mog = cv::createBackgroundSubtractorMOG2();
    cv::Mat mask;
    mog->apply(img, mask);
    cv::HOGDescriptor hog;
    hog.setSVMDetector(cv::HOGDescriptor::getDefaultPeopleDetector());
    cv::dnn::Net net;  // empty network: the dnn library links and loads

    sqlite3* db = nullptr;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) return 1;
    sqlite3_close(db);

    mqtt::connect_options opts;
    opts.set_keep_alive_interval(20);
    tjhandle tj = tjInitCompress();
    if (tj == nullptr) return 1;
    tjDestroy(tj);

    auto yaml = YAML::Load("camera: {id: cam-1}");
    nlohmann::json j = {{"camera", yaml["camera"]["id"].as<std::string>()},
                        {"gray", static_cast<int>(gray.at<uchar>(0, 0))},
                        {"avformat", avformat_version()},
                        {"avcodec", avcodec_version()},
                        {"swscale", swscale_version()},
                        {"opencv", CV_VERSION},
                        {"boost", BOOST_LIB_VERSION},
                        {"sqlite", sqlite3_libversion()},
                        {"sd_booted", sd_booted() >= 0}};
    spdlog::info("toolchain check ok: {}", j.dump());
    return gray.at<uchar>(0, 0) == 22 ? 0 : 2;  // round(0.299*30 + 0.587*20 + 0.114*10) = 22
}
