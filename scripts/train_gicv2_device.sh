#!/usr/bin/env bash
# The one prepared script for a lent GPU machine (no network there; torch must be importable,
# the bundle travels in out/ via the device tool's `carry`). Trains for $MINUTES (default 8) from
# the committed checkpoint (after a short discriminator warm-up) and writes what must come back to $OUT: the committed-form checkpoint
# (models/gic-v2.pt), losses.csv and losses.png. Commit models/gic-v2.pt afterwards.
#   run(command="bash scripts/train_gicv2_device.sh", carry=["out/gicv2-bundle.npz"], timeout_s=600)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-out/device}"
mkdir -p "$OUT"
# The discriminator first, alone (every generator parameter frozen), for $D_WARMUP_MINUTES
# (default 1.5; 0 skips it): the committed one is undertrained (hinge loss ~1.9, 2 is chance),
# and on a CPU 20 minutes of D alone took it to 0.23 (docs/results-gicv2.md, "The discriminator
# trained alone"). The second call resumes from the first's $OUT/run/last.pt.
if [ "${D_WARMUP_MINUTES:-1.5}" != 0 ]; then
  python3 python/gicv2/train.py --device cuda --batch 16 --crop 256 \
    --minutes "${D_WARMUP_MINUTES:-1.5}" --out-dir "$OUT/run" --save-every 2 --log-every 100 \
    --freeze g_a.,h_a.,h_s.,entropy_bottleneck.,reverse.,g_s. --swd 0
fi
python3 python/gicv2/train.py --device cuda --batch 16 --crop 256 --minutes "${MINUTES:-8}" \
  --out-dir "$OUT/run" --save-every 2 --log-every 100
python3 python/gicv2/train.py --out-dir "$OUT/run" --export-checkpoint "$OUT/gic-v2.pt"
cp "$OUT/run/losses.csv" "$OUT/run/losses.png" "$OUT/"
