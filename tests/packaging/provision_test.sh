#!/usr/bin/env bash
# gridsight-provision, without installing anything: the bundle's contents and modes, the
# edge.yaml it writes (device, broker, TLS paths, cameras with their watched locations, a
# status-page hash that verifies against the password), the ACL entry, and clear refusals of
# bad input that leave nothing behind. The edge (built binary) accepts the configuration. A
# camera password with every awkward character (comma included) reaches a camera stand-in
# that asks for it (the RTSP test server with digest authentication). gridsight-pki init on a
# machine without /etc/gridsight leaves folders the broker can read.
#
#   tests/packaging/provision_test.sh GRIDSIGHT_EDGE_BINARY RTSP_SERVER CLIP
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
edge="${1:?GRIDSIGHT_EDGE_BINARY}"
rtsp_server="${2:?RTSP_SERVER (tests/support/rtsp_server.c)}"
clip="${3:?CLIP (an H.264 .mp4)}"
pki_tool=$repo/tools/gridsight-pki
provision=$repo/tools/gridsight-provision

fail() { echo "provision: FAIL: $*" >&2; exit 1; }
check() {
  local what=$1
  shift
  "$@" || fail "$what"
  echo "  ok: $what"
}
# refused DESCRIPTION EXPECTED_MESSAGE ARGS...: provisioning fails and says why.
refused() {
  local what=$1 want=$2 out
  shift 2
  if out=$(printf '%s\n' "${stdin:-}" | "$provision" --pki "$work/pki" --out "$work/refused" "$@" 2>&1); then
    fail "$what: accepted"
  fi
  grep -qF -- "$want" <<<"$out" || fail "$what: said \"$out\", want \"$want\""
  echo "  ok: refused: $what"
}

work=$(mktemp -d)
rtsp_pid=
trap '[[ -n $rtsp_pid ]] && kill "$rtsp_pid" 2>/dev/null; rm -rf "$work"' EXIT
"$pki_tool" --dir "$work/pki" init >/dev/null

echo "=== pki init before anything made its parent folders"
chmod 755 "$work"
"$pki_tool" --dir "$work/etc/gridsight/pki" init >/dev/null
for d in etc etc/gridsight etc/gridsight/pki; do
  check "$d is 0755 (the broker reaches its files)" test "$(stat -c %a "$work/$d")" = 755
done
for f in ca.pem crl.pem acl; do
  check "pki/$f is readable by others (the broker's user)" test "$(stat -c %a "$work/etc/gridsight/pki/$f")" = 644
done
check "pki/ca (the CA key) is 0700" test "$(stat -c %a "$work/etc/gridsight/pki/ca")" = 700
check "pki/issued is 0700" test "$(stat -c %a "$work/etc/gridsight/pki/issued")" = 700

echo "=== provision: one box"
password="correct horse battery staple"
printf '%s\n' "$password" | "$provision" --pki "$work/pki" --out "$work/out" \
  --device edge-test-0042 --broker mqtt.grid.example:18883 --password-stdin \
  --camera 'id=33010600001320000042,url=rtsp://viewer:pw@127.0.0.1:1/ch1,lon=120.14283,lat=30.27712,crs=GCJ02,name=East gate' \
  --camera 'id=cam-b,url=/srv/video/b.mp4,lon=-0.5,lat=51.25' >"$work/log"
bundle=$work/out/gridsight-bundle-edge-test-0042.tar.gz
check "bundle written" test -f "$bundle"
check "bundle mode 0600" test "$(stat -c %a "$bundle")" = 600
tar -tvzf "$bundle" | awk '{print $1, $2, $6}' | sort >"$work/listing"
for line in "-rw------- root/root gridsight-bundle-edge-test-0042/tls/key.pem" \
            "-rw------- root/root gridsight-bundle-edge-test-0042/tls/cert.pem" \
            "-rw------- root/root gridsight-bundle-edge-test-0042/tls/ca.pem" \
            "-rw------- root/root gridsight-bundle-edge-test-0042/edge.yaml" \
            "-rwxr-xr-x root/root gridsight-bundle-edge-test-0042/install.sh"; do
  check "bundle holds ${line##*/} (${line%% *})" grep -qxF -- "$line" "$work/listing"
done
mkdir "$work/x"
tar -C "$work/x" -xzf "$bundle"
b=$work/x/gridsight-bundle-edge-test-0042
check "certificate is the device's (CN edge-test-0042)" \
  bash -c "openssl x509 -in '$b/tls/cert.pem' -noout -subject | grep -q 'CN *= *edge-test-0042'"
check "certificate verifies against the fleet CA" \
  openssl verify -CAfile "$work/pki/ca.pem" "$b/tls/cert.pem"
check "key matches the certificate" test \
  "$(openssl pkey -in "$b/tls/key.pem" -pubout)" = "$(openssl x509 -in "$b/tls/cert.pem" -noout -pubkey)"
check "ACL entry for the device" grep -qx "user edge-test-0042" "$work/pki/acl"
check "ACL: it writes its own events" grep -qx "topic write gridsight/v1/edge-test-0042/events" "$work/pki/acl"
check "the key is not in the log" bash -c "! grep -q 'PRIVATE KEY' '$work/log'"
check "the password is not in the log" bash -c "! grep -qF '$password' '$work/log'"
check "install command printed" grep -qF "tar xzf gridsight-bundle-edge-test-0042.tar.gz && ./gridsight-bundle-edge-test-0042/install.sh" "$work/log"

y=$b/edge.yaml
for line in 'device_id: "edge-test-0042"' 'data_dir: /var/lib/gridsight/edge' \
            '  host: "mqtt.grid.example"' '  port: 18883' '    enabled: true' \
            '    ca_file: /etc/gridsight/tls/edge/ca.pem' '    cert_file: /etc/gridsight/tls/edge/cert.pem' \
            '    key_file: /etc/gridsight/tls/edge/key.pem' \
            '  - id: "33010600001320000042"' '    name: "East gate"' \
            '    url: "rtsp://viewer:pw@127.0.0.1:1/ch1"' \
            '    location: {lon: 120.14283, lat: 30.27712, crs: GCJ02}' \
            '  - id: "cam-b"' '    location: {lon: -0.5, lat: 51.25, crs: WGS84}'; do
  check "edge.yaml: $line" grep -qxF -- "$line" "$y"
done
hash=$(sed -n 's/^  password_hash: "\(.*\)"$/\1/p' "$y")
check "status.password_hash is a crypt(3) hash" test "${hash:0:1}" = '$'
check "the hash verifies against the password" \
  test "$(perl -e 'print crypt($ARGV[0], $ARGV[1])' "$password" "$hash")" = "$hash"
check "the hash does not verify another password" \
  test "$(perl -e 'print crypt($ARGV[0], $ARGV[1])' "wrong horse" "$hash")" != "$hash"

# The edge reads it (without the status section where this edge has no status page yet).
sed 's|/etc/gridsight/tls/edge/|'"$b"'/tls/|' "$y" >"$work/check.yaml"
if ! "$edge" --config "$work/check.yaml" --check-config >/dev/null 2>&1; then
  sed -i '/^status:$/,$d' "$work/check.yaml"
fi
rc=0
"$edge" --config "$work/check.yaml" --check-config >"$work/check.log" 2>&1 || rc=$?
check "gridsight-edge accepts the configuration (cameras unreachable here: exit 3)" test "$rc" = 3
check "... and reports each camera" bash -c \
  "grep -q 'camera 33010600001320000042: main stream rtsp://127.0.0.1:1/ch1: UNREACHABLE' '$work/check.log' &&
   grep -q 'camera cam-b: main stream /srv/video/b.mp4: UNREACHABLE: cannot open' '$work/check.log'"
check "... without the camera's credentials" bash -c "! grep -q 'viewer:pw' '$work/check.log'"

echo "=== provision: a camera password with any character"
# , : @ / space % " ' \ # ? and a non-ASCII letter; in the spec a comma is %2C, a percent %25.
cam_password=$'p,w:@/ 5%"\'\\#?\xc3\xa9'
spec_password=$'p%2Cw:@/ 5%25"\'\\#?\xc3\xa9'
port=$((20000 + RANDOM % 40000))
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break; port=$((20000 + RANDOM % 40000)); done
"$provision" --pki "$work/pki" --out "$work/out" --device edge-test-0044 --broker 10.0.0.9 \
  --no-status-page --camera "id=cam-auth,url=rtsp://127.0.0.1:$port/stream,lon=1,lat=2,user=admin,password=$spec_password" \
  --camera "id=cam-wrong,url=rtsp://127.0.0.1:$port/stream,lon=1,lat=2,user=admin,password=wrong" >/dev/null
tar -C "$work/x" -xzf "$work/out/gridsight-bundle-edge-test-0044.tar.gz"
b44=$work/x/gridsight-bundle-edge-test-0044
check "edge.yaml: the password URL-encoded into the URL" grep -qxF \
  "    url: \"rtsp://admin:p%2Cw%3A%40%2F%205%25%22%27%5C%23%3F%C3%A9@127.0.0.1:$port/stream\"" "$b44/edge.yaml"
sed 's|/etc/gridsight/tls/edge/|'"$b44"'/tls/|' "$b44/edge.yaml" >"$work/auth.yaml"
GRIDSIGHT_RTSP_USER=admin GRIDSIGHT_RTSP_PASSWORD=$cam_password "$rtsp_server" "$port" "$clip" >"$work/rtsp.log" 2>&1 &
rtsp_pid=$!
for _ in $(seq 300); do grep -q ready "$work/rtsp.log" && break; kill -0 "$rtsp_pid" || break; sleep 0.1; done
check "the camera stand-in asks for a login" grep -q ready "$work/rtsp.log"
rc=0
"$edge" --config "$work/auth.yaml" --check-config >"$work/auth.log" 2>&1 || rc=$?
cat "$work/auth.log"
check "the camera lets the edge in with that password" \
  grep -q "camera cam-auth: main stream rtsp://127.0.0.1:$port/stream: reachable, h264" "$work/auth.log"
check "... and refuses a wrong one (so the login is checked)" \
  grep -q "camera cam-wrong: main stream rtsp://127.0.0.1:$port/stream: UNREACHABLE" "$work/auth.log"
check "--check-config exits 3 for the refused camera" test "$rc" = 3
check "the password is not in the output" bash -c "! grep -qF 'p%2Cw' '$work/auth.log'"
kill "$rtsp_pid"
wait "$rtsp_pid" 2>/dev/null || true
rtsp_pid=
refused "a % not followed by two hex digits" "has a % not followed by two hex digits" \
  --device edge-test-0050 --broker x --no-status-page --camera 'id=c1,url=rtsp://a/b,lon=1,lat=1,user=u,password=100%'
refused "a password without a user" "password= needs user=" \
  --device edge-test-0050 --broker x --no-status-page --camera 'id=c1,url=rtsp://a/b,lon=1,lat=1,password=x'

echo "=== provision: without --password-stdin, a random password beside the bundle"
"$provision" --pki "$work/pki" --out "$work/out" --device edge-test-0043 --broker 10.0.0.9 >/dev/null </dev/null
pwfile=$work/out/edge-test-0043.status-password
check "password file mode 0600" test "$(stat -c %a "$pwfile")" = 600
hash=$(tar -xzOf "$work/out/gridsight-bundle-edge-test-0043.tar.gz" gridsight-bundle-edge-test-0043/edge.yaml |
  sed -n 's/^  password_hash: "\(.*\)"$/\1/p')
check "its hash verifies" test "$(perl -e 'print crypt($ARGV[0], $ARGV[1])' "$(cat "$pwfile")" "$hash")" = "$hash"
check "default port 8883" bash -c "tar -xzOf '$work/out/gridsight-bundle-edge-test-0043.tar.gz' gridsight-bundle-edge-test-0043/edge.yaml | grep -qx '  port: 8883'"

echo "=== provision: refusals"
refused "a device that already has a certificate" "already has a certificate" \
  --device edge-test-0042 --broker x --no-status-page
refused "a bad device id" "is not a device id" --device 'bad id' --broker x --no-status-page
refused "no broker" "--broker HOST[:PORT] is required" --device edge-test-0050 --no-status-page
refused "a bad port" "is not 1-65535" --device edge-test-0050 --broker x:99999 --no-status-page
refused "a camera without location" "lat= is required" --device edge-test-0050 --broker x \
  --no-status-page --camera 'id=c1,url=rtsp://a/b,lon=1'
refused "a camera with a bad longitude" "lon \"east\" is not a number" --device edge-test-0050 \
  --broker x --no-status-page --camera 'id=c1,url=rtsp://a/b,lon=east,lat=1'
refused "an unknown crs" "crs \"BD09\" is not one of" --device edge-test-0050 --broker x \
  --no-status-page --camera 'id=c1,url=rtsp://a/b,lon=1,lat=1,crs=BD09'
refused "an unknown camera key" "unknown key \"zoom\"" --device edge-test-0050 --broker x \
  --no-status-page --camera 'id=c1,url=rtsp://a/b,lon=1,lat=1,zoom=2'
refused "a camera given twice" "is given twice" --device edge-test-0050 --broker x \
  --no-status-page --camera 'id=c1,url=u,lon=1,lat=1' --camera 'id=c1,url=v,lon=1,lat=1'
stdin=short refused "a short password" "at least 8 characters" --device edge-test-0050 --broker x --password-stdin
check "nothing issued for refused boxes" test ! -e "$work/pki/issued/edge-test-0050"
check "no bundle for refused boxes" bash -c "! ls '$work/refused'/*.tar.gz 2>/dev/null"
echo "provision: PASS"
