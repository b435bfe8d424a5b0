"""Tests of the noise-fill design probe (python/gicv2/noise_fill_probe.py).

Run: python3 -m unittest discover -s python/tests -p 'test_gicv2_*.py' -v
Skipped where torch or pytorch-msssim do not import (the probe uses the evaluation's metrics).
"""
import os
import sys
import unittest

import numpy as np

try:
    import torch  # noqa: F401
    import pytorch_msssim  # noqa: F401
except ImportError:  # pragma: no cover - depends on the machine
    raise unittest.SkipTest("torch / pytorch-msssim not installed: noise-fill probe tests skipped")

PYTHON = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
ROOT = os.path.dirname(PYTHON)
sys.path.insert(0, PYTHON)
from gicv2 import metrics  # noqa: E402
from gicv2 import noise_fill_probe as nf  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_gicv2_metrics import blur as box_blur  # noqa: E402  (3x3 box blur, uint8)


class NoiseFillProbeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        img = metrics.read_rgb(os.path.join(ROOT, "data", "images", "test-768x512.png"))
        cls.photo = np.ascontiguousarray(img[100:292, 200:424])   # 192 x 224

    def test_block_mean_averages_partial_tiles_over_their_own_samples(self):
        x = np.arange(5 * 7, dtype=np.float64).reshape(5, 7)
        m = nf.block_mean(x, 4)
        self.assertEqual(m.shape, (2, 2))
        self.assertAlmostEqual(m[0, 0], x[:4, :4].mean())
        self.assertAlmostEqual(m[1, 1], x[4:, 4:].mean())

    def test_quantise_is_half_octave_and_zero_below_the_threshold(self):
        codes, amp = nf.quantise(np.array([0.0, 0.3, 1.0, 2.0, 2.9, 16.0]))
        self.assertEqual(list(codes[:2]), [0, 0])
        np.testing.assert_allclose(amp, [0, 0, 1, 2, 2 * 2 ** 0.5, 16])

    def test_a_perfect_decode_gets_no_noise(self):
        for mode in ("signalled", "predicted"):
            amps = nf.amplitudes(self.photo, self.photo, 32, mode)
            for amp, _ in amps:
                self.assertEqual(float(np.abs(amp).max()), 0.0)
            np.testing.assert_array_equal(nf.fill(self.photo, amps, 32), self.photo)

    def test_the_fill_restores_the_lost_band_energy_deterministically(self):
        blurred = box_blur(self.photo, 3)
        before = metrics.gradient_energy_ratio(blurred, self.photo)
        amps = nf.amplitudes(self.photo, blurred, 32, "signalled")
        filled = nf.fill(blurred, amps, 32)
        after = metrics.gradient_energy_ratio(filled, self.photo)
        self.assertLess(before, 0.5)
        self.assertGreater(after, 0.75)
        self.assertLess(after, 1.3)
        np.testing.assert_array_equal(filled, nf.fill(blurred, amps, 32))
        self.assertFalse(np.array_equal(filled, nf.fill(blurred, amps, 32, seed=1)))
        # the noise is luma: the same added value on the three channels (up to clipping)
        d = filled.astype(np.int64) - blurred.astype(np.int64)
        inside = (filled > 0).all(axis=2) & (filled < 255).all(axis=2)
        np.testing.assert_array_equal(d[..., 0][inside], d[..., 1][inside])

    def test_side_information_is_the_zeroth_order_entropy(self):
        self.assertEqual(nf.entropy_bits(np.zeros(100, dtype=np.int64)), 0.0)
        self.assertAlmostEqual(nf.entropy_bits(np.array([0, 1, 0, 1])), 4.0)


if __name__ == "__main__":
    unittest.main()
