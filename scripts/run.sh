#!/usr/bin/env bash
# The main job: builds the supervisor and shows it planning a whole update of
# the example device (examples/device-update.json), batch by batch.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -G Ninja >/dev/null
cmake --build build -j "$(nproc)" --target supervisor
build/bin/supervisor plan --all --explain examples/device-update.json
