"""python/gicv2/fold_z_step.py: folding z's step t into the network codes exactly as step t does."""
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


if __name__ == "__main__":
    unittest.main()
