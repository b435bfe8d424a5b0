#!/usr/bin/env bash
# The one prepared script for a lent GPU machine (no network there; its python3 holds torch,
# numpy and matplotlib, all train.py needs; the bundle travels in out/ via the device tool's
# `carry`). Trains from the committed checkpoint: the discriminator alone for $D_WARMUP_MINUTES
# (default 1), then everything for $MINUTES (default 7), and writes what must come back to
# $OUT: the committed-form checkpoint (gic-v2.pt), losses.csv and losses.png. Commit
# models/gic-v2.pt afterwards (cp "$OUT/gic-v2.pt" models/).
#   bash scripts/device_slim.sh on      # the tracked tree (~140 MB) is over the tool's 64 MiB
#   run(command="bash scripts/train_gicv2_device.sh", carry=["out/gicv2-bundle.npz"], timeout_s=600)
#   bash scripts/device_slim.sh off
# Sized for the device tool's limits: one command runs at most 600 s and a session has 15
# minutes of device time, the machine's start included, so the two training phases (8 minutes)
# plus two torch start-ups and the export stay well inside one call. DEVICE (default cuda) and
# BATCH / CROP (16 / 256) can be set for a smoke run on a CPU:
#   DEVICE=cpu BATCH=2 CROP=64 MINUTES=0.1 D_WARMUP_MINUTES=0.1 OUT=/tmp/dev bash scripts/train_gicv2_device.sh
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-out/device}"
mkdir -p "$OUT"
# The run's own folder stays out of $OUT: its last.pt (with the optimizers' state, ~22 MB) is
# over the 16 MiB a file may have to come back, and gic-v2.pt holds the model and D anyway.
RUN="${RUN:-$(mktemp -d)}"
# The discriminator first, alone (every generator parameter frozen), for $D_WARMUP_MINUTES
# (default 1; 0 skips it): the committed one is undertrained (hinge loss ~1.9, 2 is chance),
# and on a CPU 20 minutes of D alone took it to 0.23 (docs/results-gicv2.md, "The discriminator
# trained alone"). The second call resumes from the first's $RUN/last.pt.
common=(--device "${DEVICE:-cuda}" --batch "${BATCH:-16}" --crop "${CROP:-256}" --out-dir "$RUN"
  --save-every 2 --log-every 100)
if [ "${D_WARMUP_MINUTES:-1}" != 0 ]; then
  python3 python/gicv2/train.py "${common[@]}" --minutes "${D_WARMUP_MINUTES:-1}" \
    --freeze g_a.,h_a.,h_s.,entropy_bottleneck.,reverse.,g_s. --swd 0
fi
# --gan 0.05 (a third of train.py's default): on a CPU it gave the best probe of any run
# (docs/results-gicv2.md, "Fresh optimizer state"); GAN overrides it.
python3 python/gicv2/train.py "${common[@]}" --minutes "${MINUTES:-7}" --gan "${GAN:-0.05}"
python3 python/gicv2/train.py --out-dir "$RUN" --export-checkpoint "$OUT/gic-v2.pt"
cp "$RUN/losses.csv" "$RUN/losses.png" "$OUT/"
