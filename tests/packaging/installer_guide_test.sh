#!/usr/bin/env bash
# Runs docs/installer-guide.md's steps on this machine (as root, without gridsight installed),
# with the amd64 packages standing in for the box's arm64 ones and local stand-ins for the
# fleet's servers:
#   operations  apt install the aggregator package; fleet CA, broker and aggregator
#               certificates with gridsight-pki; a local mosquitto (mutual TLS, ACL) on a free
#               port; the installed aggregator, as gridsight, with its packaged configuration
#               (no extra flags: the box must see its confirmation without the server's log)
#   provision   gridsight-provision: the box's key, certificate, ACL entry, edge.yaml (a camera
#               on real footage with a login, its watched location, the status page's
#               password) -> bundle
#   the box     the guide's own command lines, read from the guide and run exactly as
#               written: apt install the package; unpack the bundle and run install.sh (which
#               checks the configuration and probes the camera); the unit's ExecStart as its
#               User (systemd is not PID 1 in CI) for "systemctl start"; the log line the
#               guide says to wait for; then `gridsight-edge ... test-event`, which must report
#               the aggregator's confirmation, and the log lines the guide names
# Prints the seconds from the edge package's install to the test event's confirmation.
# Everything is stopped by PID and both packages are purged, also on failure.
#
#   GRIDSIGHT_PACKAGING_TESTS=1 tests/packaging/installer_guide_test.sh PACKAGES_DIR
set -euo pipefail
# It installs and purges packages on this machine: only when asked (scripts/test.sh asks).
if [[ ${GRIDSIGHT_PACKAGING_TESTS:-0} != 1 ]]; then
  echo "skipped: installs packages on this machine; set GRIDSIGHT_PACKAGING_TESTS=1 to run it"
  exit 77
fi

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
packages="$(realpath "${1:?PACKAGES_DIR}")"
guide=$repo/docs/installer-guide.md
device=edge-xihu-0007  # the guide's box: its bundle commands name it
camera=33010600001320000007

step() { echo "=== installer-guide: $*"; }
fail() { echo "installer-guide: FAIL: $*" >&2; exit 1; }
check() {
  local what=$1
  shift
  "$@" || fail "$what"
  echo "  ok: $what"
}
now() { date +%s.%N; }
installed() { case "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" in ''|not-installed) return 1 ;; esac; }
# Runs a command as the service user; setpriv execs it, so $! is the command's own PID.
as_gridsight=(setpriv --reuid=gridsight --regid=gridsight --init-groups --)

[[ $(id -u) == 0 ]] || fail "needs root (packages are installed on this machine)"
shopt -s nullglob
edge_deb=("$packages"/gridsight-edge_*_amd64.deb)
agg_deb=("$packages"/gridsight-aggregator_*_amd64.deb)
((${#edge_deb[@]} == 1 && ${#agg_deb[@]} == 1)) ||
  fail "want one gridsight-edge and one gridsight-aggregator amd64 .deb in $packages (scripts/package.sh --arch amd64)"
for p in gridsight-edge gridsight-aggregator; do
  installed "$p" && fail "$p is already on this machine; the test needs a machine without gridsight"
done
getent passwd gridsight >/dev/null && fail "a gridsight user exists already; the test needs a machine without gridsight"
video=/usr/share/doc/opencv-doc/examples/data/vtest.avi
[[ -f $video ]] || fail "$video not found (package opencv-doc)"

work=$(mktemp -d)
chmod 755 "$work"
pids=()
cleanup() {
  local rc=$? i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  for p in gridsight-edge gridsight-aggregator; do
    installed "$p" && { dpkg --purge "$p" >/dev/null 2>&1 || echo "installer-guide: purging $p failed" >&2; }
  done
  if ((rc != 0)); then
    for f in mosquitto.log aggregator.log edge.log install.log; do
      [[ -f $work/$f ]] && { echo "--- $f (last 30 lines)" >&2; tail -30 "$work/$f" >&2; }
    done
  fi
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT

free_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  fail "no free port"
}
wait_for() {  # wait_for FILE REGEX PID: until FILE has a line matching REGEX (PID must live)
  local i
  for i in $(seq 1200); do
    grep -qE "$2" "$1" 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# ---------------------------------------------------------------------------------------
step "operations server: aggregator package, fleet CA, broker, aggregator"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${agg_deb[0]}" >"$work/install.log" 2>&1 ||
  fail "apt-get install ${agg_deb[0]}"
check "gridsight-pki and gridsight-provision installed" test -x /usr/bin/gridsight-pki -a -x /usr/bin/gridsight-provision
pki=$work/pki
gridsight-pki --dir "$pki" init >/dev/null
gridsight-pki --dir "$pki" broker localhost IP:127.0.0.1 >/dev/null
gridsight-pki --dir "$pki" aggregator >/dev/null
install -o root -g gridsight -m 0644 "$pki/ca.pem" /etc/gridsight/tls/aggregator/ca.pem
install -o root -g gridsight -m 0644 "$pki/issued/gridsight-aggregator/cert.pem" /etc/gridsight/tls/aggregator/cert.pem
install -o root -g gridsight -m 0640 "$pki/issued/gridsight-aggregator/key.pem" /etc/gridsight/tls/aggregator/key.pem
# The broker as the guide sets it up: the packaged production configuration, run as the
# mosquitto user, reading the fleet's files (here under $pki instead of /etc/gridsight/pki; on
# a free loopback port instead of 8883; persistence in the test's folder).
chmod 755 "$pki"
install -d -o mosquitto -m 0700 "$pki/broker"
install -o mosquitto -m 0600 "$pki/issued/localhost/cert.pem" "$pki/issued/localhost/key.pem" "$pki/broker/"
port=$(free_port)
install -d -o mosquitto -m 0700 "$work/mosquitto-data"
check "broker configuration shipped" test -f /usr/share/gridsight/mosquitto.conf
sed -e "s|/etc/gridsight/pki|$pki|g" -e "s|^listener 8883\$|listener $port 127.0.0.1|" \
  -e "s|^persistence_location .*|persistence_location $work/mosquitto-data/|" \
  /usr/share/gridsight/mosquitto.conf >"$work/mosquitto.conf"
grep -qx "listener $port 127.0.0.1" "$work/mosquitto.conf" || fail "no 'listener 8883' line to move"
mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
broker_pid=$!
pids+=("$broker_pid")
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
check "broker listening on 127.0.0.1:$port (mutual TLS)" bash -c "(exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null"
# The packaged aggregator.yaml, on the test's broker port.
"${as_gridsight[@]}" /usr/bin/gridsight-aggregator --config /etc/gridsight/aggregator.yaml \
  --mqtt-port "$port" >"$work/aggregator.log" 2>&1 &
agg_pid=$!
pids+=("$agg_pid")
check "aggregator connected" wait_for "$work/aggregator.log" "mqtt: connected to" "$agg_pid"

# ---------------------------------------------------------------------------------------
step "provision the box"
ffmpeg -loglevel error -nostdin -y -i "$video" -t 20 -c:v libx264 -preset veryfast -g 20 \
  -pix_fmt yuv420p -an "$work/walkway.mp4"
chmod 644 "$work/walkway.mp4"
echo "correct horse battery staple" |
  gridsight-provision --pki "$pki" --out "$work/bundles" --device "$device" \
    --broker "127.0.0.1:$port" --password-stdin \
    --camera "id=$camera,url=$work/walkway.mp4,lon=120.14283,lat=30.27712,crs=GCJ02,name=Wensan Road east gate" \
    >"$work/provision.log"
cat "$work/provision.log"
bundle=$work/bundles/gridsight-bundle-$device.tar.gz
check "bundle written, mode 0600" test "$(stat -c %a "$bundle")" = 600
check "ACL entry for $device" grep -qx "user $device" "$pki/acl"
kill -HUP "$broker_pid"  # the broker re-reads the ACL and the CRL

# ---------------------------------------------------------------------------------------
# The guide's command lines for the box, found in the guide (so they cannot drift from it).
guide_line() {  # guide_line PREFIX: the guide's indented command line starting with PREFIX
  local line
  line=$(grep -E "^ {7}$1" "$guide" | head -1 | sed 's/^ *//')
  [[ -n $line ]] || fail "docs/installer-guide.md has no command line starting with \"$1\""
  printf '%s' "$line"
}
guide_quote() {  # guide_quote PREFIX: the guide's `quoted text` starting with PREFIX
  local q
  q=$(tr '\n' ' ' <"$guide" | tr -s ' ' | grep -oE "\`$1[^\`]*\`" | head -1 | tr -d '\`')
  [[ -n $q ]] || fail "docs/installer-guide.md quotes no line starting with \"$1\""
  printf '%s' "$q"
}
cmd_package=$(guide_line "apt install ./gridsight-edge")
cmd_bundle=$(guide_line "tar xzf gridsight-bundle-$device.tar.gz")
cmd_test_event=$(guide_line "gridsight-edge --config /etc/gridsight/edge.yaml test-event")
wait_connected=$(guide_quote "mqtt: connected to ")
log_first=$(guide_quote "outbox: the aggregator confirmed this box's first event")
log_test=$(guide_quote "control: test event seq 1 confirmed by the aggregator after")
log_test=${log_test%% ...*}  # "... ms": the figure varies
echo "  the guide's commands: [$cmd_package] [$cmd_bundle] [$cmd_test_event]"

step "the box: package, bundle, start (docs/installer-guide.md step 4)"
box=$work/box
mkdir "$box"
cp "${edge_deb[0]}" "$bundle" "$box/"
chmod 755 "$box"
chmod 644 "$box"/*.deb
t_install=$(now)
(cd "$box" && DEBIAN_FRONTEND=noninteractive bash -c "$cmd_package" </dev/null >>"$work/install.log" 2>&1) ||
  fail "the guide's \"$cmd_package\" failed (see install.log)"
t_package=$(now)
(cd "$box" && bash -c "$cmd_bundle") >"$work/install-bundle.log" 2>&1 ||
  { cat "$work/install-bundle.log"; fail "the guide's \"$cmd_bundle\" failed"; }
t_bundle=$(now)
cat "$work/install-bundle.log"
check "install.sh probed the camera: reachable, h264 768x576" \
  grep -q "camera $camera: main stream $work/walkway.mp4: reachable, h264 768x576" "$work/install-bundle.log"
check "key installed root:gridsight 0640" test "$(stat -c '%U:%G %a' /etc/gridsight/tls/edge/key.pem)" = "root:gridsight 640"
check "edge.yaml is the box's" grep -q "device_id: \"$device\"" /etc/gridsight/edge.yaml
# systemd is not PID 1 here: the unit's ExecStart, as its User, stands in for it.
unit=/lib/systemd/system/gridsight-edge.service
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
check "the unit runs as gridsight" grep -qx "User=gridsight" "$unit"
read -r -a exec_argv <<<"$exec_start"
"${as_gridsight[@]}" "${exec_argv[@]}" >"$work/edge.log" 2>&1 &
edge_pid=$!
pids+=("$edge_pid")
wait_line=${wait_connected/mqtt.grid.example:8883/127.0.0.1:$port}
check "the log line the guide waits for: $wait_line" wait_for "$work/edge.log" "$wait_line" "$edge_pid"
check "the aggregator saw the birth message" wait_for "$work/aggregator.log" "device $device is online" "$agg_pid"

step "the box: the guide's test event (step 4.5)"
rc=0
bash -c "$cmd_test_event" >"$work/test-event.log" 2>&1 || rc=$?
t_event=$(now)
cat "$work/test-event.log"
check "test-event exits 0" test "$rc" = 0
check "test-event: raised (as the guide shows)" \
  grep -qE "^test-event: raised test event [0-9a-f-]{36} \(seq 1\) for camera $camera; waiting up to 60.0 s for the aggregator's confirmation\$" "$work/test-event.log"
check "test-event: confirmed by the aggregator (as the guide shows)" \
  grep -qE "^test-event: confirmed by the aggregator [0-9.]+ s after it was raised\$" "$work/test-event.log"
check "the box's log: \"$log_first\"" grep -qF "$log_first" "$work/edge.log"
check "the box's log: \"$log_test\"" grep -qF "$log_test" "$work/edge.log"
check "the broker knows the device by its certificate" grep -q "u'$device'" "$work/mosquitto.log"
awk -v a="$t_install" -v p="$t_package" -v i="$t_bundle" -v b="$t_event" 'BEGIN {
  printf "installer-guide: figure: edge package install to the test event confirmed on the box: %.1f s", b - a
  printf " (apt install %.1f s, bundle install.sh %.1f s, edge start and test-event %.1f s)\n", p - a, i - p, b - i }'

kill "$edge_pid"
wait "$edge_pid" || fail "the edge did not stop cleanly"
kill "$agg_pid"
wait "$agg_pid" || fail "the aggregator did not stop cleanly"
pids=("$broker_pid")

step "purge: the machine is as before"
dpkg --purge gridsight-edge >/dev/null
check "edge purged: its data and key gone" test ! -e /var/lib/gridsight/edge -a ! -e /etc/gridsight/tls/edge
check "the aggregator's user, data and key stay while it is installed" bash -c \
  "getent passwd gridsight >/dev/null && test -d /var/lib/gridsight/aggregator && test -f /etc/gridsight/tls/aggregator/key.pem"
dpkg --purge gridsight-aggregator >/dev/null
check "no gridsight user" bash -c "! getent passwd gridsight"
check "no /var/lib/gridsight" test ! -e /var/lib/gridsight
check "no /etc/gridsight" test ! -e /etc/gridsight
echo "installer-guide: PASS"
