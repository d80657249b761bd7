#!/usr/bin/env bash
# Builds the example release's three images on this machine, without a
# Dockerfile or a download: a busybox-static root filesystem (Debian's
# busybox-static package) and one start script each, imported with
# `docker import`. Rebuilt only when missing.
#   example/db:1   keeps a counter in its volume (/data)
#   example/api:1  serves the counter over HTTP on the backend network
#   example/web:1  asks the api every few seconds and prints the answer
set -euo pipefail

build() {
  local name=$1 script=$2 rootfs
  if docker image inspect "$name" >/dev/null 2>&1; then return; fi
  echo "building $name"
  rootfs=$(mktemp -d)
  mkdir -p "$rootfs/bin" "$rootfs/data" "$rootfs/www" "$rootfs/tmp"
  cp /bin/busybox "$rootfs/bin/busybox"
  for applet in sh sleep cat echo date wget httpd expr mkdir; do ln -s busybox "$rootfs/bin/$applet"; done
  printf '%s\n' "#!/bin/sh" "trap 'exit 0' TERM INT" "$script" >"$rootfs/start"
  chmod +x "$rootfs/start"
  tar -C "$rootfs" -c . | docker import -c 'CMD ["/start"]' - "$name" >/dev/null
  rm -rf "$rootfs"
}

build example/db:1 'n=$(cat /data/counter 2>/dev/null || echo 0)
while true; do n=$(expr $n + 1); echo $n > /data/counter; sleep 2 & wait $!; done'

build example/api:1 'mkdir -p /www
httpd -p 8080 -h /www
while true; do echo "hello from api ($GREETING), counter $(cat /data/counter 2>/dev/null)" > /www/index.html; sleep 1 & wait $!; done'

build example/web:1 'while true; do echo "web: $(wget -q -O - http://api:8080/ 2>&1)"; sleep 5 & wait $!; done'
