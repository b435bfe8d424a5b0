"""Tests of the gic-v2 evaluation metrics (python/gicv2/metrics.py): PSNR, MS-SSIM
(pytorch-msssim), the sliced Wasserstein distance of Karras et al. 2018 and the gradient-energy
ratio.

Run: python3 -m unittest discover -s python/tests -p 'test_gicv2_*.py' -v
Skipped where torch or pytorch-msssim do not import.
"""
import os
import sys
import unittest

import numpy as np

try:
    import torch  # noqa: F401
    import pytorch_msssim  # noqa: F401
except ImportError:  # pragma: no cover - depends on the machine
    raise unittest.SkipTest("torch / pytorch-msssim not installed: gic-v2 metric tests skipped")

PYTHON = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
ROOT = os.path.dirname(PYTHON)
sys.path.insert(0, PYTHON)
from gicv1 import msssim as v1  # noqa: E402
from gicv2 import metrics  # noqa: E402


def blur(img, passes):
    """Repeated 3x3 box blur (edge-replicated), uint8 out."""
    x = img.astype(np.float64)
    for _ in range(passes):
        p = np.pad(x, ((1, 1), (1, 1), (0, 0)), mode="edge")
        x = sum(p[dy:dy + x.shape[0], dx:dx + x.shape[1]] for dy in range(3) for dx in range(3)) / 9.0
    return np.clip(np.floor(x + 0.5), 0, 255).astype(np.uint8)


class MetricsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        img = metrics.read_rgb(os.path.join(ROOT, "data", "images", "test-768x512.png"))
        cls.a = np.ascontiguousarray(img[100:356, 200:456])   # 256 x 256 photo crop
        cls.b = np.ascontiguousarray(img[250:450, 400:700])   # 200 x 300, another crop
        cls.kw = {"nhoods": 1024}

    def test_identical(self):
        a = self.a
        r = metrics.swd(a, a.copy(), **self.kw)
        self.assertEqual(r["mean"], 0.0)
        self.assertEqual(len(r["levels"]), 5)  # 256, 128, 64, 32, 16
        self.assertEqual(metrics.gradient_energy_ratio(a, a.copy()), 1.0)
        self.assertEqual(metrics.psnr(a, a.copy()), float("inf"))
        self.assertAlmostEqual(metrics.ms_ssim(self.b, self.b.copy()), 1.0, places=5)

    def test_blur_raises_swd_and_lowers_ratio(self):
        a = self.a
        s1 = metrics.swd(a, blur(a, 1), **self.kw)["mean"]
        s3 = metrics.swd(a, blur(a, 3), **self.kw)["mean"]
        self.assertGreater(s1, 1.0)
        self.assertGreater(s3, s1)
        r1 = metrics.gradient_energy_ratio(blur(a, 1), a)
        r3 = metrics.gradient_energy_ratio(blur(a, 3), a)
        self.assertLess(r1, 0.8)
        self.assertLess(r3, r1)
        self.assertLess(metrics.psnr(a, blur(a, 3)), metrics.psnr(a, blur(a, 1)))
        self.assertLess(metrics.ms_ssim(self.b, blur(self.b, 3)), metrics.ms_ssim(self.b, blur(self.b, 1)))
        self.assertLess(metrics.ms_ssim(self.b, blur(self.b, 1)), 1.0)

    def test_noise_raises_ratio(self):
        rng = np.random.default_rng(3)
        noisy = np.clip(self.a + rng.normal(0, 10, self.a.shape), 0, 255).astype(np.uint8)
        self.assertGreater(metrics.gradient_energy_ratio(noisy, self.a), 1.2)
        self.assertGreater(metrics.swd(self.a, noisy, **self.kw)["mean"], 1.0)

    def test_deterministic(self):
        d = blur(self.a, 2)
        r1 = metrics.swd(self.a, d, **self.kw)
        r2 = metrics.swd(self.a.copy(), d.copy(), **self.kw)
        self.assertEqual(r1, r2)
        other = metrics.swd(self.a, d, seed=7, **self.kw)["mean"]
        self.assertNotEqual(other, r1["mean"])
        self.assertLess(abs(other - r1["mean"]) / r1["mean"], 0.5)  # a different sample, same size

    def test_pooled(self):
        da, db = blur(self.a, 2), blur(self.b, 2)
        pooled = metrics.swd([self.a, self.b], [da, db], **self.kw)
        self.assertEqual(metrics.swd([self.a, self.b], [self.a, self.b], **self.kw)["mean"], 0.0)
        self.assertGreater(pooled["mean"], 0.0)
        # levels: as many as the smallest picture allows (200 x 300: 200, 100, 50, 25 -> 4)
        self.assertEqual(len(pooled["levels"]), 4)
        self.assertEqual(pooled["descriptors"][0], 2048)
        # the single-picture call is the pooled call with one picture
        self.assertEqual(metrics.swd(self.a, da, **self.kw), metrics.swd([self.a], [da], **self.kw))

    def test_reference_normalisation_penalises_contrast(self):
        low = np.clip((self.a.astype(np.float64) - 128) * 0.5 + 128, 0, 255).astype(np.uint8)
        each = metrics.swd(self.a, low, **self.kw)["mean"]
        ref = metrics.swd(self.a, low, normalize="reference", **self.kw)["mean"]
        self.assertGreater(ref, 5 * max(each, 1.0))

    def test_gradient_ratio_is_gicv1s(self):
        d = blur(self.b, 1)
        self.assertEqual(metrics.gradient_energy_ratio(d, self.b), v1.gradient_energy_ratio(d, self.b))

    def test_psnr(self):
        a = np.zeros((4, 4, 3), np.uint8)
        b = a.copy()
        b[0, 0, 0] = 255  # MSE = 255^2 / 48
        self.assertAlmostEqual(metrics.psnr(a, b), 10 * np.log10(48), places=10)

    def test_pyramid_matches_scipy(self):
        try:
            import scipy.ndimage
        except ImportError:
            self.skipTest("scipy not installed")
        g = np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1]) / 256.0
        x = self.a.astype(np.float64).transpose(2, 0, 1)
        down = scipy.ndimage.convolve(x, g[None], mode="mirror")[:, ::2, ::2]
        up = np.zeros_like(x)
        up[:, ::2, ::2] = down
        up = scipy.ndimage.convolve(up, 4 * g[None], mode="mirror")
        pyr = metrics.laplacian_pyramid(self.a, 2)
        np.testing.assert_allclose(pyr[1], down, atol=1e-9)
        np.testing.assert_allclose(pyr[0], x - up, atol=1e-9)
        # the pyramid adds back up to the picture
        odd = np.ascontiguousarray(self.b[:, :299])
        p = metrics.laplacian_pyramid(odd, 4)
        rec = p[-1]
        for lv in range(len(p) - 2, -1, -1):
            rec = p[lv] + metrics._pyr_up(rec, p[lv].shape[1:])
        np.testing.assert_allclose(rec, odd.astype(np.float64).transpose(2, 0, 1), atol=1e-9)

    def test_levels(self):
        self.assertEqual(metrics.pyramid_levels(512, 768), 6)
        self.assertEqual(metrics.pyramid_levels(16, 16), 1)
        self.assertEqual(metrics.pyramid_levels(15, 100), 0)


if __name__ == "__main__":
    unittest.main()
