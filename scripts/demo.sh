#!/usr/bin/env bash
# The main job on embedded defaults: a local mosquitto, the aggregator and one edge daemon.
# Events appear in the aggregator's log as they are stored. Ctrl-C stops everything.
#   scripts/demo.sh [--seconds N]     (default: run until interrupted)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
seconds=0
[[ ${1:-} == --seconds ]] && seconds=${2:?}

scripts/install-deps.sh
scripts/build.sh release gridsight-edge gridsight-aggregator

work="$root/build/demo"
mkdir -p "$work"
port=1883
if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
  echo "demo: port $port is taken; is another broker running?" >&2
  exit 1
fi
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

mosquitto -c "$root/config/broker/mosquitto-demo.conf" >"$work/mosquitto.log" 2>&1 &
pids+=($!)
sleep 0.5
build/release/aggregator/daemon/gridsight-aggregator --data-dir "$work/aggregator" --log-events &
pids+=($!)
# Until video capture lands the demo edge runs the synthetic source (see docs/edge.md).
build/release/edge/daemon/gridsight-edge --data-dir "$work/edge" --synthetic --synthetic-rate 1 &
pids+=($!)

echo "demo: broker, aggregator and edge running (data in build/demo); Ctrl-C to stop"
if ((seconds > 0)); then sleep "$seconds"; else wait; fi
