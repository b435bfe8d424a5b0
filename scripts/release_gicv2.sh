#!/usr/bin/env bash
# Turns the latest gic-v2 training run into the shipped model:
#   models/gic-v2.pt    the committed checkpoint (model + discriminator; training resumes from it)
#   models/gic-v2.npz   the export gic-convert reads (python/gicv1/export.py), with the noise
#                       scale alpha chosen on training photos (python/gicv2/choose_alpha.py)
#   models/gic-v2.gicw  the integer codec model (gic-convert)
#   conformance/gic-v2/ the gic-v2 conformance vectors (scripts/make_conformance.py --set gic-v2)
# Usage: bash scripts/release_gicv2.sh [RUN_DIR (default out/gicv2/run3)] [ALPHA (default: chosen)]
set -euo pipefail
cd "$(dirname "$0")/.."
run=${1:-out/gicv2/run3}
bin=${BIN_DIR:-$(swift build -c release --show-bin-path)}
python3 python/gicv2/train.py --out-dir "$run" --export-checkpoint models/gic-v2.pt
alpha=${2:-}
if [ -z "$alpha" ]; then
  alpha=$(python3 python/gicv2/choose_alpha.py --checkpoint models/gic-v2.pt --json out/gicv2/alpha.json | tail -1)
  alpha=${alpha#alpha=}
fi
echo "alpha = $alpha" >&2
python3 python/gicv1/export.py --checkpoint models/gic-v2.pt --alpha "$alpha" -o models/gic-v2.npz
# --no-provenance: the model digest covers metadata, and the published conformance vectors and
# bitstreams name this model by digest; a release must reconvert to the same bytes.
# Calibrated on gic-v2's 29 training photographs (scripts/fetch_photos.sh): on the two pictures
# of data/images' calibration split, held-out photographs overflowed g_s's ranges up to 2.2×
# (docs/results-gicv2.md, "The integer decoder's precision").
[ -d data/photos/train ] || bash scripts/fetch_photos.sh
"$bin/gic-convert" models/gic-v2.npz -o models/gic-v2.gicw --no-provenance --calibration data/photos/train
python3 scripts/make_conformance.py --set gic-v2 --bin-dir "$bin"
