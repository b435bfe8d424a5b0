#!/usr/bin/env bash
# Builds the libFuzzer targets of FuzzTesting/ (AddressSanitizer + libFuzzer) and runs each for a
# given time or number of executions, with its seed corpus and dictionary. Fails if any target
# crashes, leaks, times out or runs out of memory; the input that did it is kept.
#
#   scripts/fuzz.sh [--seconds N | --runs N] [--jobs N] [--debug] [--replay] [target…]
#
# Targets: npy npz safetensors pytorch weightfile codecmodel bitstream png manifest (default: all).
#   --seconds N   fuzz each target for N seconds (default $FUZZ_SECONDS, else 60)
#   --runs N      stop each target after N executions instead (or $FUZZ_RUNS); with --jobs,
#                 N in all, shared evenly between the jobs
#   --jobs N      run N libFuzzer processes per target (-jobs=N -workers=N), sharing one
#                 working corpus; the summary adds up their executions (default 1)
#   --debug       build -c debug instead of release (the checks are the same: gic uses
#                 precondition, never assert, and -O keeps bounds and overflow checks)
#   --replay      only run every committed seed once (no mutation); quick, for CI
# Environment: FUZZ_SECONDS, FUZZ_RUNS, FUZZ_OUT (logs; default .build-fuzz/runs/<date>),
#   FUZZ_TIMEOUT (seconds per input, default 10), FUZZ_RSS_MB (default 2048), FUZZ_ARGS (more
#   libFuzzer flags).
#
# The working corpus grows in .build-fuzz/corpus/<target> and is reused by the next run; the
# committed seeds in FuzzTesting/Corpus/<target> are read, never written. Large seeds (the shipped
# models, big NumPy files) are copied into .build-fuzz/seeds/<target> at run time so the
# committed corpora stay small. Crashing inputs land in <FUZZ_OUT>/artifacts/; turn each into a
# regression test under Tests/<Target>Tests/Regression/ (see docs/robustness.md).
set -euo pipefail
cd "$(dirname "$0")/.."

all_targets=(npy npz safetensors pytorch weightfile codecmodel bitstream png manifest)
seconds="${FUZZ_SECONDS:-60}"
runs="${FUZZ_RUNS:-}"
config=release
replay=0
jobs=1
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; runs=""; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --debug) config=debug; shift ;;
    --replay) replay=1; shift ;;
    -h|--help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

binary_name() {
  case "$1" in
    npy) echo FuzzNPY ;;
    npz) echo FuzzNPZ ;;
    safetensors) echo FuzzSafetensors ;;
    pytorch) echo FuzzPyTorch ;;
    weightfile) echo FuzzWeightFile ;;
    codecmodel) echo FuzzCodecModel ;;
    bitstream) echo FuzzBitstream ;;
    png) echo FuzzPNG ;;
    manifest) echo FuzzManifest ;;
    *) echo "fuzz.sh: unknown target $1 (known: ${all_targets[*]})" >&2; return 1 ;;
  esac
}
for t in "${targets[@]}"; do binary_name "$t" >/dev/null; done

bash scripts/bootstrap.sh

scratch=.build-fuzz
echo "== building fuzz targets ($config, -sanitize=fuzzer,address)" >&2
swift build -c "$config" --package-path FuzzTesting --scratch-path "$scratch" \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library >&2
bin="$PWD/$scratch/$config"

out="${FUZZ_OUT:-$scratch/runs/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out/artifacts"
out=$(cd "$out" && pwd)

# Seeds too large to commit, copied from the repository at run time.
runtime_seeds() {
  local dir="$PWD/$scratch/seeds/$1"
  rm -rf "$dir"
  mkdir -p "$dir"
  case "$1" in
    npy) cp Tests/ConvertersTests/Fixtures/valid/npy_large_300x301_float32.npy "$dir/" ;;
    npz) cp Tests/ConvertersTests/Fixtures/entropy/*.npz models/example-bmshj2018-hyperprior.npz "$dir/" ;;
    safetensors) cp Tests/ConvertersTests/Fixtures/import/*.safetensors "$dir/" ;;
    pytorch) cp Tests/ConvertersTests/Fixtures/import/*.pth Tests/ConvertersTests/Fixtures/import/*.pth.tar "$dir/" ;;
    codecmodel)
      # The test codec models with their 800 KB Gaussian table made narrow (same records, graphs
      # and tables otherwise): 2.7-5.3x smaller and about twice as fast to load. Without NumPy,
      # the full-size models.
      python3 FuzzTesting/Tools/make_compact_models.py "$dir" \
        Tests/ReferenceCodecTests/Fixtures/codec/*.gicw Tests/ReferenceCodecTests/Fixtures/context/*.gicw \
        2>/dev/null \
        || { echo "fuzz.sh: no NumPy; codecmodel seeds are the full-size test models" >&2
             cp Tests/ReferenceCodecTests/Fixtures/codec/*.gicw Tests/ReferenceCodecTests/Fixtures/context/*.gicw "$dir/"; } ;;
    # weightfile: only the committed seeds (at most 32 KB, every record kind). Container-sized
    # inputs run at ~500/s, small ones at ~5,000/s; codecmodel parses the large ones too.
  esac
  echo "$dir"
}

export SWIFT_BACKTRACE=enable=no
# LeakSanitizer stays on (libFuzzer's -detect_leaks=1); Swift's runtime caches are reachable.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:symbolize=1:detect_stack_use_after_return=1}"

failed=()
summary="$out/summary.tsv"
printf 'target\texecs\texec_per_s\tcov\tft\tcorpus_files\tpeak_rss_mb\tseconds\tstatus\n' >"$summary"
for t in "${targets[@]}"; do
  name=$(binary_name "$t")
  log="$out/$t.log"
  corpus="$PWD/$scratch/corpus/$t"
  mkdir -p "$corpus"
  seeds="$PWD/FuzzTesting/Corpus/$t"
  dict="$PWD/FuzzTesting/Dictionaries/$t.dict"
  if [ "$t" = codecmodel ]; then
    seeds="$PWD/FuzzTesting/Corpus/weightfile"
    dict="$PWD/FuzzTesting/Dictionaries/weightfile.dict"
  fi
  extra=$(runtime_seeds "$t")
  flags=(
    -dict="$dict"
    -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb="${FUZZ_RSS_MB:-2048}"
    -artifact_prefix="$out/artifacts/$t-" -print_final_stats=1
  )
  # With --jobs, libFuzzer's parent spawns the jobs and each writes fuzz-<i>.log in the current
  # directory: run in $out/<target>.jobs and add the jobs' statistics up.
  jobdir="$out/$t.jobs"
  parallel=()
  if [ "$jobs" -gt 1 ] && [ "$replay" = 0 ]; then
    parallel=(-jobs="$jobs" -workers="$jobs")
    rm -rf "$jobdir"
    mkdir -p "$jobdir"
  else
    jobdir="$PWD"
  fi
  start=$(date +%s)
  set +e
  if [ "$replay" = 1 ]; then
    echo "== $t: replaying $(ls "$seeds" | wc -l) committed seeds" >&2
    # shellcheck disable=SC2086
    "$bin/$name" "${flags[@]}" ${FUZZ_ARGS:-} -runs=0 "$seeds" >"$log" 2>&1
  elif [ -n "$runs" ]; then
    echo "== $t: $runs executions, $jobs job(s) (log $log)" >&2
    # shellcheck disable=SC2086
    (cd "$jobdir" && "$bin/$name" "${flags[@]}" "${parallel[@]}" ${FUZZ_ARGS:-} \
      -runs="$(( (runs + jobs - 1) / jobs ))" "$corpus" "$seeds" "$extra") >"$log" 2>&1
  else
    echo "== $t: $seconds s, $jobs job(s) (log $log)" >&2
    # shellcheck disable=SC2086
    (cd "$jobdir" && "$bin/$name" "${flags[@]}" "${parallel[@]}" ${FUZZ_ARGS:-} \
      -max_total_time="$seconds" "$corpus" "$seeds" "$extra") >"$log" 2>&1
  fi
  status=$?
  set -e
  elapsed=$(( $(date +%s) - start ))
  logs=("$log")
  if [ ${#parallel[@]} -gt 0 ] && compgen -G "$jobdir/fuzz-*.log" >/dev/null; then
    logs=("$jobdir"/fuzz-*.log)
    cat "${logs[@]}" >>"$log"
  fi
  # Adds up (or, for the rest, takes the largest of) the jobs' final statistics.
  sum() { sed -n "s/^stat::$1: *//p" "${logs[@]}" | awk '{ s += $1 } END { if (NR) print s }'; }
  largest() { sed -n "$1" "${logs[@]}" | sort -n | tail -1; }
  execs=$(sum number_of_executed_units)
  rate=$(sum average_exec_per_sec)
  rss=$(largest 's/^stat::peak_rss_mb: *//p')
  cov=$(largest 's/^#[0-9].* cov: \([0-9]*\).*/\1/p')
  ft=$(largest 's/^#[0-9].* ft: \([0-9]*\).*/\1/p')
  corp=$(ls "$corpus" | wc -l)
  verdict=ok
  if [ "$status" -ne 0 ] || ls "$out/artifacts/$t-"* >/dev/null 2>&1; then
    verdict="FAILED (exit $status)"
    failed+=("$t")
    grep -hE '^(==[0-9]+==ERROR|SUMMARY|Fatal error|.*fuzz property failed|artifact_prefix|Test unit written)' "${logs[@]}" | head -8 >&2 || true
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
    "${ft:-?}" "${corp:-?}" "${rss:-?}" "$elapsed" "$verdict" >>"$summary"
  echo "   $t: ${execs:-?} executions, ${rate:-?} exec/s, cov ${cov:-?}, ft ${ft:-?}: $verdict" >&2
done

column -t -s $'\t' "$summary" >&2 || cat "$summary" >&2
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: findings in ${failed[*]}; inputs in $out/artifacts/" >&2
  exit 1
fi
echo "fuzz.sh: no findings; logs in $out" >&2
