"""gic-v2 training: the sampler-in-the-loop pass, the discriminator, and DDP over two CPU processes."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
PY = os.path.dirname(HERE)
sys.path.insert(0, PY)

try:
    import torch
except ImportError:  # CI without torch: skipped
    torch = None


def tiny_bundle(path, seed=0):
    rng = np.random.default_rng(seed)
    arrays = {f"train/t{i}.png": rng.integers(0, 256, (80, 96, 3), dtype=np.uint8) for i in range(3)}
    arrays["train_weights"] = np.ones(3)
    arrays["train_names"] = np.asarray([f"t{i}.png" for i in range(3)])
    arrays["test_names"] = np.asarray([], dtype="<U1")
    np.savez(path, **arrays)


@unittest.skipUnless(torch is not None, "torch not available")
class GICv2TrainingTests(unittest.TestCase):
    def test_forward_train_shapes_and_gradients(self):
        from gicv2 import model as g2
        torch.manual_seed(0)
        m = g2.build(16, 16, 16)
        d = g2.Discriminator(16)
        x = torch.rand(2, 3, 64, 64)
        q = torch.tensor([0.7, 40.0])
        out = g2.forward_train(m, x, q, alpha=1.0)
        self.assertEqual(out["x_hat2"].shape, x.shape)
        logits, feats = d(out["x_hat2"], out["y_tilde"])
        self.assertEqual(logits.shape, (2, 1, 4, 4))
        self.assertEqual(len(feats), 4)
        (-logits.mean()).backward()
        def moved(p):
            return p.grad is not None and bool(p.grad.abs().sum() > 0)
        self.assertTrue(moved(m.g_s[0].weight))          # the GAN term trains g_s ...
        self.assertFalse(moved(m.g_a[0].weight))         # ... and not the encoder (sampler detached)
        self.assertFalse(moved(m.reverse.conv_in.weight))

    def test_sampler_levels_follow_the_normative_offsets(self):
        from gicv2 import model as g2
        m = g2.build(16, 16, 16)
        self.assertEqual(m.rate.level_offsets(2), [0, 28])  # Delta = ln(512)/255 (q in [0.5, 256])
        self.assertAlmostEqual(g2.step_ratio(m), float(np.exp(-28 * np.log(512) / 255)))

    def test_realism_losses_match_the_evaluation(self):
        from gicv2 import metrics
        from gicv2 import model as g2
        rng = np.random.default_rng(3)
        img = (rng.random((96, 80, 3)) * 255).astype(np.uint8)
        x = torch.tensor(img.transpose(2, 0, 1)[None] / 255.0, dtype=torch.float64)
        ours = g2.binomial_pyramid(x * 255)
        theirs = metrics.laplacian_pyramid(img, metrics.pyramid_levels(96, 80))
        self.assertEqual(len(ours), len(theirs))
        for a, b in zip(ours, theirs):  # the training pyramid is the evaluation's, to rounding
            self.assertLess(float(np.abs(a[0].numpy() - b).max()), 1e-9)
        y = torch.rand(2, 3, 64, 64, dtype=torch.float64)
        self.assertEqual(float(g2.normalized_patch_sw_loss(y, y.clone())), 0.0)
        self.assertEqual(float(g2.gradient_energy_loss(y, y.clone())), 0.0)
        blurred = torch.nn.functional.avg_pool2d(y, 3, 1, 1)
        self.assertGreater(float(g2.normalized_patch_sw_loss(y, blurred)), 0.05)
        self.assertGreater(float(g2.gradient_energy_loss(y, blurred)), 1.0)

    def _tiny_checkpoint(self, path):
        from gicv2 import model as g2
        torch.manual_seed(1)
        m = g2.build(16, 16, 16)
        with torch.no_grad():  # U starts as the identity; give it some weights to move
            for p in m.reverse.parameters():
                p.add_(0.05 * torch.randn_like(p))
        torch.save({"model": m.state_dict(), "step": 0,
                    "config": {"N": 16, "M": 16, "W": 16, "q_max": 64.0, "q_min": 0.5}}, path)
        return m.state_dict()

    def _changed(self, before, after):
        return {k for k, v in before.items() if v.is_floating_point() and not torch.equal(v, after[k])}

    def test_train_reverse_moves_only_the_reverse_network(self):
        from gicv2 import train_reverse
        with tempfile.TemporaryDirectory() as tmp:
            bundle = os.path.join(tmp, "b.npz")
            tiny_bundle(bundle)
            start = os.path.join(tmp, "start.pt")
            before = self._tiny_checkpoint(start)
            out = os.path.join(tmp, "rev.pt")
            train_reverse.main([start, "-o", out, "--data", bundle, "--crop", "64", "--batch", "2",
                                "--steps", "3", "--report-every", "1", "--lr", "1e-3"])
            after = torch.load(out, map_location="cpu")
            changed = self._changed(before, after["model"])
            self.assertTrue(changed)
            self.assertTrue(all(k.startswith("reverse.") for k in changed), changed)
            self.assertEqual(after["reverse_retrained"]["steps"], 3)

    def test_an_optimizer_without_state_warms_up(self):
        """A resume from an exported checkpoint (no optimizer state): with the warm-up, the first
        step moves g_s by 1/1000 of what Adam's unwarmed first step (about lr per weight) does."""
        from gicv2.train import warmup_factor
        self.assertEqual([warmup_factor(k, 4) for k in (0, 1, 3, 9)], [0.25, 0.5, 1.0, 1.0])
        self.assertEqual(warmup_factor(0, 0), 1.0)
        with tempfile.TemporaryDirectory() as tmp:
            bundle = os.path.join(tmp, "b.npz")
            tiny_bundle(bundle)
            start = os.path.join(tmp, "start.pt")
            before = self._tiny_checkpoint(start)
            moved = {}
            for warmup in ("0", "1000"):
                run = os.path.join(tmp, "run" + warmup)
                r = subprocess.run(
                    [sys.executable, os.path.join(PY, "gicv2", "train.py"), "--device", "cpu",
                     "--threads", "1", "--data", bundle, "--resume", start, "--out-dir", run,
                     "--batch", "2", "--crop", "64", "--steps", "1", "--log-every", "1", "--swd", "0",
                     "--gan", "0", "--fm", "0", "--lr-warmup", warmup],
                    capture_output=True, text=True, timeout=600)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                after = torch.load(os.path.join(run, "last.pt"), map_location="cpu")["model"]
                moved[warmup] = max(float((after[k] - v).abs().max()) for k, v in before.items()
                                    if k.startswith("g_s.") and v.is_floating_point())
            self.assertGreater(moved["0"], 0.5e-4)   # about lr = 1e-4
            self.assertLess(moved["1000"], moved["0"] / 100)

    def test_lambda_tied_to_q(self):
        """lmbda(q) = lmbda (q_ref / q)^gamma: 1 at q_ref, falling with q; gamma 0 is one lmbda.
        A training run with it reports its range and trains."""
        from gicv2.train import lmbda_weights
        q = torch.tensor([2.0, 8.0, 32.0])
        torch.testing.assert_close(lmbda_weights(q, 8.0, 1.0), torch.tensor([4.0, 1.0, 0.25]))
        torch.testing.assert_close(lmbda_weights(q, 8.0, 0.0), torch.ones(3))
        with tempfile.TemporaryDirectory() as tmp:
            bundle = os.path.join(tmp, "b.npz")
            tiny_bundle(bundle)
            start = os.path.join(tmp, "start.pt")
            self._tiny_checkpoint(start)
            # the schedule is [0.5, 256]: q_ref = sqrt(128), lmbda 0.01 * sqrt(128) / 256 at q_max
            for extra, said in (([], ""), (["--lmbda-q-on-rate"], " (as the bits weight (q / q_ref)^gamma)")):
                r = subprocess.run(
                    [sys.executable, os.path.join(PY, "gicv2", "train.py"), "--device", "cpu",
                     "--threads", "1", "--data", bundle, "--resume", start, "--out-dir",
                     os.path.join(tmp, "run" + str(len(extra))), "--batch", "2", "--crop", "64", "--steps", "1",
                     "--log-every", "1", "--swd", "0", "--gan", "0", "--fm", "0", "--lmbda-q-exp", "1"] + extra,
                    capture_output=True, text=True, timeout=600)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                self.assertIn(f"# lmbda(q) = 0.01 (11.31 / q)^1{said}: 0.000442 at q_max, 0.226 at q_min", r.stdout)
                self.assertIn("step=1 ", r.stdout)

    def test_freeze_holds_everything_but_g_s_including_the_quantiles(self):
        with tempfile.TemporaryDirectory() as tmp:
            bundle = os.path.join(tmp, "b.npz")
            tiny_bundle(bundle)
            start = os.path.join(tmp, "start.pt")
            before = self._tiny_checkpoint(start)
            run = os.path.join(tmp, "run")
            r = subprocess.run(
                [sys.executable, os.path.join(PY, "gicv2", "train.py"), "--device", "cpu", "--threads", "1",
                 "--data", bundle, "--resume", start, "--out-dir", run, "--batch", "2", "--crop", "64",
                 "--steps", "2", "--log-every", "1", "--gan", "0", "--fm", "0",
                 "--freeze", "g_a.,h_a.,h_s.,entropy_bottleneck.,reverse."],
                capture_output=True, text=True, timeout=600)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            after = torch.load(os.path.join(run, "last.pt"), map_location="cpu")["model"]
            changed = self._changed(before, after)
            self.assertTrue(changed)
            self.assertTrue(all(k.startswith("g_s.") for k in changed), changed)

    def test_freezing_every_generator_part_trains_the_discriminator_alone(self):
        """The device script's warm-up (scripts/train_gicv2_device.sh): no generator weight
        moves, the discriminator does, and a second run resumes from it with everything free."""
        with tempfile.TemporaryDirectory() as tmp:
            bundle = os.path.join(tmp, "b.npz")
            tiny_bundle(bundle)
            start = os.path.join(tmp, "start.pt")
            before = self._tiny_checkpoint(start)
            from gicv2 import model as g2
            torch.manual_seed(2)
            ckpt = torch.load(start, map_location="cpu")
            ckpt["disc"] = g2.Discriminator(16).state_dict()
            torch.save(ckpt, start)
            disc_before = ckpt["disc"]
            run = os.path.join(tmp, "run")
            common = [sys.executable, os.path.join(PY, "gicv2", "train.py"), "--device", "cpu", "--threads", "1",
                      "--data", bundle, "--out-dir", run, "--batch", "2", "--crop", "64", "--steps", "2",
                      "--log-every", "1"]
            r = subprocess.run(common + ["--resume", start, "--swd", "0",
                                         "--freeze", "g_a.,h_a.,h_s.,entropy_bottleneck.,reverse.,g_s."],
                               capture_output=True, text=True, timeout=600)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            saved = torch.load(os.path.join(run, "last.pt"), map_location="cpu")
            self.assertEqual(self._changed(before, saved["model"]), set())
            self.assertTrue(self._changed(disc_before, saved["disc"]))
            r = subprocess.run(common, capture_output=True, text=True, timeout=600)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("g_s.", " ".join(sorted(self._changed(
                before, torch.load(os.path.join(run, "last.pt"), map_location="cpu")["model"]))))

    @unittest.skipUnless(shutil.which("torchrun"), "torchrun not on PATH")
    def test_ddp_two_cpu_processes_stay_in_sync(self):
        with tempfile.TemporaryDirectory() as tmp:
            bundle = os.path.join(tmp, "b.npz")
            tiny_bundle(bundle)
            init = os.path.join(tmp, "init.pt")
            from gicv2 import model as g2
            torch.manual_seed(1)
            m = g2.build(16, 16, 16)
            torch.save({"model": m.state_dict(), "step": 0,
                        "config": {"N": 16, "M": 16, "W": 16, "q_max": 64.0, "q_min": 0.5}}, init)
            r = subprocess.run(
                ["torchrun", "--nproc-per-node", "2", "--master-port", "29517",
                 os.path.join(PY, "gicv2", "train.py"), "--device", "cpu", "--threads", "1",
                 "--data", bundle, "--resume", init, "--out-dir", os.path.join(tmp, "run"),
                 "--batch", "2", "--crop", "64", "--steps", "3", "--log-every", "1", "--check-sync"],
                capture_output=True, text=True, timeout=600)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("2 processes hold identical parameters", r.stdout)
            self.assertTrue(os.path.exists(os.path.join(tmp, "run", "losses.png")))
            with open(os.path.join(tmp, "run", "losses.csv")) as f:
                self.assertEqual(len(f.read().strip().splitlines()), 4)  # header + 3 steps


if __name__ == "__main__":
    unittest.main()
