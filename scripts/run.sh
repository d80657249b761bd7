#!/usr/bin/env bash
# The main job: a device supervisor converging a real release.
#   scripts/run.sh          set up, run the example release, then update it
#   scripts/run.sh clean    stop the daemon and remove the example's containers,
#                           networks and volume, and supervisor0 when nothing uses
#                           it; stop the engine if run.sh started it
# Installs what is missing, builds, starts a Docker engine when none answers,
# builds the example images locally (examples/release), starts the daemon
# (data in build/run/), sends it release 1 then release 2 through the local
# API as the balena CLI would, and shows the progress. Safe to run again: the
# daemon adopts the containers it finds without recreating them.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
state=$root/build/run
port=${SUPERVISOR_PORT:-48484}
api=http://127.0.0.1:$port
. scripts/testenv/lib.sh

stop_daemon() {
  if pid_is "$state/supervisor.pid" supervisor; then
    echo "== stopping the daemon"
    stop_pid "$state/supervisor.pid" supervisor
  fi
}

if [ "${1:-}" = clean ]; then
  stop_daemon
  for c in $(docker ps -aq --filter label=io.balena.app-id=1 --filter label=io.balena.supervised); do
    docker rm -f -v "$c" >/dev/null
  done
  docker network rm 1_backend 1_default >/dev/null 2>&1 || true
  # The daemon made supervisor0; the engine refuses while a container uses it.
  docker network rm supervisor0 >/dev/null 2>&1 || true
  docker volume rm 1_data >/dev/null 2>&1 || true
  stop_pid "$state/dockerd.pid" dockerd
  rm -rf "$state"
  echo "cleaned"
  exit 0
fi

echo "== installing packages and building"
scripts/install-deps.sh
cmake -S . -B build -G Ninja >/dev/null
cmake --build build -j "$(nproc)" --target supervisor
mkdir -p "$state"

echo "== container engine"
start_engine "$state"
echo "== example images"
examples/release/build-images.sh

echo "== starting the supervisor (log: $state/supervisor.log)"
stop_daemon
cat >"$state/config.json" <<JSON
{"dataDir": "$state/data", "listenPort": $port, "deviceName": "example-device", "recheckInterval": 10000}
JSON
setsid build/bin/supervisor run --config "$state/config.json" >>"$state/supervisor.log" 2>&1 </dev/null &
echo $! >"$state/supervisor.pid"
for _ in $(seq 1 100); do curl -fsS "$api/ping" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "$api/ping" >/dev/null || { tail -20 "$state/supervisor.log"; echo "the daemon did not start"; exit 1; }

# Prints the daemon's step lines as they come, until the release is applied.
follow() {
  local release=$1 since=$2 started=$SECONDS
  local offset=$since
  while :; do
    local size
    size=$(stat -c %s "$state/supervisor.log")
    if [ "$size" -gt "$offset" ]; then
      tail -c +"$((offset + 1))" "$state/supervisor.log" | head -c "$((size - offset))" |
        grep -E ' (step|step-failed|download|settled|backoff) ' | sed -E 's/^[^ ]+ [a-z]+ /  /' || true
      offset=$size
    fi
    local status
    status=$(curl -fsS "$api/v2/state/status" 2>/dev/null || true)
    if echo "$status" | python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if d['appState']=='applied' and d.get('release')=='$release' and sum(c['status']=='Running' for c in d['containers'])==3 else 1)" 2>/dev/null; then
      echo "== $release applied in $((SECONDS - started)) s"
      return 0
    fi
    if [ $((SECONDS - started)) -gt 300 ]; then echo "== $release not applied after 5 minutes"; return 1; fi
    sleep 0.5
  done
}

for release in release-1 release-2; do
  echo "== sending $release (examples/release/$release.json)"
  since=$(stat -c %s "$state/supervisor.log")
  curl -fsS -X POST -H 'Content-Type: application/json' --data "@examples/release/$release.json" \
    "$api/v2/local/target-state"
  echo
  follow "$release" "$since"
  docker ps --filter label=io.balena.app-id=1 --format '  {{.Names}}\t{{.Status}}'
done

sleep 6
echo "== what the web service sees:"
docker logs --tail 2 "$(docker ps -q --filter label=io.balena.service-name=web | head -1)" 2>&1 | sed 's/^/  /'
echo "== the supervisor keeps running (pid $(cat "$state/supervisor.pid"), API on $api);"
echo "   'scripts/run.sh clean' stops it and removes the example."
