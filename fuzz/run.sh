#!/bin/sh
# Builds the libFuzzer targets with clang (-fsanitize=fuzzer,address,undefined
# over the whole build, -DRECONCILE_FUZZ=ON) in build-fuzz/ and runs each for
# SECONDS (default 60), one after the other, on its corpus in
# fuzz/corpus/<target>/, one job at a time. New interesting inputs are added
# to the corpus; a crash leaves crash-* in build-fuzz/artifacts/ and stops.
#   fuzz/run.sh [SECONDS] [TARGET...]
# TARGET: parse_request target_state planner cloud_answer config_json
#         daemon_config engine_json json_intake local_api balena_database
#         (default: all)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
build="$repo/build-fuzz"
seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-"parse_request target_state planner cloud_answer config_json daemon_config engine_json json_intake local_api balena_database"}
flags="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"

cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=None -DRECONCILE_FUZZ=ON \
  -DRECONCILE_SHARED_DIR="${RECONCILE_SHARED_DIR:-$repo/../shared}" \
  -DCMAKE_CXX_COMPILER="${CXX_FUZZ:-clang++-14}" -DCMAKE_CXX_FLAGS="$flags" \
  $(command -v ccache >/dev/null && echo -DCMAKE_CXX_COMPILER_LAUNCHER=ccache) >/dev/null
ninja -C "$build" -j "${JOBS:-2}" $(for t in $targets; do printf '%s_fuzzer ' "$t"; done)

mkdir -p "$build/artifacts"
for t in $targets; do
  echo "== $t for ${seconds}s"
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  "$build/bin/${t}_fuzzer" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" "$here/corpus/$t"
done
