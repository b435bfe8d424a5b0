#!/usr/bin/env python3
"""Per-level sliced Wasserstein distance on TRAINING crops: where a checkpoint's realism gap is.

A quick probe for training decisions (never the held-out split): the central 512x512 crops of 8
training photographs (every k-th of data/photos/manifest.json), each coded at the rate index
whose estimated rate is nearest --bpp (float codec, python/gicv1/float_codec.py), decoded with
0 steps and with 2 steps at each --alphas; or (--classical) AVIF, WebP and JPEG files of at most
the same size. Prints, per decode kind, the SWD x 1e3 of each Laplacian level (finest first,
the low-pass residual last; python/gicv2/metrics.py, 1024 neighbourhoods per level and picture),
their mean, the mean bpp and PSNR, and the mean gradient-energy ratio. Means over the 8 pictures.

    python3 python/gicv2/probe_levels.py --checkpoint models/gic-v2.pt --bpp 0.1 --alphas 0,1
    python3 python/gicv2/probe_levels.py --classical --bpp 0.1
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
from gicv2 import metrics  # noqa: E402


def crops(n=8, size=512):
    with open(os.path.join(REPO, "data", "photos", "manifest.json")) as f:
        train = [e for e in json.load(f)["photos"] if e["split"] == "train"]
    out = []
    for e in train[:: max(1, len(train) // n)][:n]:
        a = np.asarray(Image.open(os.path.join(REPO, e["file"])).convert("RGB"))
        t, l = (a.shape[0] - size) // 2, (a.shape[1] - size) // 2
        out.append(np.ascontiguousarray(a[t:t + size, l:l + size]))
    return out


def nearest_rate(model, img, target):
    """(symbols, bpp, z bits, y bits) at the rate index (a multiple of 4) whose estimated bpp,
    float codec, is nearest target."""
    from gicv1 import float_codec
    best = None
    for r in range(0, 256, 4):
        enc = float_codec.encode_image(model, img, r)
        bz, by = float_codec.estimate_bits(model, enc["z_symbols"], enc["y_symbols"], r)
        bpp = (bz + by) / img[..., 0].size
        if best is None or abs(bpp - target) < abs(best[1] - target):
            best = (enc, bpp, bz, by)
        if bpp > target * 1.5:
            break
    return best


def gic_decodes(checkpoint, imgs, target, alphas):
    from gicv1 import float_codec
    from gicv1 import model as gm
    from gicv1.export import load_checkpoint
    model = gm.model_from_state(load_checkpoint(checkpoint), strict=False).eval()
    for img in imgs:
        best = nearest_rate(model, img, target)
        enc = best[0]
        for steps, alpha in [(0, 0.0)] + [(2, a) for a in alphas]:
            model.sampler.alpha.copy_(torch.from_numpy(gm.default_alpha(value=alpha)))
            yield f"gic {steps} steps, alpha {alpha:g}", img, float_codec.decode_symbols(
                model, enc["z_symbols"], enc["y_symbols"], enc["rate_index"], steps, 1 if alpha > 0 else None,
                img.shape[0], img.shape[1]), best[1]


def classical_decodes(imgs, target):
    from gicv2 import classical
    for img in imgs:
        coder = classical.Coder(img)
        for codec in ("avif", "webp", "jpeg"):
            m = coder.match_size(codec, target * img[..., 0].size / 8)
            if m is not None:
                yield codec, img, m.decoded, m.bytes * 8 / img[..., 0].size
        coder.cleanup()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint")
    ap.add_argument("--classical", action="store_true")
    ap.add_argument("--bpp", type=float, default=0.1)
    ap.add_argument("--alphas", default="0")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    imgs = crops()
    if args.classical:
        decodes = classical_decodes(imgs, args.bpp)
    else:
        decodes = gic_decodes(args.checkpoint, imgs, args.bpp, [float(a) for a in args.alphas.split(",")])
    rows = {}
    for kind, img, dec, bpp in decodes:
        rows.setdefault(kind, []).append(measure(img, dec, bpp))
    print_rows(rows)


def measure(img, dec, bpp):
    """[SWD x 1e3 per level..., bpp, PSNR, gradient-energy ratio] of one decode."""
    mse = np.mean((img.astype(np.float64) - dec.astype(np.float64)) ** 2)
    return metrics.swd(img, dec, nhoods=1024)["levels"] + [
        bpp, 10 * np.log10(255.0 ** 2 / mse), metrics.gradient_energy_ratio(dec, img)]


def print_rows(rows, width=22):
    """One line per decode kind: the means over the pictures of `measure`'s rows (bpp as '-'
    where no decode of that kind has one)."""
    for kind, v in rows.items():
        v = np.array(v)
        bpp = "   -  " if np.isnan(v[:, -3]).all() else f"{np.nanmean(v[:, -3]):.4f}"
        print(f"{kind:{width}s} n={len(v)} levels " + " ".join(f"{x:6.1f}" for x in v[:, :-3].mean(0)) +
              f"  mean {v[:, :-3].mean():6.1f}  bpp {bpp}  PSNR {v[:, -2].mean():.2f}"
              f"  gradient ratio {v[:, -1].mean():.2f}", flush=True)

if __name__ == "__main__":
    main()
