#!/bin/sh
# Runs check_device.js inside a network namespace of its own, whose loopback carries the
# WS-Discovery multicast (no packet reaches a real interface). Needs root (ip netns); exits 77
# (skipped) otherwise.
#
#   run.sh DEVICE_SCRIPT
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" != 0 ]; then
  echo "run.sh: needs root to make a network namespace; skipped" >&2
  exit 77
fi
ns="gs-onvif-check-$$"
ip netns add "$ns"
trap 'ip netns del "$ns"' EXIT
ip -n "$ns" link set lo up
ip -n "$ns" link set lo multicast on
ip -n "$ns" route add 224.0.0.0/4 dev lo
cd "$here"
if [ ! -d node_modules/onvif ]; then
  echo "run.sh: tests/onvif/node_modules missing: run scripts/install-deps.sh (npm ci)" >&2
  exit 1
fi
ip netns exec "$ns" node check_device.js "$1" --multicast
