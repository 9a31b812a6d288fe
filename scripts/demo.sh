#!/usr/bin/env bash
# The main job on embedded defaults: a local mosquitto with mutual TLS and per-device ACL,
# the aggregator and one edge daemon. Events appear in the aggregator's log as they are
# stored. Ctrl-C stops everything.
#   scripts/demo.sh [--seconds N]     (default: run until interrupted)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
seconds=0
credentials=()
[[ ${1:-} == --seconds ]] && seconds=${2:?}

scripts/install-deps.sh
scripts/build.sh release gridsight-edge gridsight-aggregator gridsight-passwd

work="$root/build/demo"
pki="$work/pki"
mkdir -p "$work"
port=8883
if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
  echo "demo: port $port is taken; is another broker running?" >&2
  exit 1
fi
api_port=${GRIDSIGHT_DEMO_API_PORT:-8080}
if (exec 3<>/dev/tcp/127.0.0.1/$api_port) 2>/dev/null; then
  echo "demo: port $api_port (API and console) is taken; set GRIDSIGHT_DEMO_API_PORT" >&2
  exit 1
fi

# A demo fleet CA with certificates for the broker, the aggregator and one edge box (made
# once; see docs/security.md for a real fleet).
device=edge-jianwai-01
if [[ ! -f $pki/ca.pem ]]; then
  tools/gridsight-pki --dir "$pki" init
  tools/gridsight-pki --dir "$pki" broker localhost IP:127.0.0.1
  tools/gridsight-pki --dir "$pki" aggregator
fi
[[ -f $pki/issued/$device/cert.pem ]] || tools/gridsight-pki --dir "$pki" device "$device"
sed -e "s|@PKI@|$pki|g" -e "s|@PORT@|$port|g" config/broker/mosquitto-demo.conf.in >"$work/mosquitto.conf"
tls() {  # the mqtt section for one identity
  cat <<YAML
mqtt:
  host: localhost
  port: $port
  tls:
    enabled: true
    ca_file: $pki/ca.pem
    cert_file: $pki/issued/$1/cert.pem
    key_file: $pki/issued/$1/key.pem
YAML
}
# The aggregator files cases in the example district (config/grid).
{
  echo "data_dir: $work/aggregator"
  tls gridsight-aggregator
  cat <<YAML
cases:
  enabled: true
  grid_file: $root/config/grid/district-example.geojson
  cameras_file: $root/config/grid/cameras.yaml
  classes_file: $root/config/grid/classes.yaml
  calendar_file: $root/config/grid/calendar-2026.yaml
  engine_file: $root/config/grid/engine.yaml
YAML
  # The API and web console with three demo users whose passwords are made now, at random
  # (no default credentials): a dispatcher, the department of the demo's class (L0102 goes to
  # public-security) and a supervisor.
  echo "api:"
  echo "  enabled: true"
  echo "  port: $api_port"
  echo "  users:"
  for spec in dispatcher:dispatcher: police:department:public-security supervisor:supervisor:; do
    IFS=: read -r name role dept <<<"$spec"
    password=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
    hash=$(printf '%s\n' "$password" | build/release/tools/gridsight-passwd)
    printf '    - {name: %s, role: %s, %spassword_hash: "%s"}\n' "$name" "$role" \
      "${dept:+department: $dept, }" "$hash"
    credentials+=("$(printf '%-10s %-11s %s' "$name" "$role" "$password")")
  done
} >"$work/aggregator.yaml"
# The camera: OpenCV's real walkway footage (opencv-doc), as H.264, looping. Its lawn is a
# restricted zone: people stepping onto it are intrusions (class L0102 in config/grid).
video="$work/walkway.mp4"
if [[ ! -s $video ]]; then
  ffmpeg -loglevel error -y -i /usr/share/doc/opencv-doc/examples/data/vtest.avi \
    -c:v libx264 -preset veryfast -g 20 -pix_fmt yuv420p -an "$video"
fi
# The status page (docs/status-page.md): a fresh random password on every run, its slow hash
# in the configuration; the password itself only goes to this terminal.
status_port=8088
status_password=$(openssl rand -base64 12 | tr -d '/+=')
status_hash=$(printf '%s\n' "$status_password" | build/release/tools/gridsight-passwd)
{
  echo "device_id: $device"
  echo "data_dir: $work/edge"
  tls "$device"
  cat <<YAML
status:
  port: $status_port
  password_hash: "$status_hash"
cameras:
  - id: "11010500001320000001"
    name: Jianwai street, market gate
    location: {lon: 116.4512, lat: 39.9112, crs: GCJ02}
    url: $video
    loop: true
    detection:
      zones:
        - id: lawn
          polygon: [0.00, 0.50, 0.50, 0.66, 0.80, 0.82, 1.00, 0.92, 1.00, 1.00, 0.00, 1.00]
          location: {lon: 116.4515, lat: 39.9110, crs: GCJ02}
      lines:
        - id: lawn_west
          from: [0.55, 0.70]
          to: [0.55, 1.00]
          direction: left_to_right
      rules:
        - {id: lawn-intrusion, detector: motion, type: zone.intrusion, zones: [lawn],
           min_area: 0.004, min_duration: 1s, end_hold: 3s, cooldown: 30s}
        - {id: lawn-west-crossing, detector: line_crossing, type: line.crossing, lines: [lawn_west]}
        - {id: lawn-loitering, detector: loitering, zones: [lawn], dwell: 12s}
        - {id: tamper, detector: tamper, end_hold: 2s, cooldown: 60s}
evidence:
  directory: $work/edge/evidence-work
  pre_roll: 4s
  post_roll: 3s
YAML
} >"$work/edge.yaml"

pids=()
cleanup() {  # edge first, broker last, so each says goodbye cleanly
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
}
trap cleanup EXIT INT TERM

mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
pids+=($!)
sleep 0.5
build/release/aggregator/daemon/gridsight-aggregator --config "$work/aggregator.yaml" --log-events &
pids+=($!)
build/release/edge/daemon/gridsight-edge --config "$work/edge.yaml" &
pids+=($!)

echo "demo: broker (mutual TLS on localhost:$port), aggregator and edge running; data in build/demo; Ctrl-C to stop"
echo "demo: edge status page: http://127.0.0.1:$status_port/  password: $status_password"
echo "demo: console and API on http://127.0.0.1:$api_port/ (docs/api.md); users for this run:"
printf '  %s\n' "${credentials[@]}"
if ((seconds > 0)); then sleep "$seconds"; else wait; fi
