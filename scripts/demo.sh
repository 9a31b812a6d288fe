#!/usr/bin/env bash
# The main job on embedded defaults: a local mosquitto with mutual TLS and per-device ACL,
# the aggregator and one edge daemon. Events appear in the aggregator's log as they are
# stored. Ctrl-C stops everything.
#   scripts/demo.sh [--seconds N]     (default: run until interrupted)
#   scripts/demo.sh --check-config    writes the demo's configurations as a run would, has
#                                     gridsight-aggregator and gridsight-edge check them
#                                     (--check-config) and exits non-zero if either refuses;
#                                     starts nothing and installs nothing (no apt, no network)
# Both take --dir DIR (where the configurations, certificates and data go; default build/demo)
# and --build-dir DIR (a build tree with the binaries; default build/release, built first).
set -euo pipefail
usage="usage: scripts/demo.sh [--seconds N | --check-config] [--dir DIR] [--build-dir DIR]"
seconds=0
check=0
work=
bin=
while (($#)); do
  case $1 in
    --seconds) seconds=${2:?$usage} && shift 2 ;;
    --check-config) check=1 && shift ;;
    --dir) work=$(realpath -m "${2:?$usage}") && shift 2 ;;
    --build-dir) bin=$(realpath -m "${2:?$usage}") && shift 2 ;;
    *) echo "$usage" >&2 && exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."
root=$(pwd)
credentials=()

if [[ -z $bin ]]; then
  ((check)) || scripts/install-deps.sh
  scripts/build.sh release gridsight-edge gridsight-aggregator gridsight-passwd
  bin="$root/build/release"
fi
passwd="$bin/tools/gridsight-passwd"
aggregator="$bin/aggregator/daemon/gridsight-aggregator"
edge="$bin/edge/daemon/gridsight-edge"
for b in "$passwd" "$aggregator" "$edge"; do
  [[ -x $b ]] || { echo "demo: $b is missing (build it in $bin first)" >&2 && exit 1; }
done

work=${work:-$root/build/demo}
pki="$work/pki"
mkdir -p "$work"
port=8883
api_port=${GRIDSIGHT_DEMO_API_PORT:-8080}
status_port=8088
device="edge-jianwai-01"

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
# Everything the demo runs on, in $work: the fleet CA and certificates, the broker's, the
# aggregator's and the edge's configurations, the camera's footage. The check reads these
# very files.
write_configs() {
  # A demo fleet CA with certificates for the broker, the aggregator and one edge box (made
  # once; see docs/security.md for a real fleet).
  if [[ ! -f $pki/ca.pem ]]; then
    tools/gridsight-pki --dir "$pki" init
    tools/gridsight-pki --dir "$pki" broker localhost IP:127.0.0.1
    tools/gridsight-pki --dir "$pki" aggregator
  fi
  [[ -f $pki/issued/$device/cert.pem ]] || tools/gridsight-pki --dir "$pki" device "$device"
  sed -e "s|@PKI@|$pki|g" -e "s|@PORT@|$port|g" config/broker/mosquitto-demo.conf.in >"$work/mosquitto.conf"
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
      hash=$(printf '%s\n' "$password" | "$passwd")
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
  status_password=$(openssl rand -base64 12 | tr -d '/+=')
  status_hash=$(printf '%s\n' "$status_password" | "$passwd")
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
}

if ((check)); then
  write_configs
  rc=0
  "$aggregator" --config "$work/aggregator.yaml" --check-config || rc=1
  "$edge" --config "$work/edge.yaml" --check-config || rc=1
  if ((rc)); then
    echo "demo: the demo's configuration in $work is refused (above)" >&2
    exit 1
  fi
  echo "demo: gridsight-aggregator and gridsight-edge accept the demo's configuration in $work"
  exit 0
fi

if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
  echo "demo: port $port is taken; is another broker running?" >&2
  exit 1
fi
if (exec 3<>/dev/tcp/127.0.0.1/"$api_port") 2>/dev/null; then
  echo "demo: port $api_port (API and console) is taken; set GRIDSIGHT_DEMO_API_PORT" >&2
  exit 1
fi
write_configs

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
"$aggregator" --config "$work/aggregator.yaml" --log-events &
pids+=($!)
"$edge" --config "$work/edge.yaml" &
pids+=($!)

echo "demo: broker (mutual TLS on localhost:$port), aggregator and edge running; data in $work; Ctrl-C to stop"
echo "demo: edge status page: http://127.0.0.1:$status_port/  password: $status_password"
echo "demo: console and API on http://127.0.0.1:$api_port/ (docs/api.md); users for this run:"
printf '  %s\n' "${credentials[@]}"
if ((seconds > 0)); then sleep "$seconds"; else wait; fi
