#!/usr/bin/env python3
"""What a coarser quantization step for z would buy at low rates, without retraining.

gic-v2 quantizes the hyperprior latent z with step 1 at every rate index, so at 0.1 bpp about
half of the file is z (probe_side_bits.py). A format with a rate-dependent z step t would code
s_z = round((z - m) / t) and z_hat = t s_z + m, with the factorised prior's probability of the
interval [z_hat - t/2, z_hat + t/2]. This probe measures that on the shipped checkpoint as it
is (the hyper-synthesis was trained for t = 1 only, so the figures are a lower bound on what a
model trained for it would do): on the 8 training crops of probe_levels.py, for each step t and
each target rate, the rate index whose estimated rate is nearest the target,
then the mean bpp split into z and y and the 0-step PSNR. The held-out split is not touched.

    python3 python/gicv2/probe_z_step.py models/gic-v2.pt --steps 1,1.5,2,3 --bpp 0.1,0.2
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from gicv1 import float_codec  # noqa: E402
from gicv1 import model as gm  # noqa: E402
from gicv1.export import load_checkpoint  # noqa: E402
from gicv2.probe_levels import crops  # noqa: E402


@torch.no_grad()
def code(model, x, rate_index, t):
    """(z bits, y bits, 0-step reconstruction) of the padded batch x with z step t."""
    eb = model.entropy_bottleneck
    y = model.g_a(x)
    z = model.h_a(y)
    m = eb.medians().view(1, -1, 1, 1)
    z_hat = t * torch.round((z - m) / t) + m
    c = z_hat.size(1)
    v = z_hat.transpose(0, 1).reshape(c, 1, -1)
    p = torch.sigmoid(eb.logits_cumulative(v + t / 2)) - torch.sigmoid(eb.logits_cumulative(v - t / 2))
    bits_z = -torch.log2(p.clamp_min(1e-9)).sum().item()
    scales, means = model.hyper_params(z_hat)
    q = model.rate.q(rate_index)
    s = torch.round((y - means) / q)
    bits_y = -torch.log2(model.gaussian_conditional(s, scales / q)).sum().item()
    return bits_z, bits_y, model.g_s(s * q + means)


def nearest(model, img, target, t):
    """(bpp, z bpp, y bpp, PSNR, rate index) at the rate index whose rate is nearest target
    (bisection: the rate grows with the index)."""
    x = float_codec.pad_right_bottom(float_codec.image_tensor(img, torch.float32))
    npix = img.shape[0] * img.shape[1]
    seen = {}

    def at(r):
        if r not in seen:
            bz, by, xh = code(model, x, r, t)
            seen[r] = (bz / npix, by / npix, xh)
        return seen[r][0] + seen[r][1]

    lo, hi = 0, 255
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if at(mid) < target else (lo, mid)
    r = min((lo, hi), key=lambda k: abs(at(k) - target))
    bz, by, xh = seen[r]
    rec = float_codec.to_u8(xh[..., : img.shape[0], : img.shape[1]]).astype(np.float64)
    mse = np.mean((rec - img.astype(np.float64)) ** 2)
    return bz + by, bz, by, 10 * np.log10(255.0 ** 2 / mse), r


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint")
    ap.add_argument("--steps", default="1,1.5,2,3", help="z quantization steps t to try")
    ap.add_argument("--bpp", default="0.1,0.2", help="target rates")
    ap.add_argument("--crops", type=int, default=8)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    model = gm.model_from_state(load_checkpoint(args.checkpoint), strict=False).eval()
    imgs = crops(args.crops)
    print("| target bpp | z step | bpp | z bpp | y bpp | z share | PSNR (0 steps) | mean rate index |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for target in (float(v) for v in args.bpp.split(",")):
        for t in (float(v) for v in args.steps.split(",")):
            v = np.array([nearest(model, img, target, t) for img in imgs])
            print(f"| {target:g} | {t:g} | {v[:, 0].mean():.4f} | {v[:, 1].mean():.4f} | {v[:, 2].mean():.4f}"
                  f" | {100 * v[:, 1].mean() / v[:, 0].mean():.0f} % | {v[:, 3].mean():.2f} | {v[:, 4].mean():.1f} |",
                  flush=True)


if __name__ == "__main__":
    main()
