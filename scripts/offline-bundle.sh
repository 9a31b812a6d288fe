#!/usr/bin/env bash
# The offline bundle (docs/installer-guide.md, "Offline install"): per architecture, a flat
# apt repository of the gridsight packages and every Debian 12 package they need, down to
# libc6, in one tarball with an install.sh, so that a box on an isolated camera network
# installs with `apt install` and no network.
#
#   scripts/offline-bundle.sh [--arch amd64|arm64|all] [--packages DIR] [--out DIR]
#
#   --arch ARCH      which architecture(s) (default all)
#   --packages DIR   the .deb files of scripts/package.sh (default build/packages): every
#                    gridsight-*_<arch>.deb there goes in (amd64: the edge and the aggregator,
#                    and the aggregator's Recommends, mosquitto; arm64: the edge)
#   --out DIR        where the tarballs go (default build/offline)
#
# Writes, per architecture, DIR/gridsight-offline-<version>-<arch>.tar (and .sha256) holding
# gridsight-offline-<version>-<arch>/{README,install.sh,repo/}; repo/ is a flat repository
# (dpkg-scanpackages: Packages, Packages.gz; apt-ftparchive: Release), used on the box as
# `deb [trusted=yes] file:<dir>/repo ./`.
#
# The closure: apt with a private configuration and state (its own lists, cache and an EMPTY
# dpkg status, APT::Architecture=<arch>; nothing of this machine's dpkg database, and no
# `dpkg --add-architecture`) resolves `apt-get install --no-install-recommends` of the
# packages on a system with nothing installed, and downloads that closure, from the Debian
# archive as this machine's apt sources name it, with apt's signature checks. Against an
# empty system the closure is complete for any Debian 12 base (minbase, a board image):
# apt on the box installs only what it lacks. Downloads are cached per architecture under
# ${GRIDSIGHT_CACHE_DIR:-$HOME/.cache/gridsight}/offline-apt-<arch> (a rerun fetches only
# new versions). Needs apt-utils and dpkg-dev (scripts/install-deps.sh). Prints each
# bundle's package count and size.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
arch=all
packages="$repo/build/packages"
out="$repo/build/offline"
while (($#)); do
  case "$1" in
    --arch) arch=${2:?--arch amd64|arm64|all}; shift 2 ;;
    --packages) packages="$(realpath -m "${2:?--packages DIR}")"; shift 2 ;;
    --out) out="$(realpath -m "${2:?--out DIR}")"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "offline-bundle: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
case $arch in amd64|arm64|all) ;; *) echo "offline-bundle: --arch is amd64, arm64 or all" >&2; exit 2 ;; esac

log() { echo "offline-bundle: $*" >&2; }
die() { log "error: $*"; exit 1; }
for tool in apt-get dpkg-scanpackages apt-ftparchive dpkg-deb; do
  command -v "$tool" >/dev/null || die "$tool missing (scripts/install-deps.sh)"
done
cache="${GRIDSIGHT_CACHE_DIR:-$HOME/.cache/gridsight}"
mkdir -p "$out" "$cache"
cleanup_dirs=()
trap 'rm -rf "${cleanup_dirs[@]}"' EXIT

# apt_private ARCH DIR: an apt configuration file for ARCH with its own state and cache in
# DIR and an empty dpkg status; sources, keys and the rest are this machine's.
apt_private() {
  local a=$1 dir=$2
  mkdir -p "$dir/lists/partial" "$dir/archives/partial" "$dir/state"
  : >"$dir/status"
  cat >"$dir/apt.conf" <<CONF
APT::Architecture "$a";
APT::Architectures { "$a"; };
Dir::State "$dir/state";
Dir::State::lists "$dir/lists";
Dir::State::status "$dir/status";
Dir::Cache "$dir";
Dir::Cache::archives "$dir/archives";
Acquire::Languages "none";
Acquire::Retries "3";
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Debug::NoLocking "true";
APT::Sandbox::User "root";
CONF
  echo "$dir/apt.conf"
}

bundle() {
  local a=$1 debs=() d version name top tmp conf
  shopt -s nullglob
  debs=("$packages"/gridsight-*_"$a".deb)
  shopt -u nullglob
  ((${#debs[@]})) || die "no gridsight-*_$a.deb in $packages (scripts/package.sh --arch $a)"
  version=
  for d in "${debs[@]}"; do
    [[ $(dpkg-deb -f "$d" Package) == gridsight-edge ]] && version=$(dpkg-deb -f "$d" Version)
  done
  [[ -n $version ]] || die "no gridsight-edge_*_$a.deb in $packages"
  name="gridsight-offline-$version-$a"
  log "$a: $name from ${debs[*]##*/}"

  local start=$SECONDS
  local state="$cache/offline-apt-$a"
  mkdir -p "$state"
  exec 8>"$state.lock"
  flock 8
  conf=$(apt_private "$a" "$state")
  local apt=(env APT_CONFIG="$conf" apt-get -q)
  "${apt[@]}" update >"$state/update.log" 2>&1 || { cat "$state/update.log" >&2; die "$a: apt-get update"; }

  # What to install: the gridsight packages (as files) and, beside the aggregator, the
  # broker it recommends (the operations server's `apt install` names both).
  local want=("${debs[@]}")
  for d in "${debs[@]}"; do
    [[ $(dpkg-deb -f "$d" Package) == gridsight-aggregator ]] && want+=(mosquitto)
  done
  # The closure on an empty system, as apt would install it, then its download (cached).
  "${apt[@]}" install -s "${want[@]}" >"$state/simulate.log" 2>&1 ||
    { cat "$state/simulate.log" >&2; die "$a: the dependencies do not resolve"; }
  "${apt[@]}" install --download-only -y "${want[@]}" >"$state/download.log" 2>&1 ||
    { cat "$state/download.log" >&2; die "$a: downloading the dependencies"; }

  tmp=$(mktemp -d "$out/.bundle.XXXXXX")
  cleanup_dirs+=("$tmp")
  top="$tmp/$name"
  mkdir -p "$top/repo"
  cp "${debs[@]}" "$top/repo/"
  # "Inst NAME (VERSION ...)": the archive's file name is NAME_VERSION_ARCH.deb with the
  # epoch's colon as %3a; the gridsight packages themselves are already there.
  local pkg ver parch f n=0 missing=0
  while read -r pkg ver parch; do
    [[ $pkg == gridsight-* ]] && continue
    f="$state/archives/${pkg}_${ver//:/%3a}_$parch.deb"
    if [[ -f $f ]]; then
      ln "$f" "$top/repo/" 2>/dev/null || cp "$f" "$top/repo/"
      n=$((n + 1))
    else
      log "$a: not downloaded: $pkg $ver ($parch)"; missing=1
    fi
  done < <(sed -nE 's/^Inst ([^ ]+) \(([^ ]+) [^[]*\[([a-z0-9]+)\]\).*$/\1 \2 \3/p' "$state/simulate.log")
  ((missing == 0)) || die "$a: packages of the closure missing in $state/archives"
  (($(grep -c '^Inst ' "$state/simulate.log") == n + ${#debs[@]})) ||
    die "$a: not every package of the closure was understood (see $state/simulate.log)"

  # The flat repository: Packages from the .deb files, Release with their hashes.
  (
    cd "$top/repo"
    dpkg-scanpackages --multiversion . /dev/null >Packages 2>/dev/null
    gzip -9n <Packages >Packages.gz
    apt-ftparchive \
      -o APT::FTPArchive::Release::Origin=gridsight-offline \
      -o APT::FTPArchive::Release::Label=gridsight-offline \
      -o APT::FTPArchive::Release::Suite=bookworm \
      -o APT::FTPArchive::Release::Architectures="$a" \
      -o APT::FTPArchive::Release::Description="gridsight $version for Debian 12 $a, with its dependencies" \
      release . >Release
  )
  install_sh >"$top/install.sh"
  chmod 755 "$top/install.sh"
  readme "$a" "$version" "$name" >"$top/README"

  rm -f "$out/$name.tar" "$out/$name.tar.sha256"
  tar -C "$tmp" --owner=0 --group=0 --sort=name -cf "$out/$name.tar" "$name"
  (cd "$out" && sha256sum "$name.tar" >"$name.tar.sha256")
  # Old versions of the cache go; the current closure stays for the next run.
  "${apt[@]}" autoclean >/dev/null 2>&1 || true
  flock -u 8
  rm -rf "$tmp"
  printf '  %-44s %4d packages %8d kB  (%d s)\n' "$name.tar" "$((n + ${#debs[@]}))" \
    "$(( ($(stat -c %s "$out/$name.tar") + 500) / 1000 ))" "$((SECONDS - start))"
}

# The bundle's install.sh: the repository as an apt source, then apt install from it alone.
install_sh() {
  cat <<'SH'
#!/bin/sh
# Installs gridsight from this offline bundle, with no network (README beside this file).
#   ./install.sh [PACKAGE...]      (as root; default: gridsight-edge)
# Adds this folder's repo/ as the apt source /etc/apt/sources.list.d/gridsight-offline.list
# (keep the folder where it is: later `apt install` and upgrades read it there), reads it,
# and installs the packages with apt, from this repository only: the box's other sources are
# not contacted.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "install: run as root" >&2; exit 1; }
[ $# -gt 0 ] || set -- gridsight-edge
list=/etc/apt/sources.list.d/gridsight-offline.list
echo "deb [trusted=yes] file:$here/repo ./" >"$list"
none=$(mktemp -d)
trap 'rmdir "$none"' EXIT
only="-o Dir::Etc::SourceList=$list -o Dir::Etc::SourceParts=$none -o APT::Get::List-Cleanup=false"
# shellcheck disable=SC2086  # $only is a list of options
apt-get $only update
# shellcheck disable=SC2086
DEBIAN_FRONTEND=${DEBIAN_FRONTEND:-noninteractive} apt-get $only install -y --no-install-recommends "$@"
echo "install: installed $* from $here/repo"
SH
}

readme() {
  local a=$1 version=$2 name=$3
  cat <<EOF
gridsight $version for Debian 12 (bookworm) $a: offline bundle

repo/ is an apt repository holding the gridsight package(s) and every Debian 12 package
they need (the closure on an empty system, so it is complete for any Debian 12 base; apt
installs only what the box lacks). It is not signed: it is added as [trusted=yes].
Check the tarball against $name.tar.sha256 from the release before unpacking it.

On the box, as root (no network needed):

    tar xf $name.tar -C /opt
    /opt/$name/install.sh                   # apt install gridsight-edge from repo/ alone

or by hand:

    echo "deb [trusted=yes] file:/opt/$name/repo ./" >/etc/apt/sources.list.d/gridsight-offline.list
    apt-get update && apt-get install --no-install-recommends gridsight-edge

Then continue with the box's provisioning bundle (docs/installer-guide.md, step 4).
EOF
}

[[ $arch == amd64 || $arch == all ]] && bundle amd64
[[ $arch == arm64 || $arch == all ]] && bundle arm64
exit 0
