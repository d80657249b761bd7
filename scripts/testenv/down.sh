#!/usr/bin/env bash
# Undoes up.sh for one STATE_DIR:
#   scripts/testenv/down.sh STATE_DIR
# removes the containers, networks and volumes labelled with this state dir's
# env id, the reconcile-test/ images, then stops the registry and the dockerd
# that up.sh started (by the pids it recorded; an engine that was already
# running is left alone).
set -euo pipefail
state=${1:?usage: down.sh STATE_DIR}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
[ -d "$state" ] || { log "nothing to do: no $state"; exit 0; }
state=$(cd "$state" && pwd)

exec 9>/tmp/reconcile-testenv.lock
flock -w 300 9 || die "another up.sh/down.sh holds /tmp/reconcile-testenv.lock"

env_id=$(env_id_of "$state")
if engine_answers; then
  filter="label=$object_label=$env_id"
  containers=$(docker ps -aq --filter "$filter")
  [ -z "$containers" ] || docker rm -f -v $containers >/dev/null || true
  networks=$(docker network ls -q --filter "$filter")
  [ -z "$networks" ] || docker network rm $networks >/dev/null || true
  volumes=$(docker volume ls -q --filter "$filter")
  [ -z "$volumes" ] || docker volume rm $volumes >/dev/null || true
  # Images by label and by name prefix; one still used by a container (of
  # another build tree's run, say) stays.
  images=$( { docker images -q --filter "label=$image_label" ;
              docker images --format '{{.Repository}}:{{.Tag}}' | grep -E "(^|/)$test_prefix/" ; } | sort -u)
  for image in $images; do docker rmi "$image" >/dev/null 2>&1 || true; done
  if [ -e "$state/supervisor0.ours" ]; then
    docker network rm supervisor0 >/dev/null 2>&1 || true
  fi
fi
rm -f "$state/supervisor0.ours"

stop_pid "$state/registry.pid" docker-registry
stop_pid "$state/dockerd.pid" dockerd
rm -f "$state/env"
log "down"
