#!/usr/bin/env bash
# AVX-512 VNNI vs AVX2 (docs/benchmarks.md, "Kernel paths: AVX-512 VNNI vs AVX2"):
#  1. the kernel microbenchmark Tests/CKernelsHarness/bench.c (convolution and inverse GDN on the
#     decoder layer shapes of mbt2018-mean N=128 M=192 and gic-v2 N=48 M=64 at 768×512, one thread);
#  2. whole `gic-ref decode` of two 768×480 streams (gic-v2 and CompressAI mbt2018-mean N64 M96,
#     encoded from data/photos/test/dune.png) with GIC_KERNELS=avx2 and with the default path,
#     interleaved run by run, at 1 and 2 threads; median wall time of `runs` fresh processes.
# Every decode's PNG is compared with the AVX2 one (the paths are bit-exact).
#
# Usage: scripts/bench_kernels.sh [reps] [runs] [gic-ref] [model.gicw]
#   defaults 9, 11, .build/release/gic-ref; model.gicw: a further model (e.g. a converted
#   CompressAI mbt2018-mean N=128 M=192) whose decode of the same picture is timed too.
set -euo pipefail
cd "$(dirname "$0")/.."
reps="${1:-9}"
runs="${2:-11}"
bin="${3:-.build/release/gic-ref}"
extra="${4:-}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cc=cc
if command -v clang >/dev/null 2>&1; then cc=clang; fi
"$cc" -O2 -std=gnu11 -ISources/CKernels/include Sources/CKernels/*.c Sources/CKernels/*/*.c \
  Tests/CKernelsHarness/bench.c -o "$work/bench"
echo "== kernel microbenchmark ($cc -O2, $reps interleaved reps)"
"$work/bench" "$reps" avx2 avx512vnni

[ -x "$bin" ] || { echo "bench_kernels: no $bin (swift build -c release --product gic-ref)" >&2; exit 1; }
image=data/photos/test/dune.png
"$bin" encode "$image" -m models/gic-v2.gicw -o "$work/v2.gic" --rate 0.5 --steps 2 --seed 1 >/dev/null
"$bin" encode "$image" -m conformance/models/mbt2018-mean-N64-M96.gicw -o "$work/mbt.gic" >/dev/null
streams=(v2 mbt)
if [ -n "$extra" ]; then
  "$bin" encode "$image" -m "$extra" -o "$work/extra.gic" >/dev/null
  streams+=(extra)
fi

now() { date +%s.%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for stream in "${streams[@]}"; do
  model=models/gic-v2.gicw
  [ "$stream" = mbt ] && model=conformance/models/mbt2018-mean-N64-M96.gicw
  [ "$stream" = extra ] && model=$extra
  for threads in 1 2; do
    : > "$work/t-avx2"
    : > "$work/t-default"
    for ((r = 0; r < runs; r++)); do
      for side in avx2 default; do
        if [ "$side" = avx2 ]; then export GIC_KERNELS=avx2; else unset GIC_KERNELS; fi
        t0=$(now)
        "$bin" decode "$work/$stream.gic" -m "$model" -o "$work/$stream-$side.png" \
          --threads "$threads" >/dev/null
        t1=$(now)
        awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }' >> "$work/t-$side"
      done
      unset GIC_KERNELS
      cmp -s "$work/$stream-avx2.png" "$work/$stream-default.png" \
        || { echo "bench_kernels: $stream: the paths' PNGs differ" >&2; exit 1; }
    done
    a=$(median < "$work/t-avx2")
    d=$(median < "$work/t-default")
    awk -v s="$stream" -v t="$threads" -v a="$a" -v d="$d" -v n="$runs" 'BEGIN {
      printf "decode %-5s %d thread(s): avx2 %.3f s, default %.3f s, avx2/default %.2fx (median of %d)\n",
        s, t, a, d, a / d, n }'
  done
done
