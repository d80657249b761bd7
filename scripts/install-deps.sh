#!/usr/bin/env bash
# Installs the Debian bookworm packages the build and the tests need.
# Safe to run again: it only calls apt-get when something is missing.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config python3
  nlohmann-json3-dev libsqlite3-dev libcurl4-openssl-dev libcpp-httplib-dev
  libfmt-dev librange-v3-dev libsystemd-dev catch2 librapidcheck-dev sqlite3 python3-jsonschema
  docker.io docker-registry busybox-static iptables ca-certificates curl dbus-daemon
)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
