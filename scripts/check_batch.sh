#!/usr/bin/env bash
# Issue #20's check, end to end (docs/scaling.md): N pictures (default 200, crops of
# data/photos/test/*.png made by scripts/make_batch_pictures.py) encoded
#   1. as one batch (--threads 2),
#   2. as 4 shard processes (--shard i/4) merged with 'gic-ref merge --expect',
#   3. as a batch killed (SIGKILL) once half of its pictures are in the manifest, then rerun,
# must give the same manifest content apart from the timings and the same files; then the one
# batch's streams are decoded as one batch and as 4 shards merged, with the same check.
# GIC_MODEL picks the model (default models/gic-v2.gicw), GIC_BATCH_PICTURES the count.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${GIC_BATCH_PICTURES:-200}
model=${GIC_MODEL:-models/gic-v2.gicw}
swift build -c release --product gic-ref >&2
bin="$(swift build -c release --show-bin-path)/gic-ref"
work=$(mktemp -d "${TMPDIR:-/tmp}/gic-batch-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
python3 scripts/make_batch_pictures.py "$work/pictures" "$count"

now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f} s')" "$1" "$(now)"; }

# run VERB INPUT NAME: one batch, then 4 shard processes merged.
run() {
  local verb=$1 input=$2 name=$3 t pids=()
  t=$(now)
  "$bin" "$verb" "$input" -m "$model" -o "$work/$name-one" --threads 2 -q
  echo "$verb, one batch (--threads 2): $(since "$t")"
  t=$(now)
  for i in 0 1 2 3; do
    "$bin" "$verb" "$input" -m "$model" -o "$work/$name-sharded" --shard "$i/4" --threads 1 -q &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
  "$bin" merge "$work/$name-sharded"/manifest-{0,1,2,3}-of-4.jsonl \
    -o "$work/$name-sharded/manifest.jsonl" --expect "$input"
  echo "$verb, 4 shard processes + merge: $(since "$t")"
}

run encode "$work/pictures" enc

# A batch killed halfway, then resumed.
t=$(now)
"$bin" encode "$work/pictures" -m "$model" -o "$work/enc-resumed" --threads 2 -q &
pid=$!
manifest="$work/enc-resumed/manifest.jsonl"
until [ "$(cat "$manifest" 2>/dev/null | wc -l)" -ge $((count / 2)) ] || ! kill -0 "$pid" 2>/dev/null; do
  sleep 0.005
done
kill -KILL "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
echo "encode killed with $(wc -l < "$manifest") of $count pictures in the manifest"
"$bin" encode "$work/pictures" -m "$model" -o "$work/enc-resumed" --threads 2 --json \
  > "$work/resume.json"
python3 -c "import json, sys; r = json.load(open(sys.argv[1])); print(f\"resumed: {r['skipped']} skipped, {r['coded']} coded, {len(r['failed'])} failed\")" "$work/resume.json"
echo "killed + resumed: $(since "$t")"

run decode "$work/enc-one" dec

python3 - "$work" <<'PY'
import json, os, sys
work = sys.argv[1]

def manifest(folder):
    with open(os.path.join(work, folder, "manifest.jsonl")) as f:
        entries = [json.loads(line) for line in f]
    for e in entries:
        e.pop("seconds")
    return entries

def files(folder):
    out, hidden = {}, 0
    root = os.path.join(work, folder)
    for d, _, names in os.walk(root):
        for n in names:
            if n.startswith("."):
                hidden += 1  # a temporary file left by the killed process
            elif not n.endswith(".jsonl"):
                out[os.path.relpath(os.path.join(d, n), root)] = open(os.path.join(d, n), "rb").read()
    return out, hidden

failures = 0
for kind, runs in [("encode", ["enc-one", "enc-sharded", "enc-resumed"]), ("decode", ["dec-one", "dec-sharded"])]:
    base, (base_files, _) = manifest(runs[0]), files(runs[0])
    errors = sum(1 for e in base if "error" in e)
    for other in runs[1:]:
        same_manifest = manifest(other) == base
        other_files, hidden = files(other)
        same_files = other_files == base_files
        failures += not (same_manifest and same_files)
        print(f"{kind}: {other} vs {runs[0]}: manifest {'same' if same_manifest else 'DIFFERENT'} "
              f"({len(base)} entries, {errors} errors), files {'same' if same_files else 'DIFFERENT'} "
              f"({len(base_files)} files{f', {hidden} temporary files of the killed run' if hidden else ''})")
sys.exit(1 if failures else 0)
PY
echo "batch check passed: one batch, 4 shards merged and a killed-then-resumed run agree"
