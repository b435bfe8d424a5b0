#!/usr/bin/env bash
# The main job on the embedded default model: build; convert the shipped gic-v2 export
# (models/gic-v2.npz) into an integer codec model and check it against the shipped
# models/gic-v2.gicw; encode a shipped photograph at about 0.1, 0.3 and 0.8 bpp and decode it
# with the 2-step reverse process and the sampler's noise; print rate, PSNR and times. Then the same for the shipped CompressAI
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

# gic-v2 is calibrated on its training photographs, which scripts/fetch_photos.sh takes from
# Debian packages (apt-get download; about 25 s after the download). Without them (no apt
# access) the conversion is skipped and the shipped model used.
[ -d data/photos/train ] || bash scripts/fetch_photos.sh >&2 \
  || echo "note: scripts/fetch_photos.sh failed; the conversion check is skipped" >&2
if [ -d data/photos/train ]; then
  echo "== converting models/gic-v2.npz (calibrating on data/photos/train, 3–5 minutes)" >&2
  # --no-provenance: compared byte for byte with the shipped model, released without it.
  "$bin/gic-convert" models/gic-v2.npz -o out/gic-v2.gicw --no-provenance \
    --calibration data/photos/train
  if cmp -s out/gic-v2.gicw models/gic-v2.gicw; then
    echo "out/gic-v2.gicw is byte-identical to the shipped models/gic-v2.gicw"
  else
    echo "note: out/gic-v2.gicw differs from models/gic-v2.gicw (another platform's libm can round a calibration figure differently); using the shipped model" >&2
  fi
fi
"$bin/gic-ref" model models/gic-v2.gicw
for bpp in 0.1 0.3 0.8; do
  echo "== gic-v2: encoding $image at --target-bpp $bpp, 2 reverse steps, noise seed 1" >&2
  "$bin/gic-ref" encode "$image" -m models/gic-v2.gicw -o out/picture-$bpp.gic --target-bpp "$bpp" \
    --steps 2 --seed 1 --threads "$threads"
  "$bin/gic-ref" decode out/picture-$bpp.gic -m models/gic-v2.gicw -o out/picture-$bpp.png \
    --threads "$threads"
  echo "PSNR of out/picture-$bpp.png: $("$bin/gic-ref" psnr "$image" out/picture-$bpp.png)"
done
# the detail stages (spec/bitstream.md 7.7, 7.6, 7.5): per 32x32 block, a mean colour correction
# interpolated smoothly, signed gains of three bands that restore what the decoded picture has
# too weakly and remove what it has too strongly, then luma noise of the band energy still
# missing (bitstream 1.3; docs/results-gicv2.md)
echo "== gic-v2: encoding $image at --target-bpp 0.1, 2 reverse steps, no sampler noise, --detail on" >&2
"$bin/gic-ref" encode "$image" -m models/gic-v2.gicw -o out/picture-0.1-detail.gic --target-bpp 0.1 \
  --steps 2 --detail on --threads "$threads"
"$bin/gic-ref" decode out/picture-0.1-detail.gic -m models/gic-v2.gicw -o out/picture-0.1-detail.png \
  --threads "$threads"
echo "PSNR of out/picture-0.1-detail.png: $("$bin/gic-ref" psnr "$image" out/picture-0.1-detail.png)"

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
"$bin/gic-ref" verify conformance/gic-v2 --threads "$threads" | tail -1
