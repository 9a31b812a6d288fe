#!/usr/bin/env bash
# Sets everything up and runs every test: native debug build (ASan+UBSan) with unit and
# system tests, benchmark smoke runs. Prints the seconds each stage took.
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
