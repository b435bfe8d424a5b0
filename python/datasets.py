"""Image splits shipped under data/images (see data/README.md) for training and evaluating models.

The split of every image is listed in `data/images/manifest.json` ("splits": train, test,
calibration, bench); an image may be in more than one (the calibration images are a subset of the
training images; the test images are never trained on).

Training: `RandomCrops` draws random `patch`x`patch` crops (default 256x256) with random
horizontal and vertical flips. The image is picked with probability proportional to its area,
halved for grayscale photographs (stored as RGB with R=G=B) so that colour content is not
outweighed. Every draw comes from one `numpy.random.Generator(seed)`: the same seed gives the same
crop sequence.

Test: whole images. `pad_to_multiple` pads an image to a multiple of 64 (2^6: the four stride-2
layers of g_a and the two of h_a in bmshj2018-hyperprior / mbt2018-mean) using CompressAI's
`compute_padding` split (centred: the odd pixel goes right/bottom) and, by default, *replicated*
border pixels (`F.pad(..., mode="replicate")`). Note: CompressAI 1.2.8's own
`compressai.utils.eval_model` uses the same centred split but pads with zeros
(`mode="constant", value=0`); replication costs fewer bits at the border and is what gic uses.
`mode="constant"` reproduces CompressAI's choice. Rates are always counted over the original
(unpadded) pixels and the reconstruction is cropped back (`unpad`) before measuring PSNR.
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMAGES = os.path.join(REPO, "data", "images")
MANIFEST = os.path.join(IMAGES, "manifest.json")
SPLITS = ("train", "test", "calibration", "bench")


def load_manifest(path=MANIFEST):
    """Returns the manifest's list of image entries (dicts with file, license, splits, ...)."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)["images"]


def split_files(split, manifest=MANIFEST):
    """Paths of the images in `split`, in manifest order."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    root = os.path.dirname(manifest)
    return [os.path.join(root, e["file"]) for e in load_manifest(manifest) if split in e["splits"]]


def load_image(path):
    """An image file as a float32 tensor [3, H, W] in [0, 1] (gray/alpha converted to RGB)."""
    with Image.open(path) as im:
        a = np.asarray(im.convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(a).permute(2, 0, 1).contiguous()


def is_gray(x):
    """True when all three channels of `x` [3, H, W] are equal."""
    return bool(torch.equal(x[0], x[1]) and torch.equal(x[1], x[2]))


def compute_padding(h, w, min_div=64):
    """(pad, unpad) for F.pad, the same centred split as compressai.ops.compute_padding."""
    out_h = (h + min_div - 1) // min_div * min_div
    out_w = (w + min_div - 1) // min_div * min_div
    left = (out_w - w) // 2
    right = out_w - w - left
    top = (out_h - h) // 2
    bottom = out_h - h - top
    return (left, right, top, bottom), (-left, -right, -top, -bottom)


def pad_to_multiple(x, min_div=64, mode="replicate"):
    """Pads a batch [B, C, H, W] to multiples of `min_div`; returns (padded, unpad).

    `mode` is "replicate" (gic's default) or "constant" (zeros, as compressai.utils.eval_model).
    Undo with `F.pad(y, unpad)`.
    """
    pad, unpad = compute_padding(x.size(-2), x.size(-1), min_div)
    if mode == "constant":
        return F.pad(x, pad, mode="constant", value=0.0), unpad
    return F.pad(x, pad, mode=mode), unpad


def unpad(x, unpad_):
    """Crops a padded batch back (the inverse of `pad_to_multiple`)."""
    return F.pad(x, unpad_)


def test_images(split="test", manifest=MANIFEST):
    """[(name, tensor [3, H, W])] for the whole images of `split` (default: the test split)."""
    return [(os.path.basename(p), load_image(p)) for p in split_files(split, manifest)]


class RandomCrops:
    """Random `patch`x`patch` training crops with random flips, reproducible from `seed`.

    `next_batch(n)` returns a float tensor [n, 3, patch, patch] in [0, 1]. Images smaller than the
    patch in a dimension are replicate-padded first (none of the shipped ones are).
    """

    def __init__(self, split="train", patch=256, seed=0, gray_weight=0.5, manifest=MANIFEST):
        self.patch = patch
        self.rng = np.random.default_rng(seed)
        self.names, self.images, weights = [], [], []
        for path in split_files(split, manifest):
            x = load_image(path)
            ph, pw = max(0, patch - x.size(1)), max(0, patch - x.size(2))
            if ph or pw:
                x = F.pad(x.unsqueeze(0), (0, pw, 0, ph), mode="replicate").squeeze(0)
            self.names.append(os.path.basename(path))
            self.images.append(x)
            weights.append(x.size(1) * x.size(2) * (gray_weight if is_gray(x) else 1.0))
        if not self.images:
            raise ValueError(f"split {split!r} has no images")
        w = np.asarray(weights, dtype=np.float64)
        self.p = w / w.sum()

    def crop(self):
        i = self.rng.choice(len(self.images), p=self.p)
        x = self.images[i]
        top = int(self.rng.integers(0, x.size(1) - self.patch + 1))
        left = int(self.rng.integers(0, x.size(2) - self.patch + 1))
        c = x[:, top:top + self.patch, left:left + self.patch]
        if self.rng.random() < 0.5:
            c = c.flip(2)
        if self.rng.random() < 0.5:
            c = c.flip(1)
        return c

    def next_batch(self, n):
        return torch.stack([self.crop() for _ in range(n)]).contiguous()


if __name__ == "__main__":
    for s in SPLITS:
        print(s, [os.path.basename(p) for p in split_files(s)])
    ds = RandomCrops(seed=0)
    b = ds.next_batch(4)
    print("batch", tuple(b.shape), float(b.mean()), dict(zip(ds.names, np.round(ds.p, 3))))
    for name, x in test_images():
        y, u = pad_to_multiple(x.unsqueeze(0))
        assert torch.equal(unpad(y, u)[0], x)
        print(name, tuple(x.shape), "->", tuple(y.shape))
