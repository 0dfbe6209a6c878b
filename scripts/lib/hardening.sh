# The hardening tier of scripts/test (issue 11): the unit and integration tests once more under
# AddressSanitizer + UndefinedBehaviorSanitizer and again under ThreadSanitizer,
# clang-tidy over src/ and roles/, every fuzz target for 60 s and a 60 s soak with faults.
# Source this file.
#
# hardening_build_start: builds the sanitizer trees (CMakePresets.json: asan, tsan) and the
#   fuzz targets (replaying their corpora), and runs clang-tidy, in the background at the
#   lowest CPU priority, so they use what the main test run leaves idle (most e2e tests wait
#   on containers) instead of adding their minutes after it.
# hardening_wait: waits for the background jobs started so far; non-zero if one failed (the
#   end of its log is shown).
# hardening_test: runs the sanitized tests; any sanitizer report fails the test it happens in.
# hardening_soak: benchmarks/soak.sh for 60 s (faults included) with the built binary.
# hardening_fuzz_start: every libFuzzer target for 60 s in the background, one after another
#   on one core, beside the sanitized tests and the soak (scripts/fuzz); hardening_wait ends it.

hardening_logs=${TMPDIR:-/tmp}/cicd-hardening.$$
hardening_pids=()

hardening_build_start() {
  mkdir -p "$hardening_logs"
  local jobs replays
  jobs=$(nproc)
  # The unit tier includes FuzzReplay.<name>: every fuzz corpus run once through the target.
  replays=$(cd test/fuzz && ls -- *_fuzz.cpp | sed 's/^/cicd_/; s/\.cpp$/_replay/' | tr '\n' ' ')
  # Job control on: each background job gets a process group of its own, which
  # hardening_stop ends whole (cmake, ninja and the compilers under it).
  set -m
  (
    set -e
    cmake --preset asan >/dev/null
    nice -n 19 cmake --build build-asan -j "$jobs" --target cicd_unit_tests cicd_integration_tests $replays
  ) >"$hardening_logs/asan.log" 2>&1 &
  hardening_pids+=("asan:$!")
  (
    set -e
    cmake --preset tsan >/dev/null
    nice -n 19 cmake --build build-tsan -j "$jobs" --target cicd_unit_tests cicd_integration_tests $replays
  ) >"$hardening_logs/tsan.log" 2>&1 &
  hardening_pids+=("tsan:$!")
  CICD_BUILD_DIR=${CICD_BUILD_DIR:-build} nice -n 19 scripts/tidy >"$hardening_logs/tidy.log" 2>&1 &
  hardening_pids+=("tidy:$!")
  # Builds build-fuzz (clang) and replays every corpus once.
  nice -n 19 scripts/fuzz replay >"$hardening_logs/fuzz-build.log" 2>&1 &
  hardening_pids+=("fuzz-build:$!")
  set +m
}

hardening_wait() {
  local entry name pid failed=0
  for entry in "${hardening_pids[@]}"; do
    name=${entry%%:*}
    pid=${entry#*:}
    if ! wait "$pid"; then
      echo "hardening: $name failed:" >&2
      tail -n 60 "$hardening_logs/$name.log" >&2
      failed=1
    else
      echo "hardening: $name done ($(tail -n 1 "$hardening_logs/$name.log"))"
    fi
  done
  hardening_pids=()
  return "$failed"
}

hardening_test() {
  local status=0
  # Both trees run the unit and integration tests. The test that measures the peak RSS of a
  # large stream is left to the plain build: the sanitizers' shadow memory is what it would
  # measure here.
  local tests=(--output-on-failure --no-tests=error --timeout 600 -j 2
    -L '^(unit|integration)$' -E 'StreamsALargeOutputWithBoundedMemory')
  # Leaks count as reports too (LeakSanitizer is part of ASan here), but for the few inside
  # Debian's libraries that test/sanitizers/lsan.supp lists.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1 \
    LSAN_OPTIONS=suppressions=$(pwd)/test/sanitizers/lsan.supp:print_suppressions=0 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan "${tests[@]}" || status=1
  # Data races and lock-order inversions. The integration tests are where the threads are (the
  # HTTP server, the queues, the stores, the agent loop); test/sanitizers/tsan.supp says why
  # each entry in it is there.
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$(pwd)/test/sanitizers/tsan.supp \
    ctest --test-dir build-tsan "${tests[@]}" || status=1
  return "$status"
}

hardening_soak() {
  # A clean environment: the soak starts services of its own, on ports of its own, and must
  # not take the ones scripts/test exported for the tests.
  env -i PATH="$PATH" HOME="${HOME:-/root}" CI=true \
    CICD_BIN="${CICD_BUILD_DIR:-build}/roles/cicd" benchmarks/soak.sh --duration 60 --no-results
}

hardening_fuzz_start() {
  set -m
  scripts/fuzz 60 >"$hardening_logs/fuzz.log" 2>&1 &
  hardening_pids+=("fuzz:$!")
  set +m
}

# Ends what hardening_build_start left running (scripts/test's exit trap).
hardening_stop() {
  local entry
  for entry in "${hardening_pids[@]}"; do
    kill -- "-${entry#*:}" 2>/dev/null
  done
  rm -rf "$hardening_logs"
}
