#!/usr/bin/env bash
# Converts CompressAI's published pretrained checkpoints of the architectures gic supports
# (bmshj2018-hyperprior and mbt2018-mean, every quality, mse and ms-ssim) into gic codec models,
# when the checkpoints are on disk; nothing is downloaded.
#
#   scripts/convert_pretrained.sh [-o OUTDIR] [CHECKPOINT.pth.tar|EXPORT.npz ...]
#
# With no checkpoint named, takes CompressAI's zoo files from torch's hub cache
# (${TORCH_HOME:-~/.cache/torch}/hub/checkpoints/{bmshj2018-hyperprior,mbt2018-mean}-*.pth.tar,
# where `compressai.zoo.<model>(quality=q, pretrained=True)` leaves them). Each checkpoint is
# exported with `python -m gic export` (architecture, N and M read from the state dict) and
# converted by gic-convert on the calibration split of data/images, with the checkpoint's name
# and SHA-256 as --metadata (gic-convert adds its own provenance). An .npz already exported
# (python/export_compressai.py, gic.export) is converted as it is. OUTDIR (default
# out/pretrained) gets <name>.npz, <name>.gicw and a manifest.json that `gic-ref models OUTDIR`
# reads. Binaries: $GIC_BIN, else a release build. Needs torch and CompressAI for checkpoints.
set -euo pipefail
cd "$(dirname "$0")/.."

out=out/pretrained
if [ "${1:-}" = "-o" ]; then out=$2; shift 2; fi
if [ $# -eq 0 ]; then
  cache=${TORCH_HOME:-$HOME/.cache/torch}/hub/checkpoints
  shopt -s nullglob
  set -- "$cache"/bmshj2018-hyperprior-*.pth.tar "$cache"/mbt2018-mean-*.pth.tar
  shopt -u nullglob
  if [ $# -eq 0 ]; then
    echo "error: no CompressAI checkpoints in $cache; name them on the command line" >&2
    exit 1
  fi
fi

if [ -n "${GIC_BIN:-}" ]; then
  bin=$GIC_BIN
else
  swift build -c release --product gic-convert >&2
  swift build -c release --product gic-ref >&2
  bin=$(swift build -c release --show-bin-path)
fi
mkdir -p "$out"
# python/compat: a torchvision stand-in (python/compat/README.md), only where torchvision fails
# to import, as python/compressai_env.py does.
pythonpath=python${PYTHONPATH:+:$PYTHONPATH}
python3 -c "import torchvision" 2> /dev/null || pythonpath=$pythonpath:python/compat

entries=()
for checkpoint in "$@"; do
  file=$(basename "$checkpoint")
  name=${file%.pth.tar}
  name=${name%.pth}
  name=${name%.pt}
  name=${name%.npz}
  sha=$(sha256sum "$checkpoint" | cut -d' ' -f1)
  if [ "${checkpoint%.npz}" != "$checkpoint" ]; then
    npz=$checkpoint
  else
    npz=$out/$name.npz
    echo "== exporting $checkpoint" >&2
    PYTHONPATH=$pythonpath python3 -m gic export "$checkpoint" -o "$npz"
  fi
  echo "== converting $npz" >&2
  "$bin/gic-convert" "$npz" -o "$out/$name.gicw" -q \
    --metadata "source.checkpoint=$file" --metadata "source.checkpoint_sha256=$sha"
  "$bin/gic-ref" model "$out/$name.gicw"
  entries+=("$name.gicw" "$file" "$sha")
done

python3 - "$out" "${entries[@]}" <<'PY'
import json, os, sys
out, rest = sys.argv[1], sys.argv[2:]
models = [
    {"file": rest[i], "default": False, "source": rest[i + 1],
     "origin": ("export " if rest[i + 1].endswith(".npz") else "CompressAI checkpoint ")
               + f"{rest[i + 1]} (sha256 {rest[i + 2]})",
     "made_by": "scripts/convert_pretrained.sh (python -m gic export, gic-convert on the "
                "calibration split of data/images)"}
    for i in range(0, len(rest), 3)
]
with open(os.path.join(out, "manifest.json"), "w") as f:
    json.dump({"models": models}, f, indent=2)
    f.write("\n")
PY
"$bin/gic-ref" models "$out"
