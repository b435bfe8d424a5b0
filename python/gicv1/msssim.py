"""MS-SSIM and a texture statistic for RGB uint8 images (numpy only).

ms_ssim(a, b): the standard 5-scale MS-SSIM of Wang, Simoncelli and Bovik (2003): per scale an
11x11 Gaussian window (sigma 1.5, "valid" filtering), K1 = 0.01, K2 = 0.03, dynamic range 255;
contrast-structure terms cs_1..cs_4 and the full SSIM at scale 5, weights
(0.0448, 0.2856, 0.3001, 0.2363, 0.1333); between scales a 2x2 average pool (an odd last
row/column is dropped). Negative terms are clipped to 0 before the powers (as pytorch-msssim).
Computed per colour channel and averaged over the three channels. Both sides must be at least
161 pixels (the window at the coarsest scale).

gradient_energy_ratio(decoded, original): sum of squared horizontal and vertical finite
differences of `decoded` divided by that of `original` (all channels). 1 means as much
high-frequency energy as the original; blur gives < 1, invented texture or noise > 1.
"""
import numpy as np

WEIGHTS = np.array([0.0448, 0.2856, 0.3001, 0.2363, 0.1333])
WINDOW = 11
SIGMA = 1.5
K1, K2 = 0.01, 0.03


def _gaussian(size=WINDOW, sigma=SIGMA):
    x = np.arange(size, dtype=np.float64) - (size - 1) / 2
    g = np.exp(-(x ** 2) / (2 * sigma ** 2))
    return g / g.sum()


def _filter_valid(img, g):
    """Separable 'valid' filtering of a 2-D array with the 1-D window g (rows, then columns)."""
    k = len(g)
    h, w = img.shape
    rows = sum(g[i] * img[:, i:w - k + 1 + i] for i in range(k))
    return sum(g[i] * rows[i:h - k + 1 + i, :] for i in range(k))


def _ssim_cs(x, y, data_range=255.0):
    g = _gaussian()
    c1, c2 = (K1 * data_range) ** 2, (K2 * data_range) ** 2
    mu_x, mu_y = _filter_valid(x, g), _filter_valid(y, g)
    sxx = _filter_valid(x * x, g) - mu_x ** 2
    syy = _filter_valid(y * y, g) - mu_y ** 2
    sxy = _filter_valid(x * y, g) - mu_x * mu_y
    cs = (2 * sxy + c2) / (sxx + syy + c2)
    lum = (2 * mu_x * mu_y + c1) / (mu_x ** 2 + mu_y ** 2 + c1)
    return float(np.mean(lum * cs)), float(np.mean(cs))


def _pool2(x):
    h, w = x.shape[0] // 2 * 2, x.shape[1] // 2 * 2
    x = x[:h, :w]
    return 0.25 * (x[0::2, 0::2] + x[1::2, 0::2] + x[0::2, 1::2] + x[1::2, 1::2])


def ms_ssim_channel(x, y, data_range=255.0):
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    values = []
    for scale in range(len(WEIGHTS)):
        ssim, cs = _ssim_cs(x, y, data_range)
        values.append(ssim if scale == len(WEIGHTS) - 1 else cs)
        if scale < len(WEIGHTS) - 1:
            x, y = _pool2(x), _pool2(y)
    v = np.maximum(np.asarray(values), 0.0)
    return float(np.prod(v ** WEIGHTS))


def ms_ssim(a, b):
    """MS-SSIM of two uint8 images [H, W, 3] (or [H, W]); 1.0 for identical images."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    if min(a.shape[:2]) < (WINDOW - 1) * 2 ** (len(WEIGHTS) - 1) + 1:
        raise ValueError(f"image {a.shape[:2]} too small for 5-scale MS-SSIM (needs >= 161)")
    if a.ndim == 2:
        return ms_ssim_channel(a, b)
    return float(np.mean([ms_ssim_channel(a[..., c], b[..., c]) for c in range(a.shape[2])]))


def gradient_energy(img):
    x = np.asarray(img, dtype=np.float64)
    return float(np.sum((x[:, 1:] - x[:, :-1]) ** 2) + np.sum((x[1:] - x[:-1]) ** 2))


def gradient_energy_ratio(decoded, original):
    """gradient_energy(decoded) / gradient_energy(original)."""
    return gradient_energy(decoded) / gradient_energy(original)
