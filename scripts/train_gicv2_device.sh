#!/usr/bin/env bash
# The one prepared script for a lent GPU machine (no network there; torch must be importable,
# the bundle travels in out/ via the device tool's `carry`). Trains for $MINUTES (default 8) from
# the committed checkpoint and writes what must come back to $OUT: the committed-form checkpoint
# (models/gic-v2.pt), losses.csv and losses.png. Commit models/gic-v2.pt afterwards.
#   run(command="bash scripts/train_gicv2_device.sh", carry=["out/gicv2-bundle.npz"], timeout_s=600)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-out/device}"
mkdir -p "$OUT"
python3 python/gicv2/train.py --device cuda --batch 16 --crop 256 --minutes "${MINUTES:-8}" \
  --out-dir "$OUT/run" --save-every 2 --log-every 100
python3 python/gicv2/train.py --out-dir "$OUT/run" --export-checkpoint "$OUT/gic-v2.pt"
cp "$OUT/run/losses.csv" "$OUT/run/losses.png" "$OUT/"
