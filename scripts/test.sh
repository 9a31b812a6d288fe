#!/usr/bin/env bash
# Sets everything up and runs every test: native debug build (ASan+UBSan) with unit and
# system tests, benchmark smoke runs, then the arm64 cross-build with its tests under qemu.
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

ctest --preset debug -j2 --timeout 600
stage tests-debug

scripts/build.sh release gridsight-edge gridsight-aggregator spine_bench_events
bench/spine/run.sh --smoke
stage bench-smoke

# The edge for arm64: sysroot (cached), cross-build, arm64 unit tests under qemu, and the
# arm64 edge against the native broker and aggregator (docs/arm64.md).
scripts/cross-test.sh --native-build-dir build/debug
stage arm64
