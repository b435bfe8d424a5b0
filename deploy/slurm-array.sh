#!/usr/bin/env bash
# gic batch encoding as a Slurm job array (docs/scaling.md).
#
# Array task k codes shard k/N of the pictures: Slurm sets SLURM_ARRAY_TASK_ID (k, counted from
# SLURM_ARRAY_TASK_MIN) and SLURM_ARRAY_TASK_COUNT (N), and `gic-ref encode --shard k/N` picks the pictures whose name
# hashes to k. Each task writes its own manifest (manifest-<k>-of-<N>.jsonl) into OUT on a shared
# file system; a requeued task resumes where it stopped. Then one dependent job merges:
#
#   jid=$(sbatch --parsable deploy/slurm-array.sh /shared/pictures /shared/out)
#   sbatch --dependency=afterok:$jid --wrap \
#     "gic-ref merge /shared/out/manifest-*-of-8.jsonl -o /shared/out/manifest.jsonl --expect /shared/pictures"
#
# Usage: slurm-array.sh PICTURES OUT [MODEL] [encode options…]
# GIC_REF names the gic-ref binary (default: gic-ref on PATH).
#SBATCH --job-name=gic-encode
#SBATCH --array=0-7
#SBATCH --cpus-per-task=4
#SBATCH --mem=4G
#SBATCH --time=04:00:00
#SBATCH --requeue
#SBATCH --output=gic-encode-%A_%a.log
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 PICTURES OUT [MODEL] [encode options…]" >&2
  exit 2
fi
pictures=$1
out=$2
model=${3:-models/gic-v2.gicw}
shift $(($# < 3 ? $# : 3))
: "${SLURM_ARRAY_TASK_ID:?run this script as a Slurm array job (sbatch --array=0-N)}"
shards=${SLURM_ARRAY_TASK_COUNT:-8}
index=$((SLURM_ARRAY_TASK_ID - ${SLURM_ARRAY_TASK_MIN:-0}))

exec "${GIC_REF:-gic-ref}" encode "$pictures" -m "$model" -o "$out" \
  --shard "${index}/${shards}" --threads "${SLURM_CPUS_PER_TASK:-1}" --quiet "$@"
