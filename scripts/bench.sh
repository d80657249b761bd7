#!/usr/bin/env bash
# Benchmarks: the planner (planner-bench) and the daemon (bench/daemon_bench.py:
# binary size, converge time next to docker-compose, idle RSS) and cloud mode
# (bench/cloud_bench.py: bytes per unchanged poll, instant-update latency,
# idle disk writes) and the switch-over from the balena supervisor
# (bench/switch_over_bench.py) and the footprint (bench/footprint_bench.py:
# idle RSS/PSS/private memory local and cloud-managed with the RSS of every
# mapping, peak RSS applying a release and streaming logs, stripped binary
# size, CPU per idle hour, converge time next to docker-compose).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
if ! command -v docker-compose >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null
fi
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-release -j "$(nproc)" --target supervisor planner-bench
echo "== planner"
build-release/bin/planner-bench
echo "== daemon"
state=$PWD/build-release/testenv
bash scripts/testenv/up.sh "$state" >/dev/null
trap 'bash scripts/testenv/down.sh "$state" >/dev/null' EXIT
python3 bench/daemon_bench.py build-release/bin/supervisor "$state"
echo "== cloud"
python3 bench/cloud_bench.py build-release/bin/supervisor "$state"
echo "== switch-over"
python3 bench/switch_over_bench.py build-release/bin/supervisor "$state" 10 3
echo "== footprint"
# The device build: -Os with a section per function, --gc-sections.
cmake -S . -B build-device -G Ninja -DCMAKE_BUILD_TYPE=MinSizeRel -DRECONCILE_BUILD_TESTS=OFF >/dev/null
cmake --build build-device -j "$(nproc)" --target supervisor
python3 bench/footprint_bench.py build-device/bin/supervisor "$state"
