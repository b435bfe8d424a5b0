"""Writes the MS-SSIM fixtures of Tests/ReferenceCodecTests/Evaluation/MSSSIMTests.swift.

Three picture pairs (crops of data/images photos and deterministic distortions of them; odd
and even sizes, so pytorch-msssim's avg_pool2d padding is exercised at every level) and, in
goldens.json, pytorch-msssim's `ms_ssim(x, y, data_range=1.0)` of each pair in float64 with
x, y the 8-bit RGB samples / 255 (what `gic-ref eval` reports as ms-ssim-rgb), and the PSNR.

    python3 python/make_msssim_goldens.py   # rewrites Tests/ReferenceCodecTests/Fixtures/msssim
"""

import json
import math
import os

import numpy as np
import torch
from PIL import Image
from pytorch_msssim import ms_ssim

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "ReferenceCodecTests", "Fixtures", "msssim")

# (name, source picture, left, top, width, height, distortion)
PAIRS = [
    ("chelsea-161x161", "chelsea.png", 140, 60, 161, 161, "blocks"),
    ("coffee-177x190", "coffee.png", 200, 100, 177, 190, "noise"),
    ("astronaut-200x163", "astronaut.png", 150, 40, 200, 163, "posterize"),
]


def distort(x, kind, rng):
    """A deterministic distortion of the uint8 array x (H, W, 3)."""
    if kind == "blocks":  # 2x2 block means (a blur with block edges)
        h, w = x.shape[0] // 2 * 2, x.shape[1] // 2 * 2
        y = x.astype(np.float64).copy()
        m = y[:h, :w].reshape(h // 2, 2, w // 2, 2, 3).mean(axis=(1, 3))
        y[:h, :w] = np.repeat(np.repeat(m, 2, axis=0), 2, axis=1)
        return np.clip(np.rint(y), 0, 255).astype(np.uint8)
    if kind == "noise":
        noise = rng.integers(-12, 13, size=x.shape)
        return np.clip(x.astype(np.int64) + noise, 0, 255).astype(np.uint8)
    return (x // 24 * 24 + 12).astype(np.uint8)  # posterize


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(19)
    goldens = []
    for name, source, left, top, w, h, kind in PAIRS:
        image = Image.open(os.path.join(ROOT, "data", "images", source)).convert("RGB")
        x = np.asarray(image)[top : top + h, left : left + w].copy()
        y = distort(x, kind, rng)
        Image.fromarray(x).save(os.path.join(OUT, f"{name}-a.png"), optimize=True)
        Image.fromarray(y).save(os.path.join(OUT, f"{name}-b.png"), optimize=True)
        tx = torch.from_numpy(x.astype(np.float64) / 255).permute(2, 0, 1).unsqueeze(0)
        ty = torch.from_numpy(y.astype(np.float64) / 255).permute(2, 0, 1).unsqueeze(0)
        value = ms_ssim(tx, ty, data_range=1.0).item()
        mse = float(np.mean((x.astype(np.float64) - y.astype(np.float64)) ** 2))
        goldens.append(
            {"name": name, "width": w, "height": h, "ms_ssim": value,
             "psnr": 10 * math.log10(255 * 255 / mse)}
        )
        print(f"{name}: ms-ssim {value:.9f}")
    with open(os.path.join(OUT, "goldens.json"), "w") as f:
        json.dump({"generator": "python/make_msssim_goldens.py", "pairs": goldens}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
