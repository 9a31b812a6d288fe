#!/usr/bin/env bash
# Sets everything up and runs every test: native debug build (ASan+UBSan) with unit and
# system tests, a short run of every fuzz target, benchmark smoke runs, then the arm64
# cross-build with its tests under qemu, then the Debian packages of both architectures with
# the packaging tests (real dpkg) and the offline bundles (scripts/offline-bundle.sh).
# Prints the seconds each stage took.
set -euo pipefail
cd "$(dirname "$0")/.."

stage_start=$SECONDS
stage() {
  local now=$SECONDS
  echo "=== stage '$1' took $((now - stage_start)) s"
  stage_start=$now
}

scripts/install-deps.sh
stage install-deps

cmake --preset debug >/dev/null
cmake --build --preset debug
stage build-debug

# The packaging tests install packages on this machine: their own stage, below.
ctest --preset debug -j2 --timeout 600 -LE packaging
stage tests-debug

# Every fuzz target on its seed corpus plus a few thousand mutations (docs/fuzzing.md).
scripts/fuzz.sh
stage fuzz-smoke

scripts/build.sh release gridsight-edge gridsight-aggregator spine_bench_events
bench/spine/run.sh --smoke
stage bench-smoke

# The edge for arm64: sysroot (cached), cross-build, arm64 unit tests under qemu, and the
# arm64 edge against the native broker and aggregator (docs/arm64.md).
scripts/cross-test.sh --native-build-dir build/debug
stage arm64

# Debian packages (amd64 from the release build, arm64 from the arm64 build: nothing is
# rebuilt from scratch), then the packaging tests: the dpkg lifecycle, the arm64 package,
# the installer guide's steps and the offline bundle in a network-less Debian 12 root
# (docs/installer-guide.md).
scripts/package.sh --arch all
GRIDSIGHT_PACKAGING_TESTS=1 ctest --test-dir build/debug -L packaging --output-on-failure --no-tests=error
stage packages
