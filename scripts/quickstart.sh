#!/usr/bin/env bash
# The main job on the embedded default model: build, convert the shipped example export to a
# .gicw container, inspect it, verify every digest, and load it as the reference decoder does.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh

echo "== building (release)" >&2
swift build -c release --product gic-convert >&2
swift build -c release --product gic-ref >&2
bin=$(swift build -c release --show-bin-path)

model=models/example-bmshj2018-hyperprior.npz
mkdir -p out
echo "== converting $model" >&2
"$bin/gic-convert" "$model" -o out/example.gicw
echo "== inspecting" >&2
"$bin/gic-convert" inspect out/example.gicw
echo "== verifying" >&2
"$bin/gic-convert" verify out/example.gicw
"$bin/gic-ref" model out/example.gicw
