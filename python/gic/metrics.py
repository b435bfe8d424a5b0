"""Picture-quality metrics: the one definition used by gic's Python code.

- `mse(a, b)`: mean squared error over every sample, in float64 (NumPy arrays: numpy's
  float64 mean; torch tensors: torch's float64 mean).
- `psnr_from_mse(mse, data_range=255.0)`: 10 log10(data_range² / mse), inf when mse is 0.
- `psnr(a, b, data_range=255.0)`: the two above; 8-bit pictures take the default peak 255,
  tensors in [0, 1] data_range=1.0.
- `ms_ssim(a, b, data_range=255.0, backend="auto")`: the 5-scale MS-SSIM of Wang, Simoncelli
  and Bovik (2003) as pytorch-msssim computes it (its defaults: 11x11 Gaussian window, sigma 1.5,
  K = (0.01, 0.03), weights (0.0448, 0.2856, 0.3001, 0.2363, 0.1333), negative terms clipped to
  0, per channel then averaged over channels). Pictures are [H, W, C] or [H, W] arrays; the
  smaller side must exceed 160 pixels. backend "torch" calls `pytorch_msssim.ms_ssim` on the
  samples converted to float32 (as CompressAI's eval_model and python/gicv2 do); "numpy" is the
  NumPy implementation below, in float64, with pytorch-msssim's conventions, including its 2x2
  average pooling between scales, which pads an odd side with one zero row/column
  (`avg_pool2d(padding=s % 2)`, zeros counted in the average) rather than dropping it; "auto"
  uses pytorch-msssim when torch and pytorch-msssim import, else NumPy. The two agree to about
  1e-6 (float32 against float64).
- `gradient_energy(img)`, `gradient_energy_ratio(decoded, original)`: sum of squared horizontal
  and vertical finite differences, and its ratio decoded/original (1 keeps the original's
  texture energy; blur gives < 1, invented texture or noise > 1).
"""
import numpy as np

WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
WINDOW = 11
SIGMA = 1.5
K1, K2 = 0.01, 0.03

__all__ = ["mse", "psnr", "psnr_from_mse", "ms_ssim", "ms_ssim_backend", "gradient_energy",
           "gradient_energy_ratio"]


def _is_torch(x):
    return type(x).__module__.startswith("torch") and hasattr(x, "detach")


def mse(a, b):
    """Mean squared error of two arrays (or two torch tensors) of the same shape, in float64."""
    if _is_torch(a) or _is_torch(b):
        if tuple(a.shape) != tuple(b.shape):
            raise ValueError(f"shapes differ: {tuple(a.shape)} vs {tuple(b.shape)}")
        return float(((a.double() - b.double()) ** 2).mean())
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    return float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))


def psnr_from_mse(mse_value, data_range=255.0):
    """PSNR in dB of a mean squared error, for samples whose peak is data_range; inf at 0."""
    if mse_value == 0:
        return float("inf")
    return float(10 * np.log10(float(data_range) ** 2 / mse_value))


def psnr(a, b, data_range=255.0):
    """PSNR in dB of two pictures (arrays or torch tensors) of the same shape."""
    return psnr_from_mse(mse(a, b), data_range)


# ---------------------------------------------------------------------------------------------
# MS-SSIM

def ms_ssim_backend():
    """"torch" when pytorch-msssim (and torch) import, else "numpy"."""
    try:
        import pytorch_msssim  # noqa: F401
        import torch  # noqa: F401
    except Exception:
        return "numpy"
    return "torch"


def _as_hwc(x):
    x = x.detach().cpu().numpy() if _is_torch(x) else np.asarray(x)
    if x.ndim == 2:
        return x[:, :, None]
    if x.ndim != 3:
        raise ValueError(f"expected a picture [H, W, C] or [H, W], got shape {x.shape}")
    return x


def ms_ssim(a, b, data_range=255.0, backend="auto"):
    """MS-SSIM of two pictures [H, W, C] or [H, W] (1.0 for identical pictures)."""
    x, y = _as_hwc(a), _as_hwc(b)
    if x.shape != y.shape:
        raise ValueError(f"shapes differ: {x.shape[:2]} vs {y.shape[:2]}")
    if min(x.shape[:2]) <= (WINDOW - 1) * 2 ** (len(WEIGHTS) - 1):
        raise ValueError(f"picture {x.shape[:2]} too small for 5-scale MS-SSIM "
                         f"(the smaller side must exceed {(WINDOW - 1) * 2 ** (len(WEIGHTS) - 1)})")
    if backend == "auto":
        backend = ms_ssim_backend()
    if backend == "torch":
        import torch
        from pytorch_msssim import ms_ssim as _ms_ssim

        tx = torch.from_numpy(np.array(x, copy=True)).permute(2, 0, 1).unsqueeze(0).float()
        ty = torch.from_numpy(np.array(y, copy=True)).permute(2, 0, 1).unsqueeze(0).float()
        with torch.no_grad():
            return float(_ms_ssim(tx, ty, data_range=data_range, size_average=True))
    if backend != "numpy":
        raise ValueError(f"backend must be 'auto', 'torch' or 'numpy', not {backend!r}")
    return float(np.mean([_ms_ssim_channel(x[..., c], y[..., c], data_range)
                          for c in range(x.shape[2])]))


def _gaussian(size=WINDOW, sigma=SIGMA):
    x = np.arange(size, dtype=np.float64) - size // 2
    g = np.exp(-(x ** 2) / (2 * sigma ** 2))
    return g / g.sum()


def _filter_valid(img, g):
    """Separable 'valid' filtering of a 2-D array with the 1-D window g (rows, then columns)."""
    k = len(g)
    h, w = img.shape
    rows = sum(g[i] * img[:, i:w - k + 1 + i] for i in range(k))
    return sum(g[i] * rows[i:h - k + 1 + i, :] for i in range(k))


def _ssim_cs(x, y, data_range):
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
    """torch's avg_pool2d(kernel_size=2, padding=(h % 2, w % 2)), count_include_pad: an odd side
    gets a zero row/column in front (the one behind falls outside every window)."""
    if x.shape[0] % 2:
        x = np.concatenate([np.zeros((1, x.shape[1])), x], axis=0)
    if x.shape[1] % 2:
        x = np.concatenate([np.zeros((x.shape[0], 1)), x], axis=1)
    return 0.25 * (x[0::2, 0::2] + x[1::2, 0::2] + x[0::2, 1::2] + x[1::2, 1::2])


def _ms_ssim_channel(x, y, data_range=255.0):
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    values = []
    for scale in range(len(WEIGHTS)):
        ssim, cs = _ssim_cs(x, y, data_range)
        values.append(ssim if scale == len(WEIGHTS) - 1 else cs)
        if scale < len(WEIGHTS) - 1:
            x, y = _pool2(x), _pool2(y)
    v = np.maximum(np.asarray(values), 0.0)
    return float(np.prod(v ** np.asarray(WEIGHTS)))


# ---------------------------------------------------------------------------------------------
# texture statistic

def gradient_energy(img):
    x = np.asarray(img, dtype=np.float64)
    return float(np.sum((x[:, 1:] - x[:, :-1]) ** 2) + np.sum((x[1:] - x[:-1]) ** 2))


def gradient_energy_ratio(decoded, original):
    """gradient_energy(decoded) / gradient_energy(original)."""
    return gradient_energy(decoded) / gradient_energy(original)
