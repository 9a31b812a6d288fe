#!/usr/bin/env bash
# Installs what gridsight needs to build, run and test, from Debian 12 packages. Idempotent:
# only missing packages are installed, so a second run takes a second.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config clang-format ccache
  # fuzzing (fuzz preset, scripts/fuzz.sh)
  clang-16 libclang-rt-16-dev libfuzzer-16-dev
  # both sides
  libpaho-mqttpp-dev libpaho-mqtt-dev libssl-dev openssl libsqlite3-dev sqlite3
  libboost-dev nlohmann-json3-dev libyaml-cpp-dev libspdlog-dev libfmt-dev libcli11-dev
  libsystemd-dev
  # aggregator: PostgreSQL client library; the server for the tests' temporary clusters
  libpq-dev postgresql-15
  # edge video and analytics
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev ffmpeg libturbojpeg0-dev
  libopencv-dev opencv-doc opencv-data
  # edge camera discovery (SOAP answers)
  libxml2-dev
  # broker, tests and benchmarks
  mosquitto mosquitto-clients curl libgtest-dev libgmock-dev libbenchmark-dev
  libgstrtspserver-1.0-dev gstreamer1.0-rtsp gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
  # packages (scripts/package.sh) and the offline bundle (scripts/offline-bundle.sh): Debian's
  # repository tools and the minimal root its test installs into
  dpkg-dev apt-utils mmdebstrap
  # browser tests: Debian's Chromium, driven by playwright-core (tests/browser); a CJK font
  # so that the console's Chinese renders (not as boxes) in the browser and in screenshots
  chromium fonts-noto-cjk
)
# Node.js runs the browser tests; any recent one will do (Debian's when none is installed).
command -v npm >/dev/null || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "install-deps: all ${#packages[@]} packages present"
fi
# The packaged broker must not hold port 1883 against the demo's own.
if command -v systemctl >/dev/null && systemctl is-active --quiet mosquitto 2>/dev/null; then
  systemctl stop mosquitto || true
fi

# The npm `onvif` client that checks the ONVIF test device (tests/onvif), as pinned.
onvif_dir="$(dirname "$0")/../tests/onvif"
if [[ ! -d "$onvif_dir/node_modules/onvif" ||
      "$onvif_dir/package-lock.json" -nt "$onvif_dir/node_modules/.package-lock.json" ]]; then
  (cd "$onvif_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi

# playwright-core for the browser tests, exactly as pinned in the lockfile (no browser download).
browser_dir="$(dirname "$0")/../tests/browser"
if [[ ! -d "$browser_dir/node_modules/playwright-core" ||
      "$browser_dir/package-lock.json" -nt "$browser_dir/node_modules/.package-lock.json" ]]; then
  (cd "$browser_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi
