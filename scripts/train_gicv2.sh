#!/usr/bin/env bash
# Trains gic-v2, or resumes it: from out/gicv2/last.pt if this machine has one, else from the
# committed checkpoint models/gic-v2.pt, else from gic-v1 (python/gicv2/train.py --help).
# Fetches the photographs first if the bundle is missing. CPU by default, for as long as asked:
#
#   bash scripts/train_gicv2.sh --minutes 120              # CPU, in the foreground
#   nohup bash scripts/train_gicv2.sh --minutes 600 &      # CPU, in the background, for hours
#   GPUS=2 bash scripts/train_gicv2.sh --device cuda       # torchrun over 2 GPUs (DDP)
#   NODES=2 NODE_RANK=0 MASTER=host:29500 GPUS=8 bash scripts/train_gicv2.sh --device cuda
#
# Losses go to out/gicv2/losses.csv and out/gicv2/losses.png. To hand the result on, commit
#   python3 python/gicv2/train.py --export-checkpoint models/gic-v2.pt
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f out/gicv2-bundle.npz ] || bash scripts/fetch_photos.sh
if [ -n "${GPUS:-}" ] || [ -n "${NODES:-}" ]; then
  exec torchrun --nnodes "${NODES:-1}" --node-rank "${NODE_RANK:-0}" \
    ${MASTER:+--rdzv-backend c10d --rdzv-endpoint "$MASTER"} \
    --nproc-per-node "${GPUS:-1}" python/gicv2/train.py "$@"
fi
exec python3 python/gicv2/train.py "$@"
