#!/usr/bin/env python3
"""How a checkpoint's bits split between the hyperprior (z) and the latents (y) at low rates.

On the 8 training crops of probe_levels.py, each coded (float codec, estimated bits) at the rate
index nearest each target: mean z and y bits per pixel, the mean rate index and the mean
fraction of non-zero y symbols. z is coded at one step for every rate index, so its bits are a
floor under the lowest rate (docs/results-gicv2.md).

    python3 python/gicv2/probe_side_bits.py models/gic-v2.pt --bpp 0.1,0.2
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from gicv1 import model as gm  # noqa: E402
from gicv1.export import load_checkpoint  # noqa: E402
from gicv2.probe_levels import crops, nearest_rate  # noqa: E402


def nearest(model, img, target):
    """(bpp, z bpp, y bpp, rate index, non-zero fraction) at the rate index nearest target."""
    enc, bpp, bz, by = nearest_rate(model, img, target)
    npix = img[..., 0].size
    return bpp, bz / npix, by / npix, enc["rate_index"], float(np.mean(np.asarray(enc["y_symbols"]) != 0))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint")
    ap.add_argument("--bpp", default="0.1,0.2")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    model = gm.model_from_state(load_checkpoint(args.checkpoint), strict=False).eval()
    imgs = crops()
    for target in (float(t) for t in args.bpp.split(",")):
        v = np.array([nearest(model, img, target) for img in imgs])
        print(f"target {target:g}: bpp {v[:, 0].mean():.4f} = z {v[:, 1].mean():.4f} + y {v[:, 2].mean():.4f}"
              f"  (z {100 * v[:, 1].mean() / v[:, 0].mean():.0f} %)  rate index {v[:, 3].mean():.1f}"
              f"  non-zero y {100 * v[:, 4].mean():.1f} %", flush=True)


if __name__ == "__main__":
    main()
