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
    print("| picture | target | --detail | got | error |")
    print("|---|---:|---|---:|---:|")
    for t in targets:
        print(f"| {t['image']} | {t['target']} | {'on' if t.get('detail') else 'off'} | {t['bpp']:.4f} | "
              f"{t['error_percent']:+.2f} % |")
    int_vs_float(rows, order)


def int_vs_float(rows, order):
    """The integer decoder against the float one (rows of runs with --float-model): per rate
    point and decode, the means over the pictures and the worst single picture."""
    fr = [r for r in rows if "psnr_float" in r]
    if not fr:
        return
    rel = lambda r: (r["swd"] - r["swd_float"]) / r["swd_float"]
    print(f"\nInteger decoder (gic-ref) against the float decoder of the same model on the same symbols, "
          f"{len(fr)} decodes: largest |ΔPSNR| {max(abs(r['psnr'] - r['psnr_float']) for r in fr):.3f} dB; "
          f"largest |relative ΔSWD| of one picture {100 * max(abs(rel(r)) for r in fr):.2f} % "
          f"({sum(abs(rel(r)) > 0.02 for r in fr)} decodes over 2 %); integer and float pictures at least "
          f"{min(r['psnr_int_vs_float'] for r in fr):.2f} dB apart.\n")
    print("| point | codec | n | PSNR int (dB) | PSNR float (dB) | ΔPSNR (dB) | SWD int | SWD float "
          "| ΔSWD of the means | largest \\|ΔSWD\\| of one picture | lowest PSNR int vs float (dB) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for key in order:
        g = [r for r in fr if (r["point"], r["codec"]) == key]
        if not g:
            continue
        m = lambda k: float(np.mean([r[k] for r in g]))
        print(f"| {key[0]} | {key[1]} | {len(g)} | {m('psnr'):.2f} | {m('psnr_float'):.2f} | "
              f"{m('psnr') - m('psnr_float'):+.3f} | {m('swd'):.1f} | {m('swd_float'):.1f} | "
              f"{100 * (m('swd') - m('swd_float')) / m('swd_float'):+.2f} % | "
              f"{100 * max(abs(rel(r)) for r in g):.2f} % | {min(r['psnr_int_vs_float'] for r in g):.2f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
