#!/usr/bin/env bash
# The main job on the embedded default model: build, convert the shipped trained CompressAI
# mbt2018-mean export into an integer codec model, encode and decode a shipped photograph, and
# print the rate, the PSNR and the times.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh

echo "== building (release)" >&2
swift build -c release --product gic-convert >&2
swift build -c release --product gic-ref >&2
bin=$(swift build -c release --show-bin-path)

model=${GIC_MODEL:-models/mbt2018-mean-N64-M96.npz}
image=${GIC_IMAGE:-data/images/test-768x512.png}
threads=${GIC_THREADS:-$(nproc)}
mkdir -p out
name=$(basename "$model" .npz)
echo "== converting $model (calibrating on the calibration split of data/images)" >&2
"$bin/gic-convert" "$model" -o "out/$name.gicw"
"$bin/gic-ref" model "out/$name.gicw"
echo "== encoding $image" >&2
"$bin/gic-ref" encode "$image" -m "out/$name.gicw" -o out/picture.gic --threads "$threads"
"$bin/gic-ref" info out/picture.gic
echo "== decoding" >&2
"$bin/gic-ref" decode out/picture.gic -m "out/$name.gicw" -o out/picture.png --threads "$threads"
echo "== quality" >&2
echo "PSNR of out/picture.png against $image: $("$bin/gic-ref" psnr "$image" out/picture.png)"
