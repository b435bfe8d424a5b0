"""MS-SSIM and a texture statistic for RGB uint8 images: gic.metrics (python/gic/metrics.py),
the one definition, under the names gic-v1's tools import.

ms_ssim(a, b): the 5-scale MS-SSIM of Wang, Simoncelli and Bovik (2003) as pytorch-msssim
computes it (through pytorch-msssim when it is installed, else gic.metrics' NumPy
implementation, which follows pytorch-msssim's conventions: between scales a 2x2 average pool
that pads an odd last row/column with zeros, where this module used to drop it). Pictures
[H, W, 3] or [H, W]; the smaller side must exceed 160 pixels.

gradient_energy_ratio(decoded, original): sum of squared horizontal and vertical finite
differences of `decoded` divided by that of `original` (all channels). 1 means as much
high-frequency energy as the original; blur gives < 1, invented texture or noise > 1.
"""
import os
import sys

_PYTHON = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _PYTHON not in sys.path:
    sys.path.insert(0, _PYTHON)

from gic.metrics import K1, K2, SIGMA, WEIGHTS, WINDOW, gradient_energy, gradient_energy_ratio, ms_ssim  # noqa: E402,F401
