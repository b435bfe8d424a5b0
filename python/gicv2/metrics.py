"""Picture-quality and realism metrics of the gic-v2 evaluation (python/gicv2/evaluate.py).

All functions take RGB uint8 arrays [H, W, 3] (numpy), originals first.

PSNR, MS-SSIM and the gradient-energy ratio are gic.metrics' (python/gic/metrics.py).

- `psnr(original, decoded)`: PSNR over the three channels, 8-bit peak (255), in dB; inf when
  the pictures are equal.
- `ms_ssim(original, decoded)`: MS-SSIM of pytorch-msssim (`pytorch_msssim.ms_ssim`, its
  defaults: 5 scales, 11x11 Gaussian window, sigma 1.5, K = (0.01, 0.03), standard weights) on
  the uint8 samples converted to float, data_range = 255. Both sides must exceed 160 pixels.
- `gradient_energy_ratio(decoded, original)`: sum of squared horizontal and vertical finite
  differences of `decoded` over that of `original` (all channels) -- the definition of
  gic.metrics (python/gic/metrics.py), which both evaluations import. 1 keeps the
  original's texture energy; blur gives < 1, invented texture or noise > 1.
- `swd(originals, decodeds)`: the sliced Wasserstein distance between the 7x7 neighbourhoods of
  the Laplacian pyramids, as Karras et al., "Progressive Growing of GANs" (ICLR 2018), section 5
  and appendix D define it, and as their metrics/sliced_wasserstein.py computes it:
    * a Laplacian pyramid per picture (the 5x5 binomial kernel [1 4 6 4 1]^2 / 256 of
      cv2.pyrDown / pyrUp, mirror boundaries, float samples 0..255), with as many levels as keep
      the smaller side of the coarsest level >= 16 px (768x512: 512, 256, 128, 64, 32, 16 ->
      6 levels; the last level is the low-pass residual). Pictures whose sides are not powers of
      two are handled by cropping the upsampled level to the finer level's size;
    * per level, `nhoods` 7x7x3 neighbourhoods (147-D descriptors) per picture, centres drawn
      uniformly from the positions where the window fits (all positions where there are fewer);
    * the descriptors of a set (all pictures of one side, pooled over pictures) are normalised
      per colour channel by that set's own mean and standard deviation (Karras'
      `finalize_descriptors`; `normalize="reference"` normalises both sets by the originals'
      statistics instead, which also penalises a loss of contrast);
    * `repeats` x `dirs_per_repeat` = 4 x 128 = 512 random unit directions; per direction the
      projections of both sets are sorted and the mean absolute difference taken (the 1-D
      Wasserstein-1 distance), averaged over directions and repeats;
    * reported x 1e3 per level, and the mean over levels.
  Deviations from Karras, both for pairs of pictures rather than two large sets of images:
  far more neighbourhoods per picture (default 4096 rather than 128), and the same centres on
  both sides (original i and decoded i share positions), which lowers the variance of a
  per-picture figure and makes the distance exactly 0 for identical pictures. Everything random
  comes from numpy's PCG64 with a fixed seed: the same inputs give the same number. Lower is
  more realistic (closer in local statistics to the originals).

Run `python3 python/gicv2/metrics.py a.png b.png` to print all four for two pictures.
"""
import os
import sys

import numpy as np

_PYTHON = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _PYTHON not in sys.path:
    sys.path.insert(0, _PYTHON)

from gic import metrics as _metrics  # noqa: E402

NHOOD = 7
MIN_LEVEL = 16
NHOODS_PER_IMAGE = 4096
REPEATS = 4
DIRS_PER_REPEAT = 128
SEED = 2018


def _rgb(a):
    a = np.asarray(a)
    if a.dtype != np.uint8 or a.ndim != 3 or a.shape[2] != 3:
        raise ValueError(f"expected uint8 [H, W, 3], got {a.dtype} {a.shape}")
    return a


def psnr(original, decoded):
    return _metrics.psnr(_rgb(original), _rgb(decoded))


def ms_ssim(original, decoded):
    return _metrics.ms_ssim(_rgb(original), _rgb(decoded), backend="torch")


def gradient_energy_ratio(decoded, original):
    """gradient_energy(decoded) / gradient_energy(original) (gic.metrics)."""
    return float(_metrics.gradient_energy_ratio(decoded, original))


# ------------------------------------------------------------------------------------------
# sliced Wasserstein distance

_BINOMIAL = np.array([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0


def _blur(x, gain=1.0):
    """Separable 5x5 binomial filter of x (C, H, W), scipy.ndimage 'mirror' boundaries
    (numpy 'reflect': the edge sample is not repeated), as cv2.pyrDown / Karras' pyr_down."""
    k = _BINOMIAL * gain
    _, h, w = x.shape
    mode = "reflect" if min(h, w) > 2 else "edge"
    p = np.pad(x, ((0, 0), (0, 0), (2, 2)), mode=mode)
    x = sum(k[i] * p[:, :, i:i + w] for i in range(5))
    p = np.pad(x, ((0, 0), (2, 2), (0, 0)), mode=mode)
    return sum(k[i] * p[:, i:i + h, :] for i in range(5))


def _pyr_down(x):
    return _blur(x)[:, ::2, ::2]


def _pyr_up(x, shape):
    c, h, w = x.shape
    up = np.zeros((c, 2 * h, 2 * w), dtype=x.dtype)
    up[:, ::2, ::2] = x
    # 2-D gain 4 = 2 per dimension
    return _blur(up, gain=2.0)[:, :shape[0], :shape[1]]


def pyramid_levels(height, width, min_level=MIN_LEVEL):
    """Number of Laplacian levels: the coarsest level's smaller side stays >= min_level."""
    n, h, w = 0, height, width
    while min(h, w) >= min_level:
        n += 1
        h, w = (h + 1) // 2, (w + 1) // 2
    return n


def laplacian_pyramid(img, levels):
    """Laplacian pyramid of an RGB uint8 picture: a list of (3, H_l, W_l) float64 arrays, the
    band-pass levels first, the low-pass residual last (Karras' generate_laplacian_pyramid)."""
    x = np.asarray(img, dtype=np.float64).transpose(2, 0, 1)
    pyr = [x]
    for _ in range(1, levels):
        pyr.append(_pyr_down(pyr[-1]))
        pyr[-2] = pyr[-2] - _pyr_up(pyr[-1], pyr[-2].shape[1:])
    return pyr


def _positions(h, w, n, rng):
    """Flat (y, x) centres of n 7x7 windows inside an h x w level (all of them when fewer)."""
    r = NHOOD // 2
    ys, xs = np.arange(r, h - r), np.arange(r, w - r)
    total = len(ys) * len(xs)
    if total <= 0:
        raise ValueError(f"level {h}x{w} too small for {NHOOD}x{NHOOD} neighbourhoods")
    if n >= total:
        idx = np.arange(total)
    else:
        idx = np.sort(rng.choice(total, size=n, replace=False))
    return ys[idx // len(xs)], xs[idx % len(xs)]


def _descriptors(level, ys, xs):
    """(n, 3, 7, 7) neighbourhoods of level (3, H, W) centred at (ys, xs)."""
    r = NHOOD // 2
    off = np.arange(-r, r + 1)
    yy = ys[:, None, None] + off[None, :, None]
    xx = xs[:, None, None] + off[None, None, :]
    return level[:, yy, xx].transpose(1, 0, 2, 3)


def _normalize(desc, stats=None):
    if stats is None:
        mean = desc.mean(axis=(0, 2, 3), keepdims=True)
        std = desc.std(axis=(0, 2, 3), keepdims=True)
        stats = (mean, np.maximum(std, 1e-8))
    mean, std = stats
    return ((desc - mean) / std).reshape(desc.shape[0], -1), stats


def _sliced_wasserstein(a, b, dirs):
    # (directions, neighbourhoods): sorting along the contiguous axis is faster
    pa = np.sort(dirs.T @ a.T, axis=1)
    pb = np.sort(dirs.T @ b.T, axis=1)
    return float(np.mean(np.abs(pa - pb)))


def swd_descriptors(originals, decodeds, nhoods=NHOODS_PER_IMAGE, seed=SEED, min_level=MIN_LEVEL):
    """Per level: (descriptors of the originals, descriptors of the decoded), unnormalised,
    pooled over the pictures (same centres for original i and decoded i)."""
    if len(originals) != len(decodeds) or not originals:
        raise ValueError("need as many decoded pictures as originals, at least one")
    levels = None
    for o, d in zip(originals, decodeds):
        o, d = _rgb(o), _rgb(d)
        if o.shape != d.shape:
            raise ValueError(f"shapes differ: {o.shape} vs {d.shape}")
        n = pyramid_levels(o.shape[0], o.shape[1], min_level)
        levels = n if levels is None else min(levels, n)
    if levels < 1:
        raise ValueError(f"pictures smaller than {min_level} px have no pyramid level")
    per_level = [([], []) for _ in range(levels)]
    for i, (o, d) in enumerate(zip(originals, decodeds)):
        po, pd = laplacian_pyramid(o, levels), laplacian_pyramid(d, levels)
        for lv in range(levels):
            rng = np.random.default_rng([seed, i, lv])
            ys, xs = _positions(po[lv].shape[1], po[lv].shape[2], nhoods, rng)
            per_level[lv][0].append(_descriptors(po[lv], ys, xs))
            per_level[lv][1].append(_descriptors(pd[lv], ys, xs))
    return [(np.concatenate(a), np.concatenate(b)) for a, b in per_level]


def directions(seed=SEED, repeats=REPEATS, dirs_per_repeat=DIRS_PER_REPEAT, dim=3 * NHOOD * NHOOD):
    """The repeats x dirs_per_repeat random unit directions, (repeats, dim, dirs_per_repeat)."""
    rng = np.random.default_rng([seed, 0x5D])
    d = rng.standard_normal((repeats, dim, dirs_per_repeat))
    return d / np.sqrt(np.sum(d * d, axis=1, keepdims=True))


def swd(originals, decodeds, nhoods=NHOODS_PER_IMAGE, seed=SEED, repeats=REPEATS,
        dirs_per_repeat=DIRS_PER_REPEAT, min_level=MIN_LEVEL, normalize="each"):
    """Sliced Wasserstein distance x 1e3 between the Laplacian 7x7 neighbourhoods of
    `originals` and `decodeds` (a picture each, or lists of pictures pooled into one set each).

    Returns {"mean": mean over levels, "levels": [per level, finest first], "descriptors":
    neighbourhoods per level per side}.
    """
    if isinstance(originals, np.ndarray) and originals.ndim == 3:
        originals, decodeds = [originals], [decodeds]
    if normalize not in ("each", "reference"):
        raise ValueError("normalize must be 'each' or 'reference'")
    dirs = directions(seed, repeats, dirs_per_repeat)
    out, counts = [], []
    for a, b in swd_descriptors(list(originals), list(decodeds), nhoods, seed, min_level):
        na, stats = _normalize(a)
        nb, _ = _normalize(b, stats if normalize == "reference" else None)
        out.append(1e3 * float(np.mean([_sliced_wasserstein(na, nb, dirs[r]) for r in range(repeats)])))
        counts.append(int(a.shape[0]))
    return {"mean": float(np.mean(out)), "levels": out, "descriptors": counts}


def all_metrics(original, decoded, swd_kwargs=None):
    """{"psnr", "ms_ssim", "swd", "gradient_ratio"} of one decoded picture."""
    return {
        "psnr": psnr(original, decoded),
        "ms_ssim": ms_ssim(original, decoded),
        "swd": swd(original, decoded, **(swd_kwargs or {}))["mean"],
        "gradient_ratio": gradient_energy_ratio(decoded, original),
    }


def read_rgb(path):
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8)


if __name__ == "__main__":
    import json

    if len(sys.argv) != 3 or sys.argv[1] in ("-h", "--help"):
        print("usage: python3 python/gicv2/metrics.py original.png decoded.png", file=sys.stderr)
        sys.exit(2)
    print(json.dumps(all_metrics(read_rgb(sys.argv[1]), read_rgb(sys.argv[2])), indent=1))
