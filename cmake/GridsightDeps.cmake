# Every dependency comes from Debian packages, found through CMake configs or pkg-config.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

# Shared by both sides.
find_package(nlohmann_json 3.10 REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(spdlog REQUIRED)
find_package(fmt REQUIRED)
find_package(CLI11 QUIET CONFIG)
if(NOT CLI11_FOUND)
  find_path(CLI11_INCLUDE_DIR CLI/CLI.hpp REQUIRED)
  add_library(CLI11::CLI11 INTERFACE IMPORTED)
  target_include_directories(CLI11::CLI11 INTERFACE ${CLI11_INCLUDE_DIR})
endif()
find_package(OpenSSL REQUIRED)
find_package(PahoMqttCpp REQUIRED)
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
# systemd notify/watchdog (common/service). Debian 12: libsystemd-dev (also arm64).
pkg_check_modules(LIBSYSTEMD REQUIRED IMPORTED_TARGET libsystemd)
find_package(Boost 1.74 REQUIRED)
# Boost.Asio/Beast are header-only in Debian; common/net compiles them once.

if(GRIDSIGHT_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(GRIDSIGHT_BUILD_BENCH)
  find_package(benchmark QUIET)
endif()

# Edge capture and evidence (edge/capture, edge/evidence): FFmpeg's libav* and libjpeg-turbo.
# Debian 12: libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libturbojpeg0-dev
# (all exist for arm64).
if(GRIDSIGHT_BUILD_EDGE)
  pkg_check_modules(LIBAV REQUIRED IMPORTED_TARGET libavformat libavcodec libavutil libswscale)
  pkg_check_modules(TURBOJPEG REQUIRED IMPORTED_TARGET libturbojpeg)
endif()
# Edge analytics (edge/analytics): OpenCV 4.6, only modules present in the arm64 sysroot.
# Never highgui/videoio/imgcodecs on the edge (tests and benchmarks may ask for videoio).
if(GRIDSIGHT_BUILD_EDGE)
  find_package(OpenCV 4 REQUIRED COMPONENTS core imgproc video objdetect dnn)
endif()
# The RTSP server the capture tests start (tests/support/rtsp_server.c): host tests only.
# Debian 12: libgstrtspserver-1.0-dev gstreamer1.0-rtsp gstreamer1.0-plugins-{base,good,bad}.
if(GRIDSIGHT_BUILD_EDGE AND GRIDSIGHT_BUILD_TESTS AND NOT CMAKE_CROSSCOMPILING)
  pkg_check_modules(GST_RTSP_SERVER REQUIRED IMPORTED_TARGET gstreamer-rtsp-server-1.0)
endif()
# The aggregator's production store (aggregator/store/postgresql): libpq. Debian 12: libpq-dev.
if(GRIDSIGHT_BUILD_AGGREGATOR)
  pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)
endif()
