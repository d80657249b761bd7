#!/usr/bin/env bash
# Sanitizers over the tests that scripts/test.sh runs without them: the
# integration tests (real Docker engine) and the e2e tests (the daemon as a
# process), built with AddressSanitizer + UBSan; and a ThreadSanitizer build
# of the daemon's tests (apply loop, API server, log followers) and, with
# --tsan-e2e, of the daemon under the e2e tests. Not part of CI (it
# rebuilds everything twice); docs/properties.md says what it found.
#   scripts/sanitize.sh            ASan+UBSan: integration and e2e, then TSan: daemon-tests
#   scripts/sanitize.sh --asan     ASan+UBSan only
#   scripts/sanitize.sh --tsan     TSan (daemon-tests) only
#   scripts/sanitize.sh --tsan-e2e TSan: daemon-tests, then the e2e tests against the TSan daemon
# Every sanitizer report, the daemon processes' included (their stderr may
# be swallowed by the test), is written to <build>/sanitizer-logs/ and
# listed at the end; the exit status is non-zero when a test failed or a
# report was written.
set -euo pipefail
mode=${1:-all}
case "$mode" in
  all|--asan|--tsan|--tsan-e2e) ;;
  *) echo "usage: scripts/sanitize.sh [--asan|--tsan|--tsan-e2e]" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
root=$PWD
shared=${RECONCILE_SHARED_DIR:-$root/../shared}
jobs=$(nproc)
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
status=0

# configure <dir> <flags>
configure() {
  cmake -S . -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DRECONCILE_WERROR=ON -DRECONCILE_SHARED_DIR="$shared" \
    -DCMAKE_CXX_FLAGS="$2" "${launcher[@]}" >/dev/null
}

# reports <dir>: lists the sanitizer reports written under <dir>/sanitizer-logs.
reports() {
  local logs="$1/sanitizer-logs"
  if compgen -G "$logs/*" >/dev/null; then
    echo "== sanitizer reports in $logs:"
    grep -l "ERROR\|WARNING\|runtime error" "$logs"/* || true
    grep -h "^SUMMARY" "$logs"/* | sort | uniq -c || true
    status=1
  else
    echo "== no sanitizer report in $logs"
  fi
}

if [ "$mode" = all ] || [ "$mode" = --asan ]; then
  build=build-sanitize
  echo "== ASan + UBSan build ($build)"
  start=$(date +%s)
  configure "$build" "-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
  cmake --build "$build" -j "$jobs"
  built=$(date +%s)
  rm -rf "$build/sanitizer-logs" && mkdir -p "$build/sanitizer-logs"
  ASAN_OPTIONS="detect_leaks=1:log_path=$root/$build/sanitizer-logs/asan" \
  UBSAN_OPTIONS="print_stacktrace=1:log_path=$root/$build/sanitizer-logs/ubsan" \
    ctest --test-dir "$build" --output-on-failure -L 'integration|e2e' || status=1
  echo "== ASan build $((built - start)) s, integration + e2e $(($(date +%s) - built)) s"
  reports "$build"
fi

if [ "$mode" != --asan ]; then
  build=build-tsan
  echo "== ThreadSanitizer build ($build)"
  start=$(date +%s)
  configure "$build" "-fsanitize=thread -fno-omit-frame-pointer"
  targets=(daemon-tests)
  [ "$mode" = --tsan-e2e ] && targets+=(supervisor)
  cmake --build "$build" -j "$jobs" --target "${targets[@]}"
  built=$(date +%s)
  rm -rf "$build/sanitizer-logs" && mkdir -p "$build/sanitizer-logs"
  export TSAN_OPTIONS="halt_on_error=0:second_deadlock_stack=1:log_path=$root/$build/sanitizer-logs/tsan"
  "$build/bin/daemon-tests" || status=1
  if [ "$mode" = --tsan-e2e ]; then
    # The e2e scripts take the supervisor binary and a test environment.
    env_dir=/tmp/tenv-sanitize-$$
    scripts/testenv/up.sh "$env_dir"
    for test in tests/e2e/test_*.py; do
      echo "== $test against the TSan daemon"
      python3 "$test" "$root/$build/bin/supervisor" "$env_dir" || status=1
    done
    scripts/testenv/down.sh "$env_dir"
  fi
  unset TSAN_OPTIONS
  echo "== TSan build $((built - start)) s, tests $(($(date +%s) - built)) s"
  reports "$build"
fi
exit $status
