#!/usr/bin/env bash
# The gridsight-edge package's life on a real system, with real dpkg/apt (as root, on a
# machine without gridsight installed — CI's disposable Debian 12):
#   lint     dpkg-deb --info/--contents: name, architecture, Depends, conffiles, scripts, files
#   install  apt-get install ./gridsight-edge_*.deb: system user, conffile, data dir, unit
#   outbox   the installed binary, as the service user, puts events into the outbox
#   upgrade  a second build with a higher version over a locally modified conffile:
#            the local conffile is kept, the outbox is intact; then a third version whose
#            default conffile changed too, unattended (--force-confold): the local one is
#            kept, the new default lands beside it as .dpkg-dist
#   remove   binary and unit gone; data, configuration and user kept
#   purge    data, configuration and user gone
# The system is purged of the package even when a step fails.
#
#   GRIDSIGHT_PACKAGING_TESTS=1 tests/packaging/lifecycle_test.sh PACKAGES_DIR
#   (runs only with GRIDSIGHT_PACKAGING_TESTS=1: it changes this machine)
#
# PACKAGES_DIR holds gridsight-edge_*_amd64.deb (scripts/package.sh); the upgrade package is
# built from the same release build by scripts/package.sh --version.
set -euo pipefail
# It installs and purges packages on this machine: only when asked (scripts/test.sh asks).
if [[ ${GRIDSIGHT_PACKAGING_TESTS:-0} != 1 ]]; then
  echo "skipped: installs packages on this machine; set GRIDSIGHT_PACKAGING_TESTS=1 to run it"
  exit 77
fi

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
packages="$(realpath "${1:?PACKAGES_DIR}")"
pkg=gridsight-edge
data=/var/lib/gridsight/edge
conf=/etc/gridsight/edge.yaml

step() { echo "=== lifecycle: $*"; }
fail() { echo "lifecycle: FAIL: $*" >&2; exit 1; }
check() {  # check DESCRIPTION COMMAND...
  local what=$1
  shift
  "$@" || fail "$what"
  echo "  ok: $what"
}
status() { dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true; }

[[ $(id -u) == 0 ]] || fail "needs root (real dpkg on this machine)"
shopt -s nullglob
debs=("$packages"/${pkg}_*_amd64.deb)
((${#debs[@]} == 1)) || fail "want exactly one ${pkg}_*_amd64.deb in $packages (scripts/package.sh --arch amd64), found ${#debs[@]}"
deb=${debs[0]}
for p in gridsight-edge gridsight-aggregator; do
  case "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" in
    ''|not-installed) ;;
    *) fail "$p is already on this machine; the test needs a machine without gridsight" ;;
  esac
done
getent passwd gridsight >/dev/null && fail "a gridsight user exists already; the test needs a machine without gridsight"
[[ -e /var/lib/gridsight ]] && fail "/var/lib/gridsight exists already; the test needs a machine without gridsight"

work=$(mktemp -d)
chmod 755 "$work"
edge_pid=
cleanup() {
  local rc=$?
  [[ -n $edge_pid ]] && kill "$edge_pid" 2>/dev/null && wait "$edge_pid" 2>/dev/null
  if [[ -n "$(status)" && "$(status)" != not-installed ]]; then
    echo "lifecycle: cleaning up: purging $pkg" >&2
    dpkg --purge "$pkg" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT

# ---------------------------------------------------------------------------------------
step "lint $(basename "$deb")"
field() { dpkg-deb -f "$1" "$2"; }
check "Package is $pkg" test "$(field "$deb" Package)" = "$pkg"
check "Architecture is amd64" test "$(field "$deb" Architecture)" = amd64
depends=$(field "$deb" Depends | tr ',' '\n' | awk '{print $1}')
for lib in adduser libc6 libstdc++6 libavformat59 libavcodec59 libswscale6 libsqlite3-0 \
           libpaho-mqttpp3-1 libopencv-core406 libyaml-cpp0.7 libssl3; do
  check "Depends names $lib" grep -qxF "$lib" <<<"$depends"
done
dpkg-deb --info "$deb" >"$work/info"
for f in postinst prerm postrm conffiles; do
  check "control holds $f" grep -qE "^ +[0-9]+ bytes, +[0-9]+ lines +[*]? *$f( |$)" "$work/info"
done
check "conffiles lists $conf" test "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)" = "$conf"
dpkg-deb --contents "$deb" | awk '{print $1, $2, $6}' >"$work/contents"
check "binary in /usr/bin, root-owned, 0755" grep -qx -- '-rwxr-xr-x root/root ./usr/bin/gridsight-edge' "$work/contents"
check "unit in /lib/systemd/system" grep -qx -- '-rw-r--r-- root/root ./lib/systemd/system/gridsight-edge.service' "$work/contents"
check "default config, not world-readable" grep -qx -- '-rw-r----- root/root ./etc/gridsight/edge.yaml' "$work/contents"
check "nothing outside /usr, /etc, /lib" bash -c "! awk '{print \$3}' '$work/contents' | grep -vE '^[.]/(|usr/.*|etc/.*|lib/.*)$'"
dpkg-deb -x "$deb" "$work/x"
check "binary stripped" bash -c "! readelf -S '$work/x/usr/bin/gridsight-edge' | grep -q '[.]debug_info'"
check "binary is x86-64" bash -c "readelf -h '$work/x/usr/bin/gridsight-edge' | grep -q 'Machine:.*X86-64'"

# ---------------------------------------------------------------------------------------
step "install (apt-get install ./$(basename "$deb"))"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$deb" >"$work/apt.log" 2>&1 ||
  { cat "$work/apt.log" >&2; fail "apt-get install"; }
check "package installed" test "$(status)" = installed
IFS=: read -r _ _ uid gid _ home shell < <(getent passwd gridsight) || fail "no gridsight user"
check "gridsight is a system user (uid $uid < 1000)" test "$uid" -lt 1000
check "gridsight cannot log in ($shell)" test "$shell" = /usr/sbin/nologin
check "gridsight's group is gridsight" test "$(getent group "$gid" | cut -d: -f1)" = gridsight
check "gridsight's home is /var/lib/gridsight" test "$home" = /var/lib/gridsight
# The zone editor (status page) saves into the edge's configuration: group-writable.
check "conffile $conf root:gridsight 0660" test "$(stat -c '%U:%G %a' "$conf")" = "root:gridsight 660"
check "dpkg knows $conf as a conffile" bash -c "dpkg-query -W -f='\${Conffiles}' $pkg | grep -q ' $conf '"
check "data dir $data gridsight:gridsight 0750" test "$(stat -c '%U:%G %a' "$data")" = "gridsight:gridsight 750"
check "key dir /etc/gridsight/tls/edge root:gridsight 0750" \
  test "$(stat -c '%U:%G %a' /etc/gridsight/tls/edge)" = "root:gridsight 750"
unit=/lib/systemd/system/gridsight-edge.service
check "unit file installed" test -f "$unit"
for line in Type=notify WatchdogSec=30 NotifyAccess=main Restart=on-failure User=gridsight \
            StateDirectory=gridsight/edge ProtectSystem=strict NoNewPrivileges=yes PrivateTmp=yes \
            "ExecStart=/usr/bin/gridsight-edge --config /etc/gridsight/edge.yaml"; do
  check "unit: $line" grep -qx "$line" "$unit"
done
check "unit enabled (multi-user.target wants it)" test -L /etc/systemd/system/multi-user.target.wants/gridsight-edge.service
if command -v systemd-analyze >/dev/null; then
  systemd-analyze verify "$unit" >"$work/verify" 2>&1 || true
  check "systemd-analyze verify: no unknown or invalid setting" \
    bash -c "! grep -iE 'unknown|invalid|failed to parse|bad' '$work/verify'"
  # Hardened: systemd's exposure score at most 2.0 of 10 (the unit's sandboxing in place).
  check "systemd-analyze security: exposure at most 2.0" \
    systemd-analyze security --offline=yes --threshold=20 "$unit"
fi
check "runtime libraries resolve" bash -c "! ldd /usr/bin/gridsight-edge | grep -q 'not found'"
# The placeholder is valid but names key and certificates an unprovisioned box has not got:
# --check-config lists exactly those (exit 2).
rc=0
setpriv --reuid=gridsight --regid=gridsight --init-groups -- /usr/bin/gridsight-edge \
  --config "$conf" --check-config >"$work/check-config" 2>&1 || rc=$?
check "packaged config accepted but for the missing TLS files (--check-config as gridsight)" \
  bash -c "[ $rc = 2 ] && [ \$(grep -c 'configuration error: mqtt.tls.*_file /etc/gridsight/tls/edge/.*: does not exist' '$work/check-config') = 3 ] &&
           [ \$(grep -c 'configuration error' '$work/check-config') = 3 ]"

# ---------------------------------------------------------------------------------------
step "events into the outbox (installed binary, as gridsight, no broker reachable)"
# A closed port: events stay pending in the outbox.
port=
for _ in $(seq 50); do
  port=$((20000 + RANDOM % 40000))
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
done
cat >"$work/edge-run.yaml" <<YAML
device_id: edge-lifecycle-01
data_dir: $data
mqtt: {host: 127.0.0.1, port: $port, allow_insecure: true}
cameras:
  - id: cam-lifecycle
    location: {lon: 120.14283, lat: 30.27712, crs: WGS84}
YAML
chmod 644 "$work/edge-run.yaml"
# setpriv execs the edge itself as gridsight: SIGTERM goes straight to it.
setpriv --reuid=gridsight --regid=gridsight --init-groups -- /usr/bin/gridsight-edge \
  --config "$work/edge-run.yaml" --synthetic \
  --synthetic-rate 50 --synthetic-count 7 >"$work/edge.log" 2>&1 &
edge_pid=$!
db=$data/outbox/outbox.db
count() { sqlite3 -readonly "file:$db?mode=ro" 'SELECT count(*) FROM events' 2>/dev/null || echo 0; }
for _ in $(seq 600); do
  [[ -f $db && "$(count)" == 7 ]] && break
  kill -0 "$edge_pid" 2>/dev/null || { cat "$work/edge.log" >&2; fail "the edge exited early"; }
  sleep 0.1
done
kill "$edge_pid"
wait "$edge_pid" || { cat "$work/edge.log" >&2; fail "the edge did not stop cleanly on SIGTERM"; }
edge_pid=
check "outbox $db holds 7 events" test "$(count)" = 7
check "outbox owned by gridsight" test "$(stat -c %U "$db")" = gridsight
outbox_digest() { sqlite3 -readonly "file:$db?mode=ro" 'SELECT seq, event_id, camera_id FROM events ORDER BY seq' | sha256sum; }
before=$(outbox_digest)

# ---------------------------------------------------------------------------------------
step "upgrade over a locally modified conffile"
old_version=$(dpkg-query -W -f='${Version}' "$pkg")
upstream=$(dpkg-deb -f "$deb" Version)
upstream=${upstream%-*}
mkdir "$work/v2"
"$repo/scripts/package.sh" --arch amd64 --version "$upstream+lifecycle2" --out "$work/v2" >"$work/v2.log" 2>&1 ||
  { cat "$work/v2.log" >&2; fail "building the upgrade package"; }
deb2=("$work"/v2/${pkg}_*_amd64.deb)
check "the upgrade package has a higher version" dpkg --compare-versions \
  "$(dpkg-deb -f "${deb2[0]}" Version)" gt "$old_version"
echo "# changed on this box: keep across upgrades" >>"$conf"
sed -i 's/^log_level: info$/log_level: debug/' "$conf"
modified=$(sha256sum <"$conf")
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${deb2[0]}" >"$work/apt2.log" 2>&1 ||
  { cat "$work/apt2.log" >&2; fail "apt-get install (upgrade)"; }
check "upgraded to $(dpkg-deb -f "${deb2[0]}" Version)" \
  test "$(dpkg-query -W -f='${Version}' "$pkg")" = "$(dpkg-deb -f "${deb2[0]}" Version)"
check "locally modified conffile kept" test "$(sha256sum <"$conf")" = "$modified"
check "no .dpkg-new / .dpkg-dist left beside it" bash -c "! ls /etc/gridsight/edge.yaml.dpkg-* 2>/dev/null"
check "outbox intact (same 7 events)" test "$(outbox_digest)" = "$before"
check "data dir still gridsight:gridsight 0750" test "$(stat -c '%U:%G %a' "$data")" = "gridsight:gridsight 750"
check "same gridsight user (uid $uid)" test "$(id -u gridsight)" = "$uid"

# ---------------------------------------------------------------------------------------
step "upgrade where the packaged default changed too (unattended: --force-confold)"
# The second package with a new default edge.yaml and a higher version, repacked.
dpkg-deb -R "${deb2[0]}" "$work/v3"
echo "# a new default in this version" >>"$work/v3/etc/gridsight/edge.yaml"
v3="$upstream+lifecycle3-1"
sed -i "s/^Version: .*/Version: $v3/" "$work/v3/DEBIAN/control"
(cd "$work/v3" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | xargs -0 md5sum >DEBIAN/md5sums)
dpkg-deb --root-owner-group -b "$work/v3" "$work/v3.deb" >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$work/v3.deb" \
  >"$work/apt3.log" 2>&1 </dev/null || { cat "$work/apt3.log" >&2; fail "apt-get install (upgrade 2)"; }
check "upgraded to $v3" test "$(dpkg-query -W -f='${Version}' "$pkg")" = "$v3"
check "locally modified conffile kept" test "$(sha256sum <"$conf")" = "$modified"
check "the new default beside it as edge.yaml.dpkg-dist" \
  grep -qx "# a new default in this version" /etc/gridsight/edge.yaml.dpkg-dist
check "outbox intact (same 7 events)" test "$(outbox_digest)" = "$before"

# ---------------------------------------------------------------------------------------
step "remove"
dpkg --remove "$pkg" >/dev/null
check "state config-files" test "$(status)" = config-files
check "binary gone" test ! -e /usr/bin/gridsight-edge
check "unit gone" test ! -e "$unit"
check "outbox kept (same 7 events)" test "$(outbox_digest)" = "$before"
check "modified conffile kept" test "$(sha256sum <"$conf")" = "$modified"
check "gridsight user kept" bash -c "getent passwd gridsight >/dev/null"

# ---------------------------------------------------------------------------------------
step "purge"
dpkg --purge "$pkg" >/dev/null
check "package gone" bash -c "case \"\$(dpkg-query -W -f='\${db:Status-Status}' $pkg 2>/dev/null)\" in ''|not-installed) true;; *) false;; esac"
check "data gone (/var/lib/gridsight)" test ! -e /var/lib/gridsight
check "configuration gone ($conf)" test ! -e "$conf"
check "/etc/gridsight gone" test ! -e /etc/gridsight
check "gridsight user gone" bash -c "! getent passwd gridsight"
check "gridsight group gone" bash -c "! getent group gridsight"
check "unit no longer enabled" test ! -e /etc/systemd/system/multi-user.target.wants/gridsight-edge.service
echo "lifecycle: PASS"
