#!/usr/bin/env bash
# Builds the Debian packages into build/packages (docs/installer-guide.md):
#   amd64: gridsight-edge, gridsight-aggregator (with the provisioning tools), from build/release
#   arm64: gridsight-edge, from the arm64 cross-build in build/arm64 (scripts/cross-test.sh)
# Prints each package's size.
#
#   scripts/package.sh [--arch amd64|arm64|all] [--out DIR] [--version VERSION]
#
#   --arch ARCH        which architecture(s) (default all)
#   --out DIR          where the .deb files go (default build/packages)
#   --version VERSION  upstream version of the packages (default: the project's)
#
# Builds are incremental: the release build and the arm64 build (its sysroot cached by
# cross/prepare-sysroot.sh) are reused as they are. Depends of the arm64 edge: those
# dpkg-shlibdeps finds for the amd64 edge, after checking both need the same libraries.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
arch=all
out="$repo/build/packages"
version=
while (($#)); do
  case "$1" in
    --arch) arch=${2:?--arch amd64|arm64|all}; shift 2 ;;
    --out) out="$(realpath -m "${2:?--out DIR}")"; shift 2 ;;
    --version) version=${2:?--version VERSION}; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "package: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
case $arch in amd64|arm64|all) ;; *) echo "package: --arch is amd64, arm64 or all" >&2; exit 2 ;; esac
cd "$repo"
mkdir -p "$out"

log() { echo "package: $*" >&2; }

# cpack BUILD_DIR [-D VAR=VALUE...]: the build's packages, moved into $out.
run_cpack() {
  local build=$1 tmp
  shift
  tmp=$(mktemp -d "$out/.cpack.XXXXXX")
  local args=(--config "$build/CPackConfig.cmake" -B "$tmp")
  [[ -n $version ]] && args+=(-D "CPACK_PACKAGE_VERSION=$version")
  cpack "${args[@]}" "$@" >"$tmp/cpack.log" 2>&1 || { cat "$tmp/cpack.log" >&2; rm -rf "$tmp"; return 1; }
  local deb base
  for deb in "$tmp"/*.deb; do
    base=$(basename "$deb")
    # One version per package and architecture in $out: older builds go.
    rm -f "$out/${base%%_*}"_*_"${base##*_}"
    mv -f "$deb" "$out/"
    printf '  %-44s %10d bytes\n' "$(basename "$deb")" "$(stat -c %s "$out/$(basename "$deb")")"
  done
  rm -rf "$tmp"
}

needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort; }

amd64() {
  log "amd64: release build"
  scripts/build.sh release gridsight-edge gridsight-aggregator >/dev/null
  if cmake --build build/release --target help | grep -q '^gridsight-passwd:'; then
    cmake --build build/release --target gridsight-passwd >/dev/null
  fi
  echo "amd64 packages:"
  run_cpack build/release
}

# The arm64 edge's Depends: dpkg-shlibdeps on the amd64 edge (the arm64 sysroot has no dpkg
# database), valid because both binaries need the same sonames, from the same Debian release.
arm64_depends() {
  local amd=build/release/edge/daemon/gridsight-edge arm=build/arm64/edge/daemon/gridsight-edge
  [[ -x $amd ]] || scripts/build.sh release gridsight-edge >/dev/null
  if ! diff <(needed "$amd") <(needed "$arm") >&2; then
    log "the arm64 and amd64 edges need different libraries (diff above): Depends cannot be derived"
    return 1
  fi
  local tmp
  tmp=$(mktemp -d)
  mkdir "$tmp/debian"
  touch "$tmp/debian/control"
  (cd "$tmp" && dpkg-shlibdeps -O -e "$repo/$amd" 2>/dev/null) | sed -n 's/^shlibs:Depends=//p'
  rm -rf "$tmp"
}

arm64() {
  log "arm64: cross-build (build/arm64)"
  local depends
  GRIDSIGHT_SYSROOT="$(cross/prepare-sysroot.sh)"
  export GRIDSIGHT_SYSROOT
  # The same compiler cache as scripts/cross-test.sh.
  local launcher=()
  if command -v ccache >/dev/null && [[ "${GRIDSIGHT_CCACHE:-1}" != 0 ]]; then
    export CCACHE_DIR="${CCACHE_DIR:-${GRIDSIGHT_CACHE_DIR:-$HOME/.cache/gridsight}/ccache-arm64}"
    export CCACHE_BASEDIR="$repo"
    launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  [[ -f build/arm64/CMakeCache.txt ]] || cmake --preset arm64 "${launcher[@]}" >/dev/null
  cmake --build build/arm64 --target gridsight-edge >/dev/null
  depends=$(arm64_depends)
  [[ -n $depends ]] || { log "no Depends found for the arm64 edge"; return 1; }
  cmake -S . -B build/arm64 "-DGRIDSIGHT_PACKAGE_EDGE_DEPENDS=$depends" >/dev/null
  echo "arm64 packages:"
  run_cpack build/arm64
}

[[ $arch == amd64 || $arch == all ]] && amd64
[[ $arch == arm64 || $arch == all ]] && arm64
exit 0
