"""Tests of the sampler-noise probe (python/gicv2/probe_sampler_noise.py).

Run: python3 -m unittest discover -s python/tests -p 'test_gicv2_*.py' -v
Skipped where torch or pytorch-msssim do not import (the probe uses the evaluation's metrics).
"""
import os
import sys
import unittest

import numpy as np

try:
    import torch
    import pytorch_msssim  # noqa: F401
except ImportError:  # pragma: no cover - depends on the machine
    raise unittest.SkipTest("torch / pytorch-msssim not installed: sampler-noise probe tests skipped")

PYTHON = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
ROOT = os.path.dirname(PYTHON)
sys.path.insert(0, PYTHON)
from gicv1 import model as gm  # noqa: E402
from gicv2 import metrics  # noqa: E402
from gicv2 import model as g2  # noqa: E402
from gicv2 import probe_sampler_noise as probe  # noqa: E402


class SamplerNoiseProbeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.manual_seed(3)
        cls.model = g2.build(16, 16, 16).eval()
        with torch.no_grad():  # U starts as the identity; make it a real function of its input
            for p in cls.model.reverse.parameters():
                p.add_(0.05 * torch.randn_like(p))
        img = metrics.read_rgb(os.path.join(ROOT, "data", "images", "test-768x512.png"))
        cls.crop = np.ascontiguousarray(img[64:192, 128:256])

    def test_the_amplitude_is_q_or_clamped_to_k_sigma(self):
        sigma = torch.tensor([0.1, 1.0, 4.0, 40.0])
        self.assertEqual(probe.noise_amplitude(8.0, sigma, None).tolist(), [8.0] * 4)
        np.testing.assert_allclose(probe.noise_amplitude(8.0, sigma, 0.5).numpy(), [0.05, 0.5, 2.0, 8.0])

    def test_without_noise_the_probe_is_the_normative_sampler(self):
        r = 100
        y_hat = 20 * torch.randn(1, 16, 8, 8)
        sigma = torch.full_like(y_hat, 3.0)
        mine = probe.sample_two_steps(self.model, y_hat, sigma, r, 0.0, None, torch.Generator().manual_seed(0))
        self.model.sampler.alpha.copy_(torch.from_numpy(gm.default_alpha(value=0.0)))
        ref = self.model.sample(y_hat, r, 2, seed=None)
        torch.testing.assert_close(mine, ref)

    def test_unclamped_noise_is_the_normative_sampler_given_the_same_draws(self):
        r = 60
        y_hat = 20 * torch.randn(1, 16, 8, 8)
        u = torch.rand(1, 16, 8, 8) - 0.5
        mine = probe.sample_two_steps(self.model, y_hat, torch.ones_like(y_hat), r, 1.0, None, None, u=u)
        self.model.sampler.alpha.copy_(torch.from_numpy(gm.default_alpha(value=1.0)))
        ref = self.model.sample(y_hat, r, 2, seed=0, noise=lambda i, shape: u[0])
        torch.testing.assert_close(mine, ref)

    def test_clamping_to_a_huge_sigma_changes_nothing_and_a_tiny_one_removes_the_noise(self):
        r = 100
        y_hat = 20 * torch.randn(1, 16, 8, 8)

        def run(sigma, clamp, alpha=1.0):
            return probe.sample_two_steps(self.model, y_hat, torch.full_like(y_hat, sigma), r, alpha, clamp,
                                          torch.Generator().manual_seed(5))
        torch.testing.assert_close(run(1e6, 1.0), run(1.0, None))
        torch.testing.assert_close(run(1e-12, 1.0), run(1.0, None, alpha=0.0))
        self.assertFalse(torch.equal(run(1.0, None), run(1.0, None, alpha=0.0)))

    def test_every_decode_kind_is_a_picture_of_the_crop_size(self):
        kinds = list(probe.decodes(self.model, self.crop, 0.5, [0.0, 1.0], [0.5], ceiling=True))
        names = [k for k, _, _ in kinds]
        self.assertEqual(names, ["0 steps", "2 steps, alpha 0", "2 steps, alpha 1",
                                 "2 steps, alpha 1, noise <= 0.5 sigma",
                                 "g_s(y), no rate", "g_s(mu)", "g_s(mu + sigma n)"])
        for _, dec, _ in kinds:
            self.assertEqual(dec.shape, self.crop.shape)
            self.assertEqual(dec.dtype, np.uint8)
        self.assertTrue(all(bpp > 0 for _, _, bpp in kinds[:4]))
        self.assertTrue(all(np.isnan(bpp) for _, _, bpp in kinds[4:]))


if __name__ == "__main__":
    unittest.main()
