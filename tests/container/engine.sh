#!/usr/bin/env bash
# Makes sure a Docker engine answers: reuses a running one, else starts dockerd in the
# background (as GitHub's runners have one; these machines need --iptables=false and
# --bridge=none). Fails loudly when none can be started: the container tier never skips.
set -euo pipefail
LOG=${SEEDGATE_DOCKERD_LOG:-/tmp/seedgate-dockerd.log}

engine_answers() { docker info >/dev/null 2>&1; }

fail() {
  echo "ERROR: no Docker engine: $*" >&2
  echo "ERROR: the container test tier (tests/container) needs one; see $LOG" >&2
  exit 1
}

engine_answers && exit 0
command -v docker >/dev/null || fail "no docker client on PATH (Debian package docker.io)"
command -v dockerd >/dev/null || fail "no dockerd on PATH (Debian package docker.io)"
[ "$(id -u)" = 0 ] || fail "dockerd is not running and starting it needs root"

echo "engine: starting dockerd (log: $LOG)" >&2
# setsid: the engine outlives this script and the test session that asked for it.
setsid dockerd --iptables=false --ip6tables=false --bridge=none >"$LOG" 2>&1 </dev/null &
for _ in $(seq 60); do
  engine_answers && { echo "engine: dockerd is up" >&2; exit 0; }
  sleep 1
done
tail -20 "$LOG" >&2 || true
fail "dockerd did not answer within 60 s"
