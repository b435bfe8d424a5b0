#!/usr/bin/env bash
# Issue #20's throughput figure (docs/scaling.md): the same N pictures (default 200, crops made
# by scripts/make_batch_pictures.py) encoded and decoded
#   - one picture at a time on one core: a batch with --threads 1 under 'taskset -c 0',
#   - as a batch on two cores: --threads 2 under 'taskset -c 0,1',
# best of R runs each (default 5); prints pictures per second and the ratio (the goal: ≥ 1.8).
# Also, for reference, one gic-ref process per picture on one core (a shell loop).
# A PyTorch training run (python/gicv2/train.py) on this machine is paused (SIGSTOP) while timing
# and always resumed (SIGCONT), whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${GIC_BATCH_PICTURES:-200}
repeats=${GIC_REPEATS:-5}
model=${GIC_MODEL:-models/gic-v2.gicw}
swift build -c release --product gic-ref >&2
bin="$(swift build -c release --show-bin-path)/gic-ref"
work=$(mktemp -d "${TMPDIR:-/tmp}/gic-batch-throughput.XXXXXX")
paused=$(pgrep -f gicv2/train.py || true)
resume() {
  [ -n "$paused" ] && kill -CONT $paused 2>/dev/null || true
  rm -rf "$work"
}
trap resume EXIT
trap 'exit 130' INT TERM
python3 scripts/make_batch_pictures.py "$work/pictures" "$count" >&2
[ -n "$paused" ] && { kill -STOP $paused; echo "paused training process(es) $paused" >&2; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"

# best CPUS THREADS VERB INPUT: the shortest of $repeats runs, in seconds.
best() {
  local cpus=$1 threads=$2 verb=$3 input=$4 b="" t s
  for _ in $(seq "$repeats"); do
    rm -rf "$work/out"
    s=$(date +%s.%N)
    taskset -c "$cpus" "$bin" "$verb" "$input" -m "$model" -o "$work/out" --threads "$threads" -q
    t=$(python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$s" "$(date +%s.%N)")
    b=$(python3 -c "import sys; print(min(float(x) for x in sys.argv[1:] if x))" "$t" $b)
  done
  echo "$b"
}

report() {
  local verb=$1 input=$2 one two
  one=$(best 0 1 "$verb" "$input")
  two=$(best 0,1 2 "$verb" "$input")
  python3 -c "
import sys
n, one, two = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
print(f'{sys.argv[4]}: 1 core, one picture at a time: {one:.3f} s ({n / one:.1f} pictures/s); '
      f'2 cores, --threads 2: {two:.3f} s ({n / two:.1f} pictures/s); ratio {one / two:.2f}')
" "$count" "$one" "$two" "$verb"
}

report encode "$work/pictures"
"$bin" encode "$work/pictures" -m "$model" -o "$work/streams" -q
report decode "$work/streams"

# Reference: one process per picture (model loaded each time), one core.
s=$(date +%s.%N)
find "$work/pictures" -name '*.png' | sort | while read -r p; do
  taskset -c 0 "$bin" encode "$p" -m "$model" -o "$work/single.gic" --threads 1 -q
done
python3 -c "
import sys
n, t = int(sys.argv[1]), float(sys.argv[3]) - float(sys.argv[2])
print(f'encode, one gic-ref process per picture, 1 core: {t:.3f} s ({n / t:.1f} pictures/s)')
" "$count" "$s" "$(date +%s.%N)"
