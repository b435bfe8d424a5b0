#!/usr/bin/env bash
# docs/eval-plot.png: `gic-ref eval` of the shipped models on the held-out test split of
# data/images (coffee, rocket), plotted by CompressAI's own `compressai.utils.plot` from the
# JSON files as gic-ref writes them; with CompressAI's float codec (`compressai.utils.eval_model`)
# of the same mbt2018-mean weights on the same pictures for comparison. docs/evaluation.md.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product gic-convert >&2
swift build -c release --product gic-ref >&2
bin=$(swift build -c release --show-bin-path)
out=out/eval
mkdir -p "$out/pictures"
cp data/images/coffee.png data/images/rocket.png "$out/pictures/"

for m in mbt2018-mean-N64-M96 bmshj2018-hyperprior-N64-M96; do
  "$bin/gic-convert" "models/$m.npz" -o "$out/$m.gicw" -q
done
"$bin/gic-ref" eval "$out/pictures" -m models/gic-v2.gicw --rates 0,40,80,120,160,200,255 \
  --name "gic-v2 (gic-ref)" -o "$out/gic-v2.json" -q
"$bin/gic-ref" eval "$out/pictures" -m models/gic-v1.gicw --rates 0,40,80,120,160,200,255 \
  --name "gic-v1 (gic-ref)" -o "$out/gic-v1.json" -q
for m in mbt2018-mean-N64-M96 bmshj2018-hyperprior-N64-M96; do
  "$bin/gic-ref" eval "$out/pictures" -m "$out/$m.gicw" --padding compressai \
    --name "$m (gic-ref)" -o "$out/$m.json" -q
done

# CompressAI's float codec on the same weights and pictures (needs torch and CompressAI;
# python/compat stands in for torchvision where it does not import).
pythonpath=python${PYTHONPATH:+:$PYTHONPATH}
python3 -c "import torchvision" 2> /dev/null || pythonpath=$pythonpath:python/compat
files=("$out/gic-v2.json" "$out/gic-v1.json" "$out/mbt2018-mean-N64-M96.json"
  "$out/bmshj2018-hyperprior-N64-M96.json")
if PYTHONPATH=$pythonpath python3 - "$out" <<'PY'
import sys
import numpy as np
import torch
d = np.load("models/mbt2018-mean-N64-M96.npz")
torch.save({k: torch.from_numpy(d[k]) for k in d.files}, sys.argv[1] + "/mbt2018-mean-N64-M96.pth.tar")
PY
then
  PYTHONPATH=$pythonpath python3 -m compressai.utils.eval_model checkpoint "$out/pictures" \
    -a mbt2018-mean -p "$out/mbt2018-mean-N64-M96.pth.tar" > "$out/compressai-mbt2018-mean.json"
  files+=("$out/compressai-mbt2018-mean.json")
fi
PYTHONPATH=$pythonpath python3 -m compressai.utils.plot -f "${files[@]}" \
  -t "gic-ref eval: coffee and rocket (data/images test split)" -o docs/eval-plot.png
PYTHONPATH=$pythonpath python3 -m compressai.utils.plot -f "${files[@]}" -m ms-ssim \
  -t "gic-ref eval: coffee and rocket (data/images test split)" -o docs/eval-plot-msssim.png
echo "wrote docs/eval-plot.png and docs/eval-plot-msssim.png from ${files[*]}" >&2
