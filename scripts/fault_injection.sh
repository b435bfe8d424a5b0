#!/usr/bin/env bash
# Issue #17's fault cases, end to end (docs/robustness.md §5): each must end with exit status 1
# and one clean 'error:' line (no abort, no hang), leave no temporary file, and leave its input
# (and any device) untouched. Prints one line per case and exits 1 if any case misbehaves.
#
#   GIC_BIN   folder with gic-ref and gic-convert (default: swift build's debug folder, built)
#
# Devices are never written: the device case uses a scratch character node made in the work
# folder (root only; same numbers as /dev/null), never a node under /dev.
set -uo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${GIC_BIN:-}" ]]; then
  swift build --product gic-ref >&2 && swift build --product gic-convert >&2 || exit 1
  GIC_BIN=$(swift build --show-bin-path)
fi
ref="$GIC_BIN/gic-ref" convert="$GIC_BIN/gic-convert" root=$PWD
work=$(mktemp -d "${TMPDIR:-/tmp}/gic-faults.XXXXXX")
trap 'rm -rf "$work"' EXIT
model=Tests/ReferenceCodecTests/Fixtures/codec/mbt2018-mean-N16-M24.gicw
picture=data/images/test-768x512.png
failures=0

# expect NAME WANT -- COMMAND…: runs COMMAND in $work (10 s limit), checks status 1, exactly
# one 'error:' line containing WANT, no temporary file left.
expect() {
  local name=$1 want=$2 start end status err
  shift 3
  start=$(date +%s.%N)
  (cd "$work" && timeout 60 "$@" >"$work/out.txt" 2>"$work/err.txt")
  status=$?
  end=$(date +%s.%N)
  err=$(grep -c '^error:' "$work/err.txt")
  local line
  line=$(grep -m1 '^error:' "$work/err.txt" | cut -c1-150)
  local leftovers
  leftovers=$(find "$work" -name '.*.tmp-*' | wc -l)
  local seconds
  seconds=$(python3 -c "print(f'{$end - $start:.2f}')")
  if [[ $status == 1 && $err == 1 && $line == *"$want"* && $leftovers == 0 ]]; then
    printf 'ok    %-34s %6s s  %s\n' "$name" "$seconds" "$line"
  else
    printf 'FAIL  %-34s %6s s  status %s, %s error lines, %s temporary files: %s\n' \
      "$name" "$seconds" "$status" "$err" "$leftovers" "$(head -c 300 "$work/err.txt")"
    failures=$((failures + 1))
  fi
}
check() { # check NAME CONDITION-COMMAND…
  local name=$1
  shift
  if "$@"; then printf 'ok    %s\n' "$name"; else printf 'FAIL  %s\n' "$name"; failures=$((failures + 1)); fi
}
sha() { sha256sum "$1" | cut -d' ' -f1; }

# 1. The crafted wide model (g_s widened to 65,536 channels): decode and verify end cleanly.
python3 scripts/make_wide_model.py "$model" "$work/wide.gicw"
"$ref" encode "$picture" -m "$work/wide.gicw" -o "$work/wide.gic" -q
expect "wide model: decode" "would need 48.0 GiB" -- "$ref" decode wide.gic -m wide.gicw -o w.png
check "wide model: no output picture" test ! -e "$work/w.png"
mkdir -p "$work/set/models" "$work/set/streams"
cp "$work/wide.gicw" "$work/set/models/"
cp "$work/wide.gic" "$work/set/streams/"
model_digest=$("$ref" model "$work/wide.gicw" | sed -n 's/.*model digest \([0-9a-f]*\).*/\1/p')
python3 - "$work/set" "$model_digest" <<'PY'
import hashlib, json, sys
root, model_digest = sys.argv[1], sys.argv[2]
digest = lambda p: hashlib.sha256(open(f"{root}/{p}", "rb").read()).hexdigest()
vector = {"bitstream": "streams/wide.gic", "bitstream_sha256": digest("streams/wide.gic"),
          "decoded_bytes": 768 * 512 * 3, "decoded_rgb_md5": "0" * 32,
          "decoded_rgb_sha256": "0" * 64, "id": "wide", "model": "models/wide.gicw",
          "model_digest": model_digest,
          "parameters": {"grayscale": False, "height": 512, "profile": "mbt2018-mean",
                         "rate_index": 0, "steps": 0, "width": 768},
          "source": "images/none.png"}
entry = {"file": "models/wide.gicw", "model_digest": model_digest, "profile": "mbt2018-mean",
         "sha256": digest("models/wide.gicw")}
json.dump({"bitstream_version": "1.0", "format": "gic-conformance", "version": 1,
           "models": [entry], "vectors": [vector]}, open(f"{root}/manifest.json", "w"))
PY
expect "wide model: verify" "1 of 1 vectors failed" -- "$ref" verify set --threads 1

# 2. Outputs.
cp Tests/ReferenceCodecTests/Fixtures/codec/rgb-77x45.png "$work/a.png"
before=$(sha "$work/a.png")
expect "output is the input" "is also an input" -- "$ref" encode a.png -m "$PWD/$model" -o a.png
check "output is the input: input unchanged" test "$(sha "$work/a.png")" = "$before"
mkfifo "$work/fifo.gic"
expect "output is a FIFO" "is a FIFO" -- "$ref" encode a.png -m "$PWD/$model" -o fifo.gic
check "output is a FIFO: still a FIFO" test -p "$work/fifo.gic"
if [[ $(id -u) == 0 ]]; then
  mknod "$work/null" c 1 3
  expect "output is a device (scratch node)" "is a character device" -- \
    "$ref" encode a.png -m "$PWD/$model" -o null
  check "output is a device: still a device" test -c "$work/null"
else
  echo "skip  output is a device (needs root for a scratch node)"
fi
printf x >"$work/kept.gic" && chmod 600 "$work/kept.gic"
(cd "$work" && "$ref" encode a.png -m "$root/$model" -o kept.gic -q)
check "replaced file keeps mode 600" test "$(stat -c %a "$work/kept.gic")" = 600
long=$(printf 'n%.0s' $(seq 251)).gic
(cd "$work" && "$ref" encode a.png -m "$root/$model" -o "$long" -q)
check "255-byte output name" test -s "$work/$long"

# 3. Signals during a conversion: the temporary file is removed, the exit says which signal.
python3 -c "
import numpy as np, sys
np.savez(sys.argv[1], **{f't{i}': np.zeros(1 << 22, np.float32) for i in range(6)})" "$work/big.npz"
for sig in INT TERM HUP; do
  (cd "$work" && exec "$convert" big.npz -o big.gicw --profile raw) &
  pid=$!
  for _ in $(seq 2000); do
    [[ -n $(find "$work" -name '.big.gicw.tmp-*') ]] && break
    sleep 0.005
  done
  kill -s "$sig" "$pid"
  { wait "$pid"; } 2>/dev/null
  status=$?
  left=$(find "$work" -name '.big.gicw.tmp-*' | wc -l)
  check "SIG$sig during convert: status $status, no temporary file" test "$left" = 0 -a ! -e "$work/big.gicw"
  rm -f "$work/big.gicw"
done

# 4. Inputs that would hang or exhaust memory.
mkfifo "$work/in.png" "$work/in.npz" "$work/in.gic"
expect "FIFO input: encode" "not a regular file" -- "$ref" encode in.png -m "$PWD/$model" -o x.gic
expect "FIFO input: decode" "not a regular file" -- "$ref" decode in.gic -m "$PWD/$model"
expect "FIFO input: convert" "not a regular file" -- "$convert" in.npz -o x.gicw
expect "FIFO input: inspect" "not a regular file" -- "$convert" inspect in.npz
python3 - "$work/bomb.npz" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    with z.open("zeros.npy", "w", force_zip64=True) as f:
        header = b"\x93NUMPY\x01\x00" + b"v\x00"
        f.write(header + b"{'descr': '<f4', 'fortran_order': False, 'shape': (1610612736,), }".ljust(117) + b"\n")
        chunk = bytes(64 << 20)
        for _ in range(96):
            f.write(chunk)
PY
echo "      (zip bomb: $(stat -c %s "$work/bomb.npz") bytes, 6 GiB of zeros)"
expect "zip bomb: inspect" "over the limit" -- "$convert" inspect bomb.npz
expect "zip bomb: convert" "over the limit" -- "$convert" bomb.npz -o bomb.gicw
# A 1.5 GiB member within both caps: inspect hashes it as it inflates, never holding it whole.
python3 - "$work/large.npz" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    with z.open("zeros.npy", "w", force_zip64=True) as f:
        header = b"\x93NUMPY\x01\x00" + b"v\x00"
        f.write(header + b"{'descr': '<f4', 'fortran_order': False, 'shape': (402653184,), }".ljust(117) + b"\n")
        chunk = bytes(64 << 20)
        for _ in range(24):
            f.write(chunk)
PY
zeros=$(python3 -c "
import hashlib
h = hashlib.sha256()
for _ in range(24): h.update(bytes(64 << 20))
print(h.hexdigest())")
/usr/bin/time -f %M -o "$work/rss.txt" "$convert" inspect "$work/large.npz" --json >"$work/large.json"
rss=$(cat "$work/rss.txt")
check "1.5 GiB member: inspect streams it (peak RSS $rss KiB)" test "$rss" -lt 262144
check "1.5 GiB member: its SHA-256" grep -q "\"sha256\" : \"$zeros\"" "$work/large.json"
# The same member converted (raw profile): written to the container in pieces as it inflates,
# never held whole. Under a 200 MiB RLIMIT_DATA (ulimit -d: the heap, anonymous mappings and
# thread stacks, not mapped files) holding it whole fails, so the limit is the check; the
# largest RssAnon seen (sampled every 20 ms) is shown beside the peak RSS, which also counts
# the output's file pages that gic-convert's own check maps and reads once it is written.
(
  ulimit -d 204800
  exec /usr/bin/time -f %M -o "$work/rss.txt" "$convert" "$work/large.npz" \
    -o "$work/large.gicw" --profile raw -q
) 2>"$work/err.txt" &
pid=$!
anon=0
while kill -0 "$pid" 2>/dev/null; do
  for child in $(cat "/proc/$pid/task/$pid/children" 2>/dev/null); do
    kib=$(awk '/^RssAnon:/ {print $2}' "/proc/$child/status" 2>/dev/null)
    [[ -n $kib && $kib -gt $anon ]] && anon=$kib
  done
  sleep 0.02
done
wait "$pid"
status=$?
rss=$(tail -1 "$work/rss.txt")
check "1.5 GiB member: convert streams it within 200 MiB (status $status, largest RssAnon\
 $anon KiB, peak RSS $rss KiB)" test "$status" = 0 -a "$anon" -lt 204800
"$convert" inspect "$work/large.gicw" --json >"$work/large-gicw.json" 2>&1
check "1.5 GiB member: converted tensor's SHA-256" \
  grep -q "\"sha256\" : \"$zeros\"" "$work/large-gicw.json"
rm -f "$work/large.gicw"
python3 - "$work/huge.tar" <<'PY'
import io, sys, tarfile
buffer = io.BytesIO()
with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as t:
    info = tarfile.TarInfo("manifest.json"); info.size = 1
    t.addfile(info, io.BytesIO(b"{"))
data = bytearray(buffer.getvalue())
data[124:136] = b"%011o\0" % (3 << 30)
data[148:156] = b"        "
data[148:156] = b"%06o\0 " % sum(data[:512])
open(sys.argv[1], "wb").write(data)
PY
expect "tar member declares 3 GiB" "more than the whole archive" -- "$ref" verify huge.tar
mkdir -p "$work/escape/models"
cp "$work/set/manifest.json" "$work/escape/"
cp -r "$work/set/streams" "$work/escape/"
ln -s "$work/wide.gicw" "$work/escape/models/wide.gicw"
expect "set: symlink out of the set" "1 of 1 vectors failed" -- "$ref" verify escape --threads 1
check "set: the vector names the escape" grep -q "leads outside the set" "$work/out.txt"
mkdir -p "$work/sparse" && truncate -s 3G "$work/sparse/manifest.json"
expect "set: sparse 3 GiB manifest.json" "more than the limit of 16777216" -- "$ref" verify sparse

# 5. --target-bpp inf picks the top rate index.
index=$("$ref" encode "$work/a.png" -m "$PWD/conformance/models/gic-v1.gicw" -o "$work/top.gic" \
  --target-bpp inf --json | python3 -c "import json, sys; print(json.load(sys.stdin)['rate_index'])")
check "--target-bpp inf: rate index $index" test "$index" = 255

# 6. An 8192 × 8192 picture decodes within 1 GB (transforms in bands). Minutes, so opt-in:
#    GIC_LARGE=1 (use a release GIC_BIN).
if [[ -n "${GIC_LARGE:-}" ]]; then
  python3 - "$picture" "$work/large.png" <<'PY'
import sys
from PIL import Image
tile = Image.open(sys.argv[1]).convert("RGB")
big = Image.new("RGB", (8192, 8192))
for y in range(0, 8192, tile.height):
    for x in range(0, 8192, tile.width):
        big.paste(tile, (x, y))
big.save(sys.argv[2])
PY
  large_model=$PWD/conformance/models/mbt2018-mean-N64-M96.gicw
  "$ref" encode "$work/large.png" -m "$large_model" -o "$work/large.gic" -q
  /usr/bin/time -f %M -o "$work/rss.txt" "$ref" decode "$work/large.gic" -m "$large_model" \
    -o "$work/large-out.png" -q
  rss=$(cat "$work/rss.txt")
  check "8192x8192 decode within 1 GB (peak RSS $rss KiB)" test "$rss" -lt 976563
fi

echo "$failures case(s) failed"
[[ $failures == 0 ]]
