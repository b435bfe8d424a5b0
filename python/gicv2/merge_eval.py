#!/usr/bin/env python3
"""Merge evaluate.py JSONs (e.g. runs over disjoint subsets of the held-out photos, run in
parallel) into one Markdown summary: means over pictures per rate point and codec (bpp, PSNR,
MS-SSIM, per-picture SWD, gradient ratio), the rate range per picture and --target-bpp accuracy.
Pooled SWD needs the descriptors and is not recomputed: the merged table uses the mean of the
per-picture SWDs.

    python3 python/gicv2/merge_eval.py out/eval/e*.json > docs/gicv2-eval.md
"""
import json
import sys
from collections import defaultdict

import numpy as np


def main(paths):
    rows, curves, targets = [], [], []
    for p in paths:
        with open(p) as f:
            d = json.load(f)
        rows += d["rows"]
        curves += [dict(c, image=k) for k, c in d["curves"].items()]
        targets += d["targets"]
    groups = defaultdict(list)
    order = []
    for r in rows:
        key = (r["point"], r["codec"])
        if key not in order:
            order.append(key)
        if r.get("match", True) and r.get("bpp") is not None:
            groups[key].append(r)
    n_pics = len({r["image"] for r in rows})
    print(f"Means over the held-out photos ({n_pics}); SWD is the mean of per-picture SWDs (x1e3).\n")
    print("| point | codec | n | bpp | PSNR (dB) | MS-SSIM | SWD | gradient ratio |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for key in order:
        g = groups[key]
        if not g:
            print(f"| {key[0]} | {key[1]} | 0 | no match | | | | |")
            continue
        m = lambda k: float(np.mean([r[k] for r in g]))
        print(f"| {key[0]} | {key[1]} | {len(g)} | {m('bpp'):.4f} | {m('psnr'):.2f} | {m('ms_ssim'):.4f} | "
              f"{m('swd'):.1f} | {m('gradient_ratio'):.3f} |")
    print("\nRate range per picture (gic-ref rates):\n")
    print("| picture | bpp at r=0 | bpp at r=255 | monotone |")
    print("|---|---:|---:|---|")
    for c in curves:
        print(f"| {c['image']} | {c['min_bpp']:.4f} | "
              f"{c['max_bpp']:.4f} | {c.get('monotone')} |")
    print(f"\nMean bpp at r=0: {np.mean([c['min_bpp'] for c in curves]):.4f}; at r=255: "
          f"{np.mean([c['max_bpp'] for c in curves]):.4f}")
    print("\n--target-bpp accuracy:\n")
    print("| picture | target | got | error |")
    print("|---|---:|---:|---:|")
    for t in targets:
        print(f"| {t['image']} | {t['target']} | {t['bpp']:.4f} | {t['error_percent']:+.2f} % |")


if __name__ == "__main__":
    main(sys.argv[1:])
