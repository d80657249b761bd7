#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds with warnings as
# errors, runs every test (ctest), then runs the unit, conformance and
# property tests again under AddressSanitizer and UBSan (line-level debug
# info, no engine tests or benchmarks built, pure-Python tests not rerun:
# the pass is there for the C++; nor "the unmodified planner passes every
# property with the planted-bug seed": 9,000 planner runs, 8 minutes under
# ASan, of code the property tests already run there).
#   scripts/test.sh            everything
#   scripts/test.sh --long     the same, with 1,000,000 property cases instead of 10,000
#   SKIP_SANITIZERS=1 scripts/test.sh   skip the sanitizer pass
set -euo pipefail
property_cases=10000  # the sanitizer pass caps it (RECONCILE_PROPERTY_CASES_SANITIZED)
case "${1:-}" in
  --long) property_cases=1000000 ;;
  "") ;;
  *) echo "usage: scripts/test.sh [--long]" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
root=$PWD
shared=${RECONCILE_SHARED_DIR:-$root/../shared}

scripts/install-deps.sh
# The real balena CLI for e2e.balena_cli, from the npm registry; where the
# registry cannot be reached the test says it is skipped.
if cli=$(scripts/install-balena-cli.sh); then
  export BALENA_CLI=$cli
else
  echo "== the balena CLI could not be installed: e2e.balena_cli will be skipped" >&2
fi

jobs=$(nproc)
# ccache, when installed, makes a second run rebuild only what changed.
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B build -G Ninja -DRECONCILE_WERROR=ON -DRECONCILE_SHARED_DIR="$shared" \
  -DRECONCILE_PROPERTY_CASES=$property_cases "${launcher[@]}" >/dev/null
cmake --build build -j "$jobs"
status=0
# --timeout: a test that hangs fails after 10 minutes instead of holding the
# run until CI's limit (tests with a TIMEOUT of their own keep it).
ctest --test-dir build --output-on-failure --timeout 600 -j "$jobs" || status=1

if [ -z "${SKIP_SANITIZERS:-}" ]; then
  echo "== sanitizer build (ASan + UBSan)"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DRECONCILE_WERROR=ON \
    -DRECONCILE_SHARED_DIR="$shared" -DRECONCILE_PROPERTY_CASES=$property_cases \
    -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
    -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DRECONCILE_BUILD_ENGINE_TESTS=OFF -DRECONCILE_BUILD_BENCH=OFF \
    "${launcher[@]}" >/dev/null
  cmake --build build-asan -j "$jobs"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure --timeout 600 -j "$jobs" -L 'unit|conformance|property' \
    -E 'installed_package|example_property_check|fake_cloud|plan_request_schema|unmodified planner passes' || status=1
fi
exit $status
