#!/usr/bin/env python3
"""Write the training images (and the held-out test images) as one uint8 .npz bundle.

gic-v1 trains on machines that have torch and numpy but neither pillow nor CompressAI, so the
images of data/images are decoded here (python/datasets.py, pillow) and stored as arrays:

  train/<name>   uint8 [H, W, 3]   the "train" split (what train.py crops from)
  test/<name>    uint8 [H, W, 3]   the "test" split (only evaluated at the end of training)
  train_weights  float64 [n]       crop-sampling weight of each train image, in key order:
                                   its area, halved for grayscale photographs (as
                                   datasets.RandomCrops)
  train_names, test_names          the file names, in order (unicode arrays)

Written with np.savez (uncompressed; ~9 MB). Example:
  python3 python/gicv1/make_bundle.py --out out/gicv1-bundle.npz
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import datasets  # noqa: E402


def load_u8(path):
    x = datasets.load_image(path)  # float [3, H, W] in [0, 1], exact multiples of 1/255
    return np.round(x.permute(1, 2, 0).numpy() * 255.0).astype(np.uint8)


def build(gray_weight=0.5):
    arrays = {}
    names = {"train": [], "test": []}
    weights = []
    for split in ("train", "test"):
        for path in datasets.split_files(split):
            name = os.path.basename(path)
            a = load_u8(path)
            arrays[f"{split}/{name}"] = a
            names[split].append(name)
            if split == "train":
                gray = bool((a[..., 0] == a[..., 1]).all() and (a[..., 1] == a[..., 2]).all())
                weights.append(a.shape[0] * a.shape[1] * (gray_weight if gray else 1.0))
    arrays["train_weights"] = np.asarray(weights, dtype=np.float64)
    arrays["train_names"] = np.asarray(names["train"])
    arrays["test_names"] = np.asarray(names["test"])
    return arrays


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output .npz")
    args = ap.parse_args(argv)
    arrays = build()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    np.savez(args.out, **arrays)
    print(f"wrote {args.out}: train {list(arrays['train_names'])}, test {list(arrays['test_names'])}, "
          f"{os.path.getsize(args.out)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
