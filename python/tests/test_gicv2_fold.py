"""python/gicv2/fold_z_step.py and channel_gains.py: folding z's step t, or per-channel steps for
y and z, into the network codes exactly as those steps do."""
import importlib.util
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if importlib.util.find_spec("torch"):
    import torch


@unittest.skipUnless(importlib.util.find_spec("torch"), "torch not available")
class FoldZStep(unittest.TestCase):
    def model(self, state=None):
        from gicv1 import model as gm

        torch.manual_seed(3)
        m = gm.GICv1(N=16, M=24, W=16).eval()
        with torch.no_grad():  # a prior with some shape: random cumulative-logit parameters
            for p in m.entropy_bottleneck.parameters():
                p.add_(0.3 * torch.randn_like(p))
        if state is not None:
            m.load_state_dict(state)
        return m

    def test_folded_model_with_step_1_codes_as_the_original_with_step_t(self):
        from gicv2.fold_z_step import fold
        from gicv2.probe_z_step import code

        original = self.model()
        torch.manual_seed(5)
        x = torch.rand(1, 3, 64, 64)
        for t in (2.0, 6.0):
            with self.subTest(t=t):
                folded = self.model(fold(original.state_dict(), t))
                for r in (0, 128, 255):
                    bz, by, xh = code(original, x, r, t)
                    fz, fy, fx = code(folded, x, r, 1.0)
                    self.assertAlmostEqual(fz, bz, delta=1e-3 * max(1.0, bz))
                    self.assertAlmostEqual(fy, by, delta=1e-3 * max(1.0, by))
                    self.assertLess(float((fx - xh).abs().max()), 1e-4)

    def test_fold_rejects_a_non_positive_step(self):
        from gicv2.fold_z_step import fold

        with self.assertRaises(ValueError):
            fold(self.model().state_dict(), 0.0)

    def test_per_channel_steps_fold_exactly(self):
        from gicv2.channel_gains import fold, rd

        original = self.model()
        with torch.no_grad():  # U starts as the identity (conv_out and FiLM at zero): give it some
            for p in original.reverse.parameters():
                p.add_(0.05 * torch.randn_like(p))
        torch.manual_seed(7)
        g = torch.exp(0.4 * torch.randn(original.M))
        t = torch.exp(0.4 * torch.randn(original.entropy_bottleneck.quantiles.size(0)))
        folded = self.model(fold(original.state_dict(), g, t))
        x = torch.rand(2, 3, 64, 64)
        with torch.no_grad():
            for r in (0, 128, 255):
                q = torch.full((2,), original.rate.q(r))
                b0, m0 = rd(original, x, q, torch.log(g), torch.log(t))
                b1, m1 = rd(folded, x, q, torch.zeros_like(g), torch.zeros_like(t))
                self.assertAlmostEqual(b1.item(), b0.item(), delta=1e-4 * max(1.0, b0.item()))
                self.assertAlmostEqual(m1.item(), m0.item(), delta=1e-6)
            # The reverse network sees the folded latent: U'(g x) = g U(x).
            lat = 4 * torch.randn(1, original.M, 8, 8)
            gv = g.view(1, -1, 1, 1)
            self.assertLess(float((folded.reverse(lat * gv, 3.0) / gv - original.reverse(lat, 3.0)).abs().max()), 1e-4)
        # Folding the inverse gives the original back.
        back = fold(fold(original.state_dict(), g, t), 1 / g, 1 / t)
        for k, v in original.state_dict().items():
            if v.is_floating_point():
                self.assertTrue(torch.allclose(back[k], v, rtol=1e-5, atol=1e-6), k)
        with self.assertRaises(ValueError):
            fold(original.state_dict(), -g, t)
        with self.assertRaises(ValueError):
            fold(original.state_dict(), g[:-1], t)


if __name__ == "__main__":
    unittest.main()
