#!/usr/bin/env bash
# gridsight-provision, without installing anything: the bundle's contents and modes, the
# edge.yaml it writes (device, broker, TLS paths, cameras with their watched locations, a
# status-page hash that verifies against the password), the ACL entry, and clear refusals of
# bad input that leave nothing behind. The edge (built binary) accepts the configuration.
#
#   tests/packaging/provision_test.sh GRIDSIGHT_EDGE_BINARY
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
edge="${1:?GRIDSIGHT_EDGE_BINARY}"
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
trap 'rm -rf "$work"' EXIT
"$pki_tool" --dir "$work/pki" init >/dev/null

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
