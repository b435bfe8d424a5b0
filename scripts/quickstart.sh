#!/usr/bin/env bash
# The main job on the embedded default model: build; convert the shipped gic-v1 export
# (models/gic-v1.npz) into an integer codec model and check it against the shipped
# models/gic-v1.gicw; encode a shipped photograph at three rates and decode it with the
# 2-step reverse process; print rate, PSNR and times. Then the same for the shipped CompressAI
# mbt2018-mean model; and verify the published conformance vectors.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh

echo "== building (release)" >&2
swift build -c release --product gic-convert >&2
swift build -c release --product gic-ref >&2
bin=$(swift build -c release --show-bin-path)

image=${GIC_IMAGE:-data/images/test-768x512.png}
threads=${GIC_THREADS:-$(nproc)}
mkdir -p out

echo "== converting models/gic-v1.npz (calibrating on the calibration split of data/images)" >&2
"$bin/gic-convert" models/gic-v1.npz -o out/gic-v1.gicw
if cmp -s out/gic-v1.gicw models/gic-v1.gicw; then
  echo "out/gic-v1.gicw is byte-identical to the shipped models/gic-v1.gicw"
else
  echo "note: out/gic-v1.gicw differs from models/gic-v1.gicw (another platform's libm can round a calibration figure differently); using the shipped model" >&2
fi
"$bin/gic-ref" model models/gic-v1.gicw
for rate in 0.2 0.5 0.9; do
  echo "== gic-v1: encoding $image at --rate $rate, 2 reverse steps, noise seed 1" >&2
  "$bin/gic-ref" encode "$image" -m models/gic-v1.gicw -o out/picture-$rate.gic --rate "$rate" \
    --steps 2 --seed 1 --threads "$threads"
  "$bin/gic-ref" decode out/picture-$rate.gic -m models/gic-v1.gicw -o out/picture-$rate.png \
    --threads "$threads"
  echo "PSNR of out/picture-$rate.png: $("$bin/gic-ref" psnr "$image" out/picture-$rate.png)"
done

model=models/mbt2018-mean-N64-M96.npz
echo "== CompressAI mbt2018-mean: converting $model" >&2
"$bin/gic-convert" "$model" -o out/mbt2018-mean-N64-M96.gicw
"$bin/gic-ref" encode "$image" -m out/mbt2018-mean-N64-M96.gicw -o out/picture-mbt.gic \
  --threads "$threads"
"$bin/gic-ref" decode out/picture-mbt.gic -m out/mbt2018-mean-N64-M96.gicw \
  -o out/picture-mbt.png --threads "$threads"
echo "PSNR of out/picture-mbt.png: $("$bin/gic-ref" psnr "$image" out/picture-mbt.png)"

echo "== verifying the published conformance vectors (conformance/, spec/conformance.md)" >&2
"$bin/gic-ref" verify conformance --threads "$threads" | tail -1
