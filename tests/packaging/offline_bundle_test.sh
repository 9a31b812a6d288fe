#!/usr/bin/env bash
# The offline bundle (scripts/offline-bundle.sh, docs/installer-guide.md "Offline install"):
#   bundle    both architectures' bundles from the packages in PACKAGES_DIR
#   complete  each bundle's repository alone (apt with an empty dpkg status and
#             APT::Architecture=<arch>, no other source) resolves gridsight-edge (amd64: and
#             gridsight-aggregator with mosquitto): every Depends is inside the bundle
#   offline   a minimal Debian 12 amd64 root (mmdebstrap --variant=minbase, cached) with its
#             Debian sources removed, entered with `unshare --net --mount --pid` and chroot:
#             the namespace has no network device but lo (down) and no route; the bundle's
#             install.sh (apt-get update && apt-get install gridsight-edge from the bundle)
#             succeeds; the installed binary runs there (`--help`, and `--check-config` on the
#             packaged configuration: exit 2 naming only the 3 TLS files an unprovisioned box
#             has not got; the edge has no --version option); every package apt added came
#             from the bundle (name and version in its Packages), gridsight-edge's source is
#             the bundle's file: repository
# The arm64 bundle is only checked for completeness (not installed). Nothing is installed on
# this machine: the root is a throwaway copy, its mounts live in the test's own mount
# namespace (they go with it), and the work folder is removed on exit.
#
#   GRIDSIGHT_PACKAGING_TESTS=1 tests/packaging/offline_bundle_test.sh PACKAGES_DIR
#
# Traffic: to the Debian archive of this machine's apt sources while the bundles are made
# (downloads cached) and when the root is made the first time (cached under
# ${GRIDSIGHT_CACHE_DIR:-$HOME/.cache/gridsight}/offline-root-bookworm-amd64.tar); none from
# inside the root. Prints each step's seconds.
set -euo pipefail
# It downloads Debian packages and needs the packages of scripts/package.sh: with the other
# packaging tests.
if [[ ${GRIDSIGHT_PACKAGING_TESTS:-0} != 1 ]]; then
  echo "skipped: needs the packages of scripts/package.sh; set GRIDSIGHT_PACKAGING_TESTS=1 to run it"
  exit 77
fi

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
packages="$(realpath "${1:?PACKAGES_DIR}")"
cache="${GRIDSIGHT_CACHE_DIR:-$HOME/.cache/gridsight}"

fail() { echo "offline-bundle: FAIL: $*" >&2; exit 1; }
check() {
  local what=$1
  shift
  "$@" || fail "$what"
  echo "  ok: $what"
}
t0=$SECONDS
step() { echo "=== offline-bundle: $* (at $((SECONDS - t0)) s)"; }

[[ $(id -u) == 0 ]] || fail "needs root (mmdebstrap, unshare, chroot)"
for tool in mmdebstrap unshare chroot apt-ftparchive dpkg-scanpackages; do
  command -v "$tool" >/dev/null || fail "$tool missing (scripts/install-deps.sh)"
done
shopt -s nullglob
for a in amd64 arm64; do
  debs=("$packages"/gridsight-edge_*_"$a".deb)
  ((${#debs[@]} == 1)) || fail "want one gridsight-edge_*_$a.deb in $packages (scripts/package.sh), found ${#debs[@]}"
done
shopt -u nullglob
version=$(dpkg-deb -f "$packages"/gridsight-edge_*_amd64.deb Version)

work=$(mktemp -d)
chmod 755 "$work"
cleanup() {
  local rc=$?
  # The root's mounts were made in the test's mount namespace, gone with its processes;
  # should one be visible here all the same, it goes before the folder.
  local m
  while read -r m; do umount -l "$m" 2>/dev/null || true; done < <(awk -v w="$work/" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r)
  rm -rf "$work"
  echo "offline-bundle: $((SECONDS - t0)) s in all"
  exit $rc
}
trap cleanup EXIT

# ---------------------------------------------------------------------------------------
step "bundle (scripts/offline-bundle.sh --arch all)"
s=$SECONDS
"$repo/scripts/offline-bundle.sh" --arch all --packages "$packages" --out "$work/out" | tee "$work/bundle.log" ||
  fail "scripts/offline-bundle.sh"
echo "  bundles made in $((SECONDS - s)) s"
for a in amd64 arm64; do
  tarball="$work/out/gridsight-offline-$version-$a.tar"
  check "$a: $(basename "$tarball") and its .sha256" test -f "$tarball" -a -f "$tarball.sha256"
  check "$a: the checksum matches" bash -c "cd '$work/out' && sha256sum --quiet -c '$(basename "$tarball").sha256'"
  mkdir -p "$work/x-$a"
  tar -C "$work/x-$a" -xf "$tarball"
  b="$work/x-$a/gridsight-offline-$version-$a"
  for f in README install.sh repo/Packages repo/Packages.gz repo/Release; do
    check "$a: the bundle holds $f" test -s "$b/$f"
  done
  check "$a: Release names the architecture and Packages' hash" \
    bash -c "grep -qx 'Architectures: $a' '$b/repo/Release' && grep -q \" \$(sha256sum <'$b/repo/Packages' | cut -d' ' -f1) \" '$b/repo/Release'"
  check "$a: every .deb is $a or all" \
    bash -c "! grep '^Architecture: ' '$b/repo/Packages' | grep -vxE 'Architecture: ($a|all)'"
  check "$a: gridsight-edge $version in the repository" \
    bash -c "grep -A2 -x 'Package: gridsight-edge' '$b/repo/Packages' | grep -qx 'Version: $version'"
done

# ---------------------------------------------------------------------------------------
# apt for ARCH with the bundle's repository as its only source and nothing installed.
bundle_apt() {
  local a=$1
  local dir="$work/apt-$a"
  mkdir -p "$dir/lists/partial" "$dir/archives/partial" "$dir/parts"
  : >"$dir/status"
  echo "deb [trusted=yes] file:$work/x-$a/gridsight-offline-$version-$a/repo ./" >"$dir/sources.list"
  cat >"$dir/apt.conf" <<CONF
APT::Architecture "$a";
APT::Architectures { "$a"; };
Dir::State "$dir";
Dir::State::lists "$dir/lists";
Dir::State::status "$dir/status";
Dir::Cache "$dir";
Dir::Cache::archives "$dir/archives";
Dir::Etc::SourceList "$dir/sources.list";
Dir::Etc::SourceParts "$dir/parts";
Dir::Etc::Preferences "$dir/none";
Dir::Etc::PreferencesParts "$dir/parts";
Debug::NoLocking "true";
APT::Sandbox::User "root";
APT::Install-Recommends "false";
CONF
  APT_CONFIG="$dir/apt.conf" apt-get -q update >"$dir/update.log" 2>&1 || { cat "$dir/update.log" >&2; return 1; }
}
step "complete: each bundle alone resolves its packages (apt, empty status, APT::Architecture)"
s=$SECONDS
for a in amd64 arm64; do
  want=(gridsight-edge)
  [[ $a == amd64 ]] && want+=(gridsight-aggregator mosquitto)
  check "$a: apt reads the bundle's repository" bundle_apt "$a"
  APT_CONFIG="$work/apt-$a/apt.conf" apt-get -q install -s "${want[@]}" >"$work/simulate-$a.log" 2>&1 ||
    { cat "$work/simulate-$a.log" >&2; fail "$a: ${want[*]} do not resolve from the bundle alone"; }
  n=$(grep -c '^Inst ' "$work/simulate-$a.log")
  echo "  ok: $a: ${want[*]} resolve from the bundle alone ($n packages on an empty system)"
  check "$a: the bundle holds nothing more than that" \
    test "$(grep -c '^Package: ' "$work/x-$a/gridsight-offline-$version-$a/repo/Packages")" = "$n"
done
echo "  checked in $((SECONDS - s)) s"

# ---------------------------------------------------------------------------------------
step "offline: a minimal Debian 12 root (cached), no network, only the bundle"
s=$SECONDS
# The root: mmdebstrap minbase from this machine's Debian sources, once; the key is a hash
# of the command, so a change here makes a new one.
mm_args=(--variant=minbase --architectures=amd64 --aptopt='Acquire::Languages "none"'
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/locale/*' bookworm)
key=$(printf '%s\n' "${mm_args[@]}" | sha256sum | cut -c1-16)
root_tar="$cache/offline-root-bookworm-amd64.tar"
mkdir -p "$cache"
exec 9>"$root_tar.lock"
flock 9
if [[ ! -f $root_tar || "$(cat "$root_tar.key" 2>/dev/null)" != "$key" ]]; then
  sources=()
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] && grep -qE '^[[:space:]]*(deb|Types:)' "$f" && sources+=("$f")
  done
  ((${#sources[@]})) || fail "no apt sources on this machine to make the root from"
  rm -f "$root_tar.key"
  mmdebstrap "${mm_args[@]}" "${root_tar%.tar}.tmp.tar" "${sources[@]}" >"$work/mmdebstrap.log" 2>&1 ||
    { cat "$work/mmdebstrap.log" >&2; rm -f "${root_tar%.tar}.tmp.tar"; fail "mmdebstrap (the test root)"; }
  mv "${root_tar%.tar}.tmp.tar" "$root_tar"
  echo "$key" >"$root_tar.key"
  echo "  root made (mmdebstrap minbase) in $((SECONDS - s)) s: $root_tar"
fi
flock -u 9
root="$work/root"
mkdir "$root"
tar -C "$root" -xf "$root_tar"
# Only the bundle: no Debian source, no list read from one.
rm -f "$root"/etc/apt/sources.list "$root"/etc/apt/sources.list.d/*
find "$root/var/lib/apt/lists" -maxdepth 1 -type f -delete
dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Package} ${Version}\n' | sort >"$work/before"
mkdir -p "$root/opt"
tar -C "$root/opt" -xf "$work/out/gridsight-offline-$version-amd64.tar"
bdir="/opt/gridsight-offline-$version-amd64"
echo "  root ready in $((SECONDS - s)) s ($(wc -l <"$work/before") packages)"

# Inside: its own network (none but lo), mounts (proc) and PIDs; chroot into the root.
cat >"$root/offline-check.sh" <<SH
#!/bin/sh
set -eu
echo "network devices: \$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\n' ' ')"
[ "\$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ')" = lo ] || { echo "a network device besides lo" >&2; exit 10; }
[ "\$(tail -n +2 /proc/net/route | wc -l)" = 0 ] || { echo "an IPv4 route" >&2; exit 11; }
[ ! -s /proc/net/ipv6_route ] || ! grep -qv ' lo\$' /proc/net/ipv6_route || { echo "an IPv6 route" >&2; exit 12; }
grep -rqs . /etc/apt/sources.list /etc/apt/sources.list.d && { echo "an apt source before the bundle's" >&2; exit 13; }
$bdir/install.sh
apt-get update
apt-cache policy gridsight-edge
gridsight-edge --help | head -1
rc=0
gridsight-edge --config /etc/gridsight/edge.yaml --check-config || rc=\$?
echo "check-config exit \$rc"
SH
chmod 755 "$root/offline-check.sh"
s=$SECONDS
rc=0
unshare --net --mount --pid --fork --mount-proc="$root/proc" \
  chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
  /offline-check.sh >"$work/offline.log" 2>&1 || rc=$?
echo "  install in the root took $((SECONDS - s)) s"
# The log without apt's package lists and download lines.
grep -vE '^(Get|Ign|Selecting|Preparing|Unpacking|Setting up|Processing|\(Reading|Reading|Building|  [a-z0-9])' \
  "$work/offline.log" | sed 's/^/    | /' || true
check "no network in the root (only lo, no route): $(grep '^network devices:' "$work/offline.log" || true)" \
  bash -c "(($rc != 10 && $rc != 11 && $rc != 12)) && grep -qx 'network devices: lo ' '$work/offline.log'"
check "no apt source in the root but the bundle's" test "$rc" != 13
check "install.sh (apt-get update && apt-get install gridsight-edge) succeeds offline" test "$rc" = 0
check "gridsight-edge installed" test "$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${db:Status-Status} ${Version}' gridsight-edge)" = "installed $version"
check "its postinst ran: the gridsight system user exists in the root" grep -q '^gridsight:' "$root/etc/passwd"
check "the installed gridsight-edge runs (--help)" grep -q '^gridsight-edge: turns camera feeds' "$work/offline.log"
check "it accepts the packaged config but for the 3 missing TLS files (--check-config: exit 2)" \
  bash -c "grep -qx 'check-config exit 2' '$work/offline.log' &&
           [ \$(grep -c 'configuration error: mqtt.tls.*: does not exist' '$work/offline.log') = 3 ] &&
           [ \$(grep -c 'configuration error' '$work/offline.log') = 3 ]"
check "the installed gridsight-edge's source is the bundle (apt-cache policy)" \
  bash -c "grep -A3 -E '^ \*\*\* ' '$work/offline.log' | grep -q 'file:$bdir/repo ./ Packages'"
check "the bundle is the root's only apt source" \
  test "$(cat "$root"/etc/apt/sources.list.d/*)" = "deb [trusted=yes] file:$bdir/repo ./"
dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Package} ${Version}\n' | sort >"$work/after"
awk '/^Package: /{p=$2} /^Version: /{print p, $2}' "$root$bdir/repo/Packages" | sort >"$work/bundled"
comm -13 "$work/before" "$work/after" >"$work/added"
check "every package apt added or upgraded ($(wc -l <"$work/added")) is in the bundle, same version" \
  bash -c "test -s '$work/added' && ! comm -23 '$work/added' '$work/bundled' | grep ."
check "dpkg's database is consistent (dpkg --audit)" \
  bash -c "test -z \"\$(dpkg --root='$root' --audit 2>&1)\""
echo "offline-bundle: PASS"
