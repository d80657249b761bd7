#!/usr/bin/env bash
# Starts the real-engine test environment and describes it in STATE_DIR/env.
#   scripts/testenv/up.sh STATE_DIR        (e.g. build/testenv)
#
# - dockerd (Debian's docker.io), only when nothing answers on DOCKER_HOST
#   (default unix:///var/run/docker.sock); its pid goes to STATE_DIR/dockerd.pid
#   so down.sh stops only an engine this script started.
# - a registry (Debian's docker-registry) on 127.0.0.1:<free port>, storage in
#   STATE_DIR/registry; pid in STATE_DIR/registry.pid.
# - test images built from busybox-static, no Dockerfile and no download:
#     reconcile-test/busybox:latest            local, CMD sleep 3600
#     <registry>/reconcile-test/busybox:latest the same, pushed
#     <registry>/reconcile-test/pull-only:latest  pushed, then removed locally,
#                                              so a test pull downloads for real
#     <registry>/reconcile-test/web-v2:latest  the same way, its own content: a
#                                              release's new image for one test
#                                              (no other test pulls or removes it)
# Idempotent: what already runs is reused, images are rebuilt only when absent.
set -euo pipefail
state=${1:?usage: up.sh STATE_DIR}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
mkdir -p "$state"
state=$(cd "$state" && pwd)

# Two build trees may bring their environments up at once; the engine is
# shared, so they take turns.
exec 9>/tmp/reconcile-testenv.lock
flock -w 300 9 || die "another up.sh/down.sh holds /tmp/reconcile-testenv.lock"

registry_answers() { curl -fsS --max-time 3 "http://$1/v2/" >/dev/null 2>&1; }

start_registry() {
  if pid_is "$state/registry.pid" docker-registry && [ -s "$state/registry.addr" ] &&
     registry_answers "$(cat "$state/registry.addr")"; then
    log "registry answers on $(cat "$state/registry.addr")"
    return
  fi
  stop_pid "$state/registry.pid" docker-registry
  command -v docker-registry >/dev/null || die "docker-registry is not installed: run scripts/install-deps.sh"
  local port addr
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  addr=127.0.0.1:$port
  mkdir -p "$state/registry"
  cat >"$state/registry.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $state/registry
  delete:
    enabled: true
http:
  addr: $addr
YAML
  log "starting docker-registry on $addr (log: $state/registry.log)"
  setsid docker-registry serve "$state/registry.yml" >"$state/registry.log" 2>&1 </dev/null 9>&- &
  echo $! >"$state/registry.pid"
  for _ in $(seq 1 300); do
    if registry_answers "$addr"; then
      echo "$addr" >"$state/registry.addr"
      return
    fi
    alive "$(cat "$state/registry.pid")" || { cat "$state/registry.log" >&2; die "docker-registry exited"; }
    sleep 0.1
  done
  die "docker-registry did not answer within 30 s"
}

# import_image NAME EXTRA_FILE: a busybox rootfs (plus one marker file that
# makes the layer distinct) imported as NAME.
import_image() {
  local name=$1 marker=$2 rootfs
  [ -x /bin/busybox ] || die "/bin/busybox missing: run scripts/install-deps.sh (busybox-static)"
  rootfs=$(mktemp -d)
  mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp"
  cp /bin/busybox "$rootfs/bin/busybox"
  for applet in sh sleep true false echo cat ls; do ln -s busybox "$rootfs/bin/$applet"; done
  echo "$marker" >"$rootfs/etc/reconcile-test"
  tar -C "$rootfs" -c . | docker import \
    -c 'CMD ["/bin/sleep", "3600"]' -c "LABEL $image_label=1" - "$name" >/dev/null
  rm -rf "$rootfs"
}

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

registry_has() {
  curl -fsS --max-time 5 -o /dev/null \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$1/v2/$2/manifests/$3" 2>/dev/null
}

build_images() {
  local addr=$1
  local busybox=$test_prefix/busybox:latest
  image_exists "$busybox" || { log "building $busybox"; import_image "$busybox" busybox; }
  if ! registry_has "$addr" "$test_prefix/busybox" latest; then
    log "pushing $addr/$busybox"
    docker tag "$busybox" "$addr/$busybox"
    docker push -q "$addr/$busybox" >/dev/null
    docker rmi "$addr/$busybox" >/dev/null
  fi
  push_only pull-only "$addr"
  push_only web-v2 "$addr"
}

# push_only NAME REGISTRY: an image with its own content, in the registry only.
push_only() {
  local name=$1 addr=$2
  local image=$addr/$test_prefix/$name:latest
  if ! registry_has "$addr" "$test_prefix/$name" latest; then
    log "pushing $image"
    import_image "$image" "$name"
    docker push -q "$image" >/dev/null
    docker rmi "$image" >/dev/null
  fi
}

start_engine "$state"
# supervisor0 is the supervisor's own network (the daemons under test create
# it); down.sh removes it only when this environment found none.
docker network inspect supervisor0 >/dev/null 2>&1 || touch "$state/supervisor0.ours"
start_registry
addr=$(cat "$state/registry.addr")
build_images "$addr"

cat >"$state/env" <<ENV
DOCKER_HOST=${DOCKER_HOST:-unix:///var/run/docker.sock}
ENV_ID=$(env_id_of "$state")
OBJECT_LABEL=$object_label
IMAGE_PREFIX=$test_prefix
REGISTRY=$addr
BUSYBOX_IMAGE=$test_prefix/busybox:latest
REGISTRY_BUSYBOX_IMAGE=$addr/$test_prefix/busybox:latest
PULL_IMAGE=$addr/$test_prefix/pull-only:latest
WEB_V2_IMAGE=$addr/$test_prefix/web-v2:latest
ENV
log "ready: $state/env"
