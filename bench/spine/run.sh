#!/usr/bin/env bash
# The event spine benchmark (docs/benchmarks.md). Prints, from one run on this machine:
#  1. the broker's own delivery rate of an event stream to a plain subscriber (the ceiling)
#     and, for the same stream in the same run, the aggregator's ingest rate (events stored);
#  2. the edge draining a backlog: events/s and MB/s confirmed by the aggregator (QoS 1,
#     counted when the edge's outbox has the aggregator's confirmation);
#  3. the edge daemon's idle resident memory;
#  4. the same kind of stream through the whole aggregator (ingest, then the case service
#     files every event into a case: grid lookup, merging, SQLite synchronous=FULL), beside
#     ingest alone from 1. (docs/benchmarks.md; goal >= 80 % of ingest alone).
# Usage: bench/spine/run.sh [--smoke] [--count N]   (release build in build/release)
set -euo pipefail
cd "$(dirname "$0")/../.."
count=100000
[[ ${1:-} == --smoke ]] && count=2000
[[ ${1:-} == --count ]] && count=${2:?}
bin=build/release
edge=$bin/edge/daemon/gridsight-edge
agg=$bin/aggregator/daemon/gridsight-aggregator
make=$bin/bench/spine/spine_bench_events
for b in "$edge" "$agg" "$make"; do [[ -x $b ]] || { echo "missing $b: run scripts/build.sh release" >&2; exit 1; }; done

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 0
max_queued_bytes 0
max_inflight_messages 1000
CONF
mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done

now() { date +%s.%N; }
count_rows() { sqlite3 "file:$1?mode=ro" "$2" 2>/dev/null || echo 0; }
wait_for() {  # db sql target pid: until the query reaches target; fails when pid exits first
  while (( $(count_rows "$1" "$2") < $3 )); do
    kill -0 "$4" 2>/dev/null || { echo "process $4 exited before $2 reached $3" >&2; exit 1; }
    sleep 0.05
  done
}

echo "spine benchmark: $count events, $(nproc) cores"
cat >"$work/agg.yaml" <<CONF
data_dir: $work/agg
log_level: warn
mqtt: {port: $port, allow_insecure: true}
# The ingest path's own speed: one device delivers everything, so no per-device limit.
ingest: {device_limits: {events_per_second: 0, evidence_bytes_per_second: 0}}
CONF
"$agg" --config "$work/agg.yaml" &
agg_ingest=$!
pids+=($agg_ingest)
sleep 1

# 1. Ceiling and ingest, same stream.
"$make" --device bench-src --count "$count" >"$work/events.txt"
bytes=$(wc -c <"$work/events.txt")
mosquitto_sub -p "$port" -h 127.0.0.1 -q 1 -t 'gridsight/v1/bench-src/events' -C "$count" >/dev/null &
sub=$!
sleep 0.5
t0=$(now)
mosquitto_pub -p "$port" -h 127.0.0.1 -q 1 -t gridsight/v1/bench-src/events -l <"$work/events.txt"
wait "$sub"
t_sub=$(now)
wait_for "$work/agg/aggregator.db" "SELECT COUNT(*) FROM events WHERE device_id='bench-src'" "$count" "$agg_ingest"
t_agg=$(now)
ingest_rate=$(awk -v n="$count" -v t0="$t0" -v ta="$t_agg" 'BEGIN { printf "%.1f", n / (ta - t0) }')
awk -v n="$count" -v b="$bytes" -v t0="$t0" -v ts="$t_sub" -v ta="$t_agg" 'BEGIN {
  rs = n / (ts - t0); ra = n / (ta - t0);
  printf "broker -> plain subscriber: %8.0f events/s  %6.2f MB/s   (baseline)\n", rs, b / (ts - t0) / 1e6;
  printf "broker -> aggregator store: %8.0f events/s  %6.2f MB/s   = %.0f%% of the baseline\n", ra, b / (ta - t0) / 1e6, 100 * ra / rs }'

# 2. Edge backlog drain, confirmed end to end.
mkdir -p "$work/edge"
read -r pending pbytes < <("$make" --outbox "$work/edge/outbox" --device bench-edge --count "$count")
cat >"$work/edge.yaml" <<CONF
device_id: bench-edge
data_dir: $work/edge
log_level: warn
mqtt: {port: $port, allow_insecure: true}
outbox: {max_events: $((count + 1))}
cameras: [{id: cam-bench}]
CONF
t0=$(now)
"$edge" --config "$work/edge.yaml" &
edge_pid=$!
pids+=($edge_pid)
until [[ $(count_rows "$work/edge/outbox/outbox.db" "SELECT value FROM meta WHERE key='confirmed_total'") -ge $pending ]]; do sleep 0.05; done
t1=$(now)
awk -v n="$pending" -v b="$pbytes" -v t0="$t0" -v t1="$t1" 'BEGIN {
  printf "edge backlog drain:         %8.0f events/s  %6.2f MB/s   confirmed by the aggregator (%d events)\n", n / (t1 - t0), b / (t1 - t0) / 1e6, n }'

# 3. Idle RSS of the edge daemon (backlog drained, nothing to do).
sleep 2
rss=$(awk '/VmRSS/ {print $2}' "/proc/$edge_pid/status")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$edge_pid/status")
echo "edge idle RSS:              $((rss / 1024)) MB (peak during the drain $((hwm / 1024)) MB)"

# 4. Ingest and cases: a second aggregator with the example district's grid, every event
#    filed (the case cursor reaches the last stored row) before the clock stops.
grid=$PWD/config/grid  # absolute: relative paths are read from the config file's folder
cat >"$work/agg-cases.yaml" <<CONF
data_dir: $work/agg-cases
log_level: info
mqtt: {port: $port, allow_insecure: true, client_id: gridsight-aggregator-cases}
ingest: {device_limits: {events_per_second: 0, evidence_bytes_per_second: 0}}
cases:
  enabled: true
  grid_file: $grid/district-example.geojson
  cameras_file: $grid/cameras.yaml
  classes_file: $grid/classes.yaml
  calendar_file: $grid/calendar-2026.yaml
  engine_file: $grid/engine.yaml
CONF
kill "$agg_ingest" 2>/dev/null || true  # the first aggregator: its subscription would share the stream
"$agg" --config "$work/agg-cases.yaml" >"$work/agg-cases.log" 2>&1 &
agg_cases=$!
pids+=($agg_cases)
until grep -q "ingest: subscribed" "$work/agg-cases.log" 2>/dev/null; do
  kill -0 "$agg_cases" 2>/dev/null || { echo "the aggregator with cases exited:" >&2; tail -5 "$work/agg-cases.log" >&2; exit 1; }
  sleep 0.05
done
"$make" --device bench-cases --count "$count" --at 116.466 39.911 >"$work/district.txt"
t0=$(now)
mosquitto_pub -p "$port" -h 127.0.0.1 -q 1 -t gridsight/v1/bench-cases/events -l <"$work/district.txt"
wait_for "$work/agg-cases/aggregator.db" "SELECT COUNT(*) FROM events WHERE device_id='bench-cases'" "$count" "$agg_cases"
t_stored=$(now)
wait_for "$work/agg-cases/cases.db" "SELECT last_row FROM case_cursor" "$count" "$agg_cases"
t_filed=$(now)
ncases=$(count_rows "$work/agg-cases/cases.db" "SELECT COUNT(*) FROM cases")
awk -v n="$count" -v t0="$t0" -v ts="$t_stored" -v tf="$t_filed" -v ra="$ingest_rate" -v c="$ncases" 'BEGIN {
  rf = n / (tf - t0);
  printf "broker -> stored, with cases: %6.0f events/s\n", n / (ts - t0);
  printf "broker -> filed into cases:  %6.0f events/s   = %.0f%% of ingest alone (1.), %d cases\n", rf, 100 * rf / ra, c }'
