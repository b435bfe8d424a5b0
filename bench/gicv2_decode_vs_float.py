#!/usr/bin/env python3
"""Benchmark: gic-v2 decode of a 768x512 picture with 2 reverse-process steps and noise --
`gic-ref decode` (integer; the whole process, start-up and model loading included) side by side
with the PyTorch float decoder of the same model (python/gicv1/float_codec.py `decode_symbols`
on the symbols gic-ref decoded from the same stream; only that call is timed), same thread
count (gic-ref --threads T, torch.set_num_threads(T)), fresh processes, medians, and the ratio
integer / float. The issue's bar (#12): ratio <= 0.5 at 2 steps.

This is bench/gicv1_decode_vs_float.py with gic-v2's defaults (models/gic-v2.npz,
models/gic-v2.gicw); every option of that script applies (--threads 1,2, --runs, --rate,
--seed none, --image, --json, --bin-dir, --float-codec, --png).

    python3 bench/gicv2_decode_vs_float.py [--threads 1,2] [--runs 5] [--json out.json]
    python3 bench/gicv2_decode_vs_float.py --model models/gic-v1.npz --gicw models/gic-v1.gicw
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import gicv1_decode_vs_float as bench  # noqa: E402

if __name__ == "__main__":
    bench.main(model="gic-v2", doc=__doc__ + "\n" + bench.__doc__)
