#!/usr/bin/env bash
# arm64 build and tests: cross-builds the edge and its tests for arm64 (Debian 12) with the
# `arm64` CMake preset, runs the arm64 unit tests under qemu-aarch64 (ctest, through
# CMAKE_CROSSCOMPILING_EMULATOR), then the arm64 smoke test: the arm64 gridsight-edge
# (under qemu) against a native mosquitto and a native gridsight-aggregator.
# Prints each stage's seconds and the arm64 binary sizes.
#
#   scripts/cross-test.sh [--native-build-dir DIR] [--no-smoke]
#
#   --native-build-dir DIR  native build holding gridsight-aggregator for the smoke test
#                           (default: build/debug, the CI's native build)
#   --no-smoke              skip the smoke test (e.g. before a native build exists)
#
# The sysroot is prepared or reused by cross/prepare-sysroot.sh (cached under
# ${GRIDSIGHT_CACHE_DIR:-$HOME/.cache/gridsight}); the build goes to build/arm64 and is
# incremental. Needs root the first time (apt-get installs the host tools).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
native_build="$repo/build/debug"
smoke=1
while (($#)); do
    case "$1" in
        --native-build-dir) native_build="$(realpath -m "$2")"; shift 2 ;;
        --no-smoke) smoke=0; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "cross-test: unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done
cd "$repo"

declare -a stage_names=() stage_secs=()
# stage NAME COMMAND...: runs COMMAND, records and prints its wall-clock seconds.
stage() {
    local name="$1" start=$SECONDS
    shift
    echo "=== arm64 stage: $name" >&2
    "$@"
    stage_names+=("$name")
    stage_secs+=("$((SECONDS - start))")
    echo "=== arm64 stage: $name done in $((SECONDS - start)) s" >&2
}

summary() {
    local i
    echo "arm64 stage seconds:"
    for i in "${!stage_names[@]}"; do
        printf '  %-10s %5d s\n' "${stage_names[$i]}" "${stage_secs[$i]}"
    done
}
trap summary EXIT

prepare_sysroot() {
    GRIDSIGHT_SYSROOT="$(cross/prepare-sysroot.sh)"
    export GRIDSIGHT_SYSROOT
}

# ccache keeps compiled objects in the gridsight cache, keyed on paths relative to the
# repository, so a CI run in a fresh clone on a machine that already built the same sources
# compiles little. Decided after the sysroot stage, which installs ccache with the other host
# tools (deciding earlier would configure the first run of a new machine without it, and
# the second run would then recompile everything for the changed compile commands).
launcher_args=()
use_ccache() {
    if command -v ccache > /dev/null && [[ "${GRIDSIGHT_CCACHE:-1}" != 0 ]]; then
        export CCACHE_DIR="${CCACHE_DIR:-${GRIDSIGHT_CACHE_DIR:-$HOME/.cache/gridsight}/ccache-arm64}"
        export CCACHE_BASEDIR="$repo"
        export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-2G}"
        launcher_args=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    else
        # Explicitly empty, so a build dir configured with ccache before drops it.
        launcher_args=(-DCMAKE_C_COMPILER_LAUNCHER= -DCMAKE_CXX_COMPILER_LAUNCHER=)
    fi
}

# The arm64 smoke test: the native build's edge smoke test (tests/system, with the shared
# harness: mosquitto on a free port, native gridsight-aggregator, processes stopped by PID)
# with the edge swapped for the arm64 one under qemu-aarch64.
smoke_test() {
    local tests="$native_build/tests/system/edge_smoke_tests"
    if [[ ! -x "$tests" ]]; then
        echo "cross-test: $tests is not built; build the native tests first (or --no-smoke)" >&2
        return 1
    fi
    GRIDSIGHT_TEST_EDGE_BIN="$repo/build/arm64/edge/daemon/gridsight-edge" \
    GRIDSIGHT_TEST_EDGE_EMULATOR="$(command -v qemu-aarch64)" \
    QEMU_LD_PREFIX="$GRIDSIGHT_SYSROOT" \
        ctest --test-dir "$native_build" -R '^EdgeSmoke[.]' --output-on-failure --no-tests=error
}

# Sizes of the arm64 executables as built and as stripped (what a package would ship).
binary_sizes() {
    local f stripped
    stripped="$(mktemp)"
    echo "arm64 binaries (bytes, as built / stripped):"
    while IFS= read -r -d '' f; do
        aarch64-linux-gnu-strip -o "$stripped" "$f"
        printf '  %-32s %10d %10d\n' "$(basename "$f")" "$(stat -c %s "$f")" \
            "$(stat -c %s "$stripped")"
    done < <(find build/arm64 -path build/arm64/CMakeFiles -prune -o -type f -perm -u+x \
                  -name 'gridsight-*' -print0 | sort -z)
    rm -f "$stripped"
}

stage sysroot prepare_sysroot
use_ccache
stage configure cmake --preset arm64 "${launcher_args[@]}"
stage build cmake --build --preset arm64
binary_sizes
stage qemu-tests ctest --preset arm64
if ((smoke)); then
    stage smoke smoke_test
fi
