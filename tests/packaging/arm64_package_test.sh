#!/usr/bin/env bash
# The arm64 gridsight-edge package: architecture, Depends, the same files, conffiles and
# maintainer scripts as the amd64 one, aarch64 binaries; and its packaged binary runs (under
# qemu-aarch64 with the arm64 sysroot) and accepts its packaged configuration.
#
#   GRIDSIGHT_PACKAGING_TESTS=1 tests/packaging/arm64_package_test.sh PACKAGES_DIR
set -euo pipefail
# It checks packages scripts/package.sh built: run with the other packaging tests.
if [[ ${GRIDSIGHT_PACKAGING_TESTS:-0} != 1 ]]; then
  echo "skipped: needs the packages of scripts/package.sh; set GRIDSIGHT_PACKAGING_TESTS=1 to run it"
  exit 77
fi

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
packages="$(realpath "${1:?PACKAGES_DIR}")"

fail() { echo "arm64-package: FAIL: $*" >&2; exit 1; }
check() {
  local what=$1
  shift
  "$@" || fail "$what"
  echo "  ok: $what"
}

shopt -s nullglob
arm=("$packages"/gridsight-edge_*_arm64.deb)
amd=("$packages"/gridsight-edge_*_amd64.deb)
((${#arm[@]} == 1)) || fail "want one gridsight-edge_*_arm64.deb in $packages (scripts/package.sh --arch arm64), found ${#arm[@]}"
((${#amd[@]} == 1)) || fail "want one gridsight-edge_*_amd64.deb in $packages (scripts/package.sh --arch amd64), found ${#amd[@]}"
arm=${arm[0]}
amd=${amd[0]}
agg=("$packages"/gridsight-aggregator_*_arm64.deb)
((${#agg[@]} == 0)) || fail "an arm64 aggregator package: the aggregator is amd64-only"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "=== arm64-package: $(basename "$arm")"
check "Architecture is arm64" test "$(dpkg-deb -f "$arm" Architecture)" = arm64
check "same Package and Version as amd64" test \
  "$(dpkg-deb -f "$arm" Package Version)" = "$(dpkg-deb -f "$amd" Package Version)"
check "same Depends as amd64" test "$(dpkg-deb -f "$arm" Depends)" = "$(dpkg-deb -f "$amd" Depends)"
check "Depends names libavformat59 and adduser" \
  bash -c "dpkg-deb -f '$arm' Depends | grep -q 'libavformat59' && dpkg-deb -f '$arm' Depends | grep -q 'adduser'"
listing() { dpkg-deb --contents "$1" | awk '{print $1, $2, $6}' | sort; }
check "same files, modes and owners as amd64" diff <(listing "$amd") <(listing "$arm")
for f in postinst prerm postrm conffiles; do
  check "same $f as amd64" diff <(dpkg-deb --ctrl-tarfile "$amd" | tar -xO "./$f") \
                                 <(dpkg-deb --ctrl-tarfile "$arm" | tar -xO "./$f")
done

dpkg-deb -x "$arm" "$work/x"
bins=0
while IFS= read -r -d '' f; do
  head -c4 "$f" | grep -q $'\x7fELF' || continue
  bins=$((bins + 1))
  check "$(basename "$f") is an aarch64 ELF" bash -c "readelf -h '$f' | grep -q 'Machine:.*AArch64'"
  check "$(basename "$f") is stripped" bash -c "! readelf -S '$f' | grep -q '[.]debug_info'"
  if command -v file >/dev/null; then
    check "file(1) says ARM aarch64" bash -c "file -b '$f' | grep -q 'ARM aarch64'"
  fi
done < <(find "$work/x" -type f -print0)
check "the package holds an ELF binary" test "$bins" -ge 1

sysroot=$("$repo/cross/prepare-sysroot.sh" --print 2>/dev/null || true)
if [[ -n $sysroot ]] && command -v qemu-aarch64 >/dev/null; then
  # Exit 2 listing only the TLS files an unprovisioned box has not got.
  rc=0
  qemu-aarch64 -L "$sysroot" "$work/x/usr/bin/gridsight-edge" \
    --config "$work/x/etc/gridsight/edge.yaml" --check-config >"$work/check-config" 2>&1 || rc=$?
  check "the packaged binary runs and accepts the packaged config (qemu-aarch64)" \
    bash -c "[ $rc = 2 ] && [ \$(grep -c 'configuration error' '$work/check-config') = 3 ] &&
             [ \$(grep -c ': does not exist' '$work/check-config') = 3 ]"
else
  fail "no arm64 sysroot or qemu-aarch64 to run the packaged binary (cross/prepare-sysroot.sh)"
fi
echo "arm64-package: PASS"
