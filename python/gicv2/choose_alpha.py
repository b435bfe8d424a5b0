#!/usr/bin/env python3
"""Choose gic-v2's default noise scale alpha (sampler.alpha, the realism knob) on TRAINING photos.

alpha scales the fresh noise the 2-step sampler adds at its intermediate level (gicv1/model.py
eq. 3). The exported model carries one alpha; decoding without a seed uses 0. This script decodes
crops of training photographs (never the held-out split) with the float codec at the rate
indices whose estimated rate is nearest the --bpp targets, for each candidate alpha, and reports
the sliced Wasserstein distance (python/gicv2/metrics.py, per picture and then averaged, as the
evaluation reports it), PSNR and the gradient-energy ratio, beside the 0-step decode of the same
streams; the alpha with the lowest mean SWD is printed last as `alpha=...`.

    python3 python/gicv2/choose_alpha.py --checkpoint out/gicv2/run3/last.pt
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
from gicv1 import float_codec  # noqa: E402
from gicv1 import model as gm  # noqa: E402
from gicv1.export import load_checkpoint  # noqa: E402
from gicv2.probe_levels import nearest_rate  # noqa: E402
from gicv2 import metrics  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--alphas", default="0,0.25,0.5,0.75,1,1.5")
    ap.add_argument("--bpp", default="0.1,0.2")
    ap.add_argument("--photos", type=int, default=8, help="training photos used (every k-th of the manifest)")
    ap.add_argument("--crop", type=int, default=512)
    ap.add_argument("--nhoods", type=int, default=1024, help="SWD neighbourhoods per level and picture")
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    model = gm.model_from_state(load_checkpoint(args.checkpoint), strict=False).eval()
    with open(os.path.join(REPO, "data", "photos", "manifest.json")) as f:
        train = [e for e in json.load(f)["photos"] if e["split"] == "train"]
    train = train[:: max(1, len(train) // args.photos)][: args.photos]
    imgs = []
    for e in train:
        a = np.asarray(Image.open(os.path.join(REPO, e["file"])).convert("RGB"))
        t, l = (a.shape[0] - args.crop) // 2, (a.shape[1] - args.crop) // 2
        imgs.append((e["id"], np.ascontiguousarray(a[t:t + args.crop, l:l + args.crop])))
    alphas = [float(a) for a in args.alphas.split(",")]
    rows = []
    for target in [float(b) for b in args.bpp.split(",")]:
        coded = []
        for name, img in imgs:  # the rate index whose estimated bpp is nearest the target
            best = nearest_rate(model, img, target)
            coded.append((name, img, best[0], best[1]))
        for steps, alpha in [(0, 0.0)] + [(2, a) for a in alphas]:
            model.sampler.alpha.copy_(torch.from_numpy(gm.default_alpha(value=alpha)))
            originals, decodes = [], []
            for name, img, enc, bpp in coded:
                out = float_codec.decode_symbols(model, enc["z_symbols"], enc["y_symbols"], enc["rate_index"], steps,
                                                 1 if alpha > 0 else None, img.shape[0], img.shape[1])
                originals.append(img)
                decodes.append(out)
            row = {"target_bpp": target, "steps": steps, "alpha": alpha,
                   "bpp": float(np.mean([c[3] for c in coded])),
                   "swd": float(np.mean([metrics.swd(o, d, nhoods=args.nhoods)["mean"]
                                         for o, d in zip(originals, decodes)])),
                   "psnr": float(np.mean([metrics.psnr(o, d) for o, d in zip(originals, decodes)])),
                   "grad": float(np.mean([metrics.gradient_energy_ratio(d, o) for o, d in zip(originals, decodes)]))}
            rows.append(row)
            print(json.dumps(row), flush=True)
    means = {a: np.mean([r["swd"] for r in rows if r["steps"] == 2 and r["alpha"] == a]) for a in alphas}
    best = min(means, key=means.get)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rows": rows, "mean_swd": {str(k): v for k, v in means.items()}, "alpha": best}, f, indent=1)
    print(f"alpha={best}")


if __name__ == "__main__":
    main()
