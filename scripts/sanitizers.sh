#!/usr/bin/env bash
# Runs the Swift test suites under AddressSanitizer, and the suites that exercise the
# multi-threaded decoder (codec, kernels, conformance) under ThreadSanitizer.
#
#   scripts/sanitizers.sh [asan] [tsan]        (default: both)
#
# Environment: ASAN_SCRATCH (default .build-asan), TSAN_SCRATCH (default .build-tsan),
#   ASAN_FILTER / TSAN_FILTER (swift test --filter regexes; defaults below).
# Results and timings: docs/robustness.md.
set -euo pipefail
cd "$(dirname "$0")/.."

which=("$@")
[ ${#which[@]} -gt 0 ] || which=(asan tsan)
export SWIFT_BACKTRACE=enable=no

for s in "${which[@]}"; do
  case "$s" in
    asan)
      scratch="${ASAN_SCRATCH:-.build-asan}"
      echo "== AddressSanitizer: every suite ($scratch)" >&2
      swift build --build-tests --sanitize=address --scratch-path "$scratch" >&2
      # LeakSanitizer is off: the test runner's and Foundation's process-lifetime caches are
      # reported as leaks at exit; libFuzzer's runs (scripts/fuzz.sh) keep it on per input.
      ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}" \
        swift test --skip-build --sanitize=address --scratch-path "$scratch" \
        ${ASAN_FILTER:+--filter "$ASAN_FILTER"}
      ;;
    tsan)
      scratch="${TSAN_SCRATCH:-.build-tsan}"
      filter="${TSAN_FILTER:-Codec|Kernel|Conformance|Golden}"
      echo "== ThreadSanitizer: $filter ($scratch)" >&2
      swift build --build-tests --sanitize=thread --scratch-path "$scratch" >&2
      TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}" \
        swift test --skip-build --sanitize=thread --scratch-path "$scratch" --filter "$filter"
      ;;
    *) echo "sanitizers.sh: unknown sanitizer $s (asan, tsan)" >&2; exit 2 ;;
  esac
done
echo "sanitizers.sh: no sanitizer reports" >&2
