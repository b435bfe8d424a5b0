"""Tests of the gic-v1 PyTorch reference (python/gicv1); torch and numpy only, tiny models.

Run: python3 -m unittest discover -s python/tests -v   (or this file alone)
The CompressAI cross-checks at the end run only where CompressAI imports; the whole module is
skipped where torch does not import (CI installs NumPy only; torch: `pip install
torch==2.13.0+cpu`).
"""
import math
import os
import sys
import unittest

import numpy as np

try:
    import torch
except ImportError:  # pragma: no cover - depends on the machine
    raise unittest.SkipTest("torch is not installed: the gic-v1 PyTorch reference tests are skipped")

PYTHON = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, PYTHON)
from gicv1 import float_codec, msssim, prng  # noqa: E402
from gicv1 import model as gm  # noqa: E402

N, M, W = 8, 12, 8


def tiny(seed=0):
    torch.manual_seed(seed)
    return gm.GICv1(N, M, W).eval()


def randomize_reverse(model, seed=1):
    """U starts as the identity (zero-initialised conv_out/FiLM); give it random weights."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.reverse.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.1)


def expected_keys(n_gdn_prefixes=(("g_a", (1, 3, 5)), ("g_s", (1, 3, 5)))):
    keys = ["entropy_bottleneck.quantiles", "entropy_bottleneck._offset", "entropy_bottleneck._quantized_cdf",
            "entropy_bottleneck._cdf_length", "entropy_bottleneck.target",
            "entropy_bottleneck.likelihood_lower_bound.bound"]
    keys += [f"entropy_bottleneck.matrices.{i}" for i in range(5)]
    keys += [f"entropy_bottleneck.biases.{i}" for i in range(5)]
    keys += [f"entropy_bottleneck.factors.{i}" for i in range(4)]
    for prefix, gdns in n_gdn_prefixes:
        for i in range(7):
            if i in gdns:
                keys += [f"{prefix}.{i}.beta", f"{prefix}.{i}.gamma", f"{prefix}.{i}.beta_reparam.pedestal",
                         f"{prefix}.{i}.beta_reparam.lower_bound.bound", f"{prefix}.{i}.gamma_reparam.pedestal",
                         f"{prefix}.{i}.gamma_reparam.lower_bound.bound"]
            else:
                keys += [f"{prefix}.{i}.weight", f"{prefix}.{i}.bias"]
    for prefix in ("h_a", "h_s"):
        keys += [f"{prefix}.{i}.{p}" for i in (0, 2, 4) for p in ("weight", "bias")]
    keys += [f"reverse.cond.{i}.{p}" for i in (0, 2) for p in ("weight", "bias")]
    keys += [f"reverse.film{k}.{p}" for k in range(3) for p in ("weight", "bias")]
    keys += [f"reverse.{c}.{p}" for c in ("conv_in", "conv_down", "conv_mid", "conv_up", "conv_out")
             for p in ("weight", "bias")]
    keys += ["rate.q_max", "rate.q_min", "sampler.alpha", "sampler.extra_levels"]
    return keys


class StateDict(unittest.TestCase):
    def test_key_names(self):
        self.assertEqual(sorted(tiny().state_dict().keys()), sorted(expected_keys()))

    def test_shapes(self):
        sd = tiny().state_dict()
        shapes = {
            "g_a.0.weight": (N, 3, 5, 5), "g_a.6.weight": (M, N, 5, 5), "g_a.1.gamma": (N, N),
            "g_s.0.weight": (M, N, 5, 5), "g_s.6.weight": (N, 3, 5, 5), "g_s.6.bias": (3,),
            "h_a.0.weight": (N, M, 3, 3), "h_a.4.weight": (N, N, 5, 5),
            "h_s.0.weight": (N, M, 5, 5), "h_s.2.weight": (M, 3 * M // 2, 5, 5),
            "h_s.4.weight": (2 * M, 3 * M // 2, 3, 3),
            "entropy_bottleneck.quantiles": (N, 1, 3), "entropy_bottleneck.matrices.0": (N, 3, 1),
            "entropy_bottleneck.matrices.4": (N, 1, 3), "entropy_bottleneck.biases.4": (N, 1, 1),
            "entropy_bottleneck.factors.3": (N, 3, 1), "entropy_bottleneck._offset": (0,),
            "entropy_bottleneck.target": (3,),
            "reverse.cond.0.weight": (64, 1), "reverse.cond.2.weight": (64, 64),
            "reverse.film0.weight": (2 * W, 64), "reverse.film2.bias": (2 * W,),
            "reverse.conv_in.weight": (W, M, 3, 3), "reverse.conv_down.weight": (W, W, 3, 3),
            "reverse.conv_mid.weight": (W, W, 3, 3), "reverse.conv_up.weight": (4 * W, W, 3, 3),
            "reverse.conv_out.weight": (M, W, 3, 3),
            "rate.q_max": (1,), "rate.q_min": (1,), "sampler.alpha": (4, 4), "sampler.extra_levels": (1,),
        }
        for k, s in shapes.items():
            self.assertEqual(tuple(sd[k].shape), s, k)
        self.assertEqual(sd["sampler.extra_levels"].dtype, torch.int32)
        self.assertEqual(sd["entropy_bottleneck._quantized_cdf"].dtype, torch.int32)
        self.assertEqual(float(sd["rate.q_max"]), 8.0)
        self.assertEqual(float(sd["rate.q_min"]), 0.5)
        self.assertEqual(int(sd["sampler.extra_levels"]), 128)
        self.assertAlmostEqual(float(sd["entropy_bottleneck.target"][2]), math.log(2 / 1e-9 - 1), places=3)

    def test_stride_2_strides_and_paddings(self):
        m = tiny()
        self.assertEqual(m.g_a[0].stride, (2, 2))
        self.assertEqual(m.g_a[0].padding, (2, 2))
        self.assertEqual(m.g_s[0].output_padding, (1, 1))
        self.assertEqual(m.h_a[0].stride, (1, 1))
        self.assertEqual(m.h_a[1].negative_slope, 0.01)
        self.assertEqual(m.reverse.conv_down.stride, (2, 2))


class Shapes(unittest.TestCase):
    def test_forward_train(self):
        m = tiny().train()
        x = torch.rand(2, 3, 64, 128)
        out = m.forward_train(x, torch.tensor([0.5, 8.0]))
        self.assertEqual(tuple(out["x_hat0"].shape), (2, 3, 64, 128))
        self.assertEqual(tuple(out["x_hat1"].shape), (2, 3, 64, 128))
        for k in ("bits_y", "bits_z", "lat_q", "lat_mid"):
            self.assertEqual(tuple(out[k].shape), (2,), k)
            self.assertTrue(torch.isfinite(out[k]).all(), k)
        loss = out["bits_y"].sum() + ((out["x_hat1"] - x) ** 2).sum() + out["lat_mid"].sum()
        loss.backward()
        self.assertIsNone(m.entropy_bottleneck.quantiles.grad)  # medians are detached
        self.assertIsNotNone(m.g_a[0].weight.grad)
        m.aux_loss().backward()
        self.assertIsNotNone(m.entropy_bottleneck.quantiles.grad)

    def test_codec_shapes_and_crop(self):
        m = tiny()
        img = (np.arange(70 * 100 * 3) % 251).astype(np.uint8).reshape(70, 100, 3)
        enc = float_codec.encode_image(m, img, 100)
        self.assertEqual(enc["z_symbols"].shape, (N, 2, 2))  # padded to 128 x 128
        self.assertEqual(enc["y_symbols"].shape, (M, 8, 8))
        self.assertEqual(enc["z_symbols"].dtype, np.int32)
        out = float_codec.decode_symbols(m, enc["z_symbols"], enc["y_symbols"], 100, 2, 5, 70, 100)
        self.assertEqual(out.shape, (70, 100, 3))
        self.assertEqual(out.dtype, np.uint8)

    def test_reverse_shape_and_identity_init(self):
        m = tiny()
        x = torch.randn(1, M, 8, 12)
        self.assertTrue(torch.equal(m.reverse(x, 2.0), x))
        randomize_reverse(m)
        self.assertEqual(tuple(m.reverse(x, torch.tensor([2.0])).shape), (1, M, 8, 12))


class RateSchedule(unittest.TestCase):
    def test_levels(self):
        r = gm.RateSchedule()
        self.assertAlmostEqual(r.q(0), 8.0)
        self.assertAlmostEqual(r.q(255), 0.5, places=12)
        self.assertAlmostEqual(r.q(383), 8.0 * math.exp(-math.log(16) / 255 * 383))
        with self.assertRaises(ValueError):
            r.q(384)
        self.assertEqual(r.rate_index(0.0), 0)
        self.assertEqual(r.rate_index(1.0), 255)
        self.assertEqual(r.rate_index(0.5), 128)

    def test_level_offsets(self):
        table = gm.level_offset_table(gm.RateSchedule().delta())
        self.assertEqual(table.tolist(), [[0, 0, 0, 0], [0, 64, 0, 0], [0, 37, 101, 0], [0, 26, 64, 128]])
        self.assertLessEqual(255 + table.max(), 255 + gm.EXTRA_LEVELS)


class Prng(unittest.TestCase):
    def test_same_values_as_the_swift_decoder(self):
        """The values Tests/ReferenceCodecTests/Codec/CodecGoldenTests.swift checks."""
        self.assertEqual(prng.value_int(0, 0, 0, 0, 0), 0)
        self.assertEqual(prng.value_int(7, 0, 1, 2, 3), 21695)
        self.assertEqual(prng.value_int(2**64 - 1, 3, 95, 31, 47), -5566)
        self.assertEqual(prng.value_int(123456789, 1, 65535, 65535, 65535), 3362)

    # seed 0, key 1, 2, 3: SplitMix64's published first outputs from state 0
    SPLITMIX0 = [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F]
    # (seed, step, c, y, x) -> v; computed with prng.value_int (Python integers) and checked against
    # the numpy and torch implementations
    VALUES = {
        (0, 0, 0, 0, 0): 0,
        (0, 0, 0, 0, 1): -7648,
        (0, 0, 0, 0, 2): 28280,
        (1, 0, 0, 0, 0): 22162,
        (42, 1, 95, 31, 47): -3044,
        (0x0123456789ABCDEF, 3, 7, 100, 200): -25248,
        (2 ** 64 - 1, 65535, 65535, 65535, 65535): -8694,
        (123456789, 2, 0, 5, 9): -8124,
    }

    def test_splitmix_vectors(self):
        for k, z in enumerate(self.SPLITMIX0, start=1):
            self.assertEqual(prng.z_int(0, 0, 0, 0, k), z)
            v = z >> 48
            self.assertEqual(prng.value_int(0, 0, 0, 0, k), v - 65536 if v >= 32768 else v)

    def test_hardcoded_values(self):
        for args, v in self.VALUES.items():
            self.assertEqual(prng.value_int(*args), v, args)
            seed, step, c, y, x = args
            if c < 128 and y < 256 and x < 256:
                a = prng.values_numpy(seed, step, c + 1, y + 1, x + 1)
                self.assertEqual(int(a[c, y, x]), v, args)
                t = prng.values_torch(seed, step, c + 1, y + 1, x + 1)
                self.assertEqual(int(t[c, y, x]), v, args)

    def test_implementations_agree(self):
        for seed in (0, 7, 2 ** 63 + 5, 2 ** 64 - 1):
            for step in (0, 1, 3):
                a = prng.values_numpy(seed, step, 3, 4, 5)
                b = prng.values_torch(seed, step, 3, 4, 5).numpy()
                c = np.array([[[prng.value_int(seed, step, ci, yi, xi) for xi in range(5)] for yi in range(4)]
                              for ci in range(3)])
                np.testing.assert_array_equal(a, b)
                np.testing.assert_array_equal(a, c)
        u = prng.noise_numpy(9, 0, 16, 32, 32)
        self.assertTrue((u >= -0.5).all() and (u < 0.5).all())
        self.assertLess(abs(float(u.mean())), 0.02)


class Sampler(unittest.TestCase):
    def setUp(self):
        self.m = tiny()
        randomize_reverse(self.m)
        torch.manual_seed(3)
        self.y_hat = torch.randn(1, M, 8, 8)

    def test_zero_steps_is_g_s_of_y_hat(self):
        x = self.m.sample(self.y_hat, 50, 0, seed=4)
        self.assertTrue(torch.equal(x, self.y_hat))
        s_z = torch.randint(-3, 4, (1, N, 2, 2), dtype=torch.int32)
        s_y = torch.randint(-5, 6, (1, M, 8, 8), dtype=torch.int32)
        y_hat = self.m.y_hat(s_z, s_y, 50)
        img = float_codec.decode_symbols(self.m, s_z[0].numpy(), s_y[0].numpy(), 50, 0, None, 128, 128)
        ref = float_codec.to_u8(self.m.g_s(y_hat).clamp(0, 1))
        np.testing.assert_array_equal(img, ref)

    def test_one_step_is_U(self):
        x = self.m.sample(self.y_hat, 50, 1, seed=4)
        self.assertTrue(torch.allclose(x, self.m.reverse(self.y_hat, self.m.rate.q(50))))

    def test_steps_follow_equation(self):
        r, n, seed = 40, 3, 11
        m = self.m
        with torch.no_grad():
            m.sampler.alpha[n - 1, :2] = torch.tensor([0.7, 0.3])
        d = [0, 37, 101]
        qs = [8.0 * math.exp(-math.log(16) / 255 * (r + di)) for di in d]
        x = self.y_hat
        for i in range(n):
            xh = m.reverse(x, qs[i])
            if i == n - 1:
                x = xh
            else:
                u = torch.from_numpy(prng.noise_numpy(seed, i, M, 8, 8, np.float64)).float()
                x = xh + (qs[i + 1] / qs[i]) * (x - xh) + [0.7, 0.3][i] * qs[i + 1] * u
        self.assertTrue(torch.allclose(m.sample(self.y_hat, r, n, seed=seed), x, atol=1e-5))
        # without noise the sampler is deterministic and differs from the noisy one
        a = m.sample(self.y_hat, r, n, seed=None)
        self.assertTrue(torch.equal(a, m.sample(self.y_hat, r, n, seed=None)))
        self.assertFalse(torch.allclose(a, x))

    def test_y_hat_definition(self):
        m = self.m
        with torch.no_grad():
            m.entropy_bottleneck.quantiles[:, 0, 1] = torch.linspace(-1, 1, N)
        s_z = torch.randint(-3, 4, (1, N, 2, 2), dtype=torch.int32)
        s_y = torch.randint(-5, 6, (1, M, 8, 8), dtype=torch.int32)
        z_hat = s_z.float() + torch.linspace(-1, 1, N).view(1, -1, 1, 1)
        _, mu = m.h_s(z_hat).chunk(2, 1)
        self.assertTrue(torch.allclose(m.y_hat(s_z, s_y, 77), s_y.float() * m.rate.q(77) + mu, atol=1e-6))


class Gdn(unittest.TestCase):
    def test_reparam_round_trip(self):
        g = gm.GDN(5)
        beta, gamma = g.effective()
        self.assertTrue(torch.allclose(beta, torch.ones(5), atol=1e-6))
        self.assertTrue(torch.allclose(gamma, 0.1 * torch.eye(5), atol=1e-6))
        p = gm.NonNegativeParametrizer(minimum=1e-6)
        self.assertEqual(float(p.pedestal), 2.0 ** -36)
        self.assertAlmostEqual(float(p.lower_bound.bound), math.sqrt(1e-6 + 2.0 ** -36), places=9)
        v = torch.tensor([0.0, 1e-7, 1e-3, 0.5, 3.0], dtype=torch.float64)
        p = p.double()
        back = p(p.init(v))
        floor = float(p.lower_bound.bound) ** 2 - float(p.pedestal)  # ~1e-6 (bound is float32-rounded)
        self.assertAlmostEqual(floor, 1e-6, delta=1e-12)
        self.assertTrue(torch.allclose(back, torch.clamp(v, min=floor), rtol=1e-12, atol=1e-18))

    def test_formula(self):
        g = gm.GDN(3)
        with torch.no_grad():
            g.beta.copy_(g.beta_reparam.init(torch.tensor([1.0, 2.0, 0.5])))
            g.gamma.copy_(g.gamma_reparam.init(torch.tensor([[0.1, 0.2, 0.0], [0.0, 0.3, 0.1], [0.05, 0.0, 0.2]])))
        x = torch.randn(1, 3, 2, 2)
        beta, gamma = g.effective()
        norm = beta.view(1, 3, 1, 1) + torch.einsum("ij,bjhw->bihw", gamma, x * x)
        self.assertTrue(torch.allclose(g(x), x / torch.sqrt(norm), atol=1e-6))
        g.inverse = True
        self.assertTrue(torch.allclose(g(x), x * torch.sqrt(norm), atol=1e-6))

    def test_lower_bound_gradient(self):
        x = torch.tensor([-1.0, 2.0], requires_grad=True)
        y = gm.lower_bound(x, 0.5)
        (y * torch.tensor([1.0, 1.0])).sum().backward()
        self.assertEqual(x.grad.tolist(), [0.0, 1.0])  # below the bound, pushed down: no gradient
        x.grad = None
        (gm.lower_bound(x, 0.5) * torch.tensor([-1.0, 1.0])).sum().backward()
        self.assertEqual(x.grad.tolist(), [-1.0, 1.0])  # pushed up: passes


class EntropyModels(unittest.TestCase):
    def test_gaussian_likelihood(self):
        gc = gm.GaussianConditional()
        s = torch.arange(-4, 5).float()
        for scale in (0.05, 0.7, 3.0):
            p = gc(s, torch.full_like(s, scale))
            sc = max(scale, 0.11)
            phi = lambda t: 0.5 * math.erfc(-t / math.sqrt(2))  # noqa: E731
            ref = [max(phi((v + 0.5) / sc) - phi((v - 0.5) / sc), 1e-9) for v in s.tolist()]
            self.assertTrue(np.allclose(p.numpy(), ref, rtol=1e-4, atol=1e-9), scale)

    def test_bottleneck_pmf_sums_to_one(self):
        eb = gm.EntropyBottleneck(4)
        z = torch.arange(-600, 601).double().view(1, 1, 1, -1).expand(1, 4, 1, -1)
        p = eb.double().likelihood(z)  # the initial density is wide (init_scale 10): a wide range
        self.assertEqual(tuple(p.shape), (1, 4, 1, 1201))
        self.assertTrue(torch.allclose(p.sum(-1), torch.ones(1, 4, 1, dtype=torch.float64), atol=1e-4))

    def test_symbols_round_trip(self):
        eb = gm.EntropyBottleneck(3)
        with torch.no_grad():
            eb.quantiles[:, 0, 1] = torch.tensor([0.3, -0.2, 0.0])
        z = torch.randn(1, 3, 4, 4) * 4
        s = eb.symbols(z)
        self.assertTrue(torch.equal(eb.dequantize(s), eb.quantize(z, "round")))


class MsSsim(unittest.TestCase):
    def test_identical_and_noisy(self):
        rng = np.random.default_rng(0)
        base = rng.integers(0, 256, (1, 1, 3)) + np.zeros((200, 240, 3))
        yy, xx = np.mgrid[0:200, 0:240]
        img = np.clip(base + 60 * np.sin(xx / 9.0)[..., None] + 40 * np.cos(yy / 13.0)[..., None], 0, 255)
        img = img.astype(np.uint8)
        self.assertAlmostEqual(msssim.ms_ssim(img, img), 1.0, places=12)
        noisy = np.clip(img + rng.normal(0, 20, img.shape), 0, 255).astype(np.uint8)
        v = msssim.ms_ssim(img, noisy)
        self.assertLess(v, 0.99)
        self.assertGreater(v, 0.0)
        self.assertAlmostEqual(msssim.gradient_energy_ratio(img, img), 1.0)
        self.assertGreater(msssim.gradient_energy_ratio(noisy, img), 1.0)
        with self.assertRaises(ValueError):
            msssim.ms_ssim(img[:100], img[:100])


class TrainSmoke(unittest.TestCase):
    def test_train_runs_and_checkpoint_loads(self):
        import tempfile

        from gicv1 import train

        rng = np.random.default_rng(0)
        with tempfile.TemporaryDirectory() as tmp:
            bundle = os.path.join(tmp, "b.npz")
            np.savez(bundle, **{"train/a.png": rng.integers(0, 256, (70, 80, 3), dtype=np.uint8),
                                "train/b.png": rng.integers(0, 256, (64, 64, 3), dtype=np.uint8),
                                "test/c.png": rng.integers(0, 256, (40, 50, 3), dtype=np.uint8),
                                "train_weights": np.array([2.0, 1.0]), "train_names": np.array(["a.png", "b.png"]),
                                "test_names": np.array(["c.png"])})
            out = os.path.join(tmp, "ck.pt")
            import contextlib
            import io

            with contextlib.redirect_stdout(io.StringIO()):
                train.main(["--data", bundle, "--out", out, "--device", "cpu", "--minutes", "0.01", "--batch", "2",
                            "--crop", "64", "--N", str(N), "--M", str(M), "--W", str(W), "--log-every", "1"])
            m = float_codec.load_model(out)
            self.assertEqual((m.N, m.M, m.W), (N, M, W))
            self.assertTrue(os.path.exists(out + ".json"))


def _compressai():
    try:
        from compressai_env import import_compressai

        return import_compressai()
    except Exception:
        return None


@unittest.skipUnless(_compressai() is not None, "CompressAI not available")
class CompressAICrossCheck(unittest.TestCase):
    def test_state_dict_loads_into_compressai(self):
        from compressai.entropy_models import EntropyBottleneck
        from compressai.layers import GDN
        from compressai.models import MeanScaleHyperprior

        m = tiny()
        ref = MeanScaleHyperprior(N, M)
        rk = ref.state_dict().keys()
        res = ref.load_state_dict({k: v for k, v in m.state_dict().items() if k in rk}, strict=False)
        self.assertTrue(all(k.startswith("gaussian_conditional.") for k in res.missing_keys))
        x = torch.rand(1, 3, 64, 64)
        with torch.no_grad():
            y = m.g_a(x)
            self.assertTrue(torch.equal(ref.g_a(x), y))
            self.assertTrue(torch.equal(ref.g_s(y), m.g_s(y)))
            self.assertTrue(torch.equal(ref.h_s(m.h_a(y)), m.h_s(m.h_a(y))))
        eb, ceb = gm.EntropyBottleneck(4), EntropyBottleneck(4)
        with torch.no_grad():
            for p in eb.parameters():
                p.add_(torch.randn_like(p) * 0.3)
        ceb.load_state_dict(eb.state_dict())
        z = torch.randn(2, 4, 3, 5) * 3
        with torch.no_grad():
            zc, lc = ceb(z, training=False)
            zm, lm = eb(z, mode="round")
        self.assertTrue(torch.equal(zc, zm))
        self.assertTrue(torch.allclose(lc, lm, rtol=0, atol=0))
        self.assertEqual(ceb.loss().item(), eb.loss().item())
        self.assertEqual(set(GDN(4).state_dict().keys()), set(gm.GDN(4).state_dict().keys()))

    def test_export(self):
        from gicv1 import export

        m = tiny()
        randomize_reverse(m)
        arrays = export.export_arrays(m)
        own = set(m.state_dict().keys())
        extra = {"gaussian_conditional." + k for k in ("_offset", "_quantized_cdf", "_cdf_length", "scale_table",
                                                       "scale_bound", "likelihood_lower_bound.bound",
                                                       "lower_bound_scale.bound")}
        self.assertEqual(set(arrays), own | extra | {"sampler.level_offsets"})
        for k, a in arrays.items():
            self.assertIn(a.dtype, (np.float32, np.int32), k)
        self.assertEqual(arrays["entropy_bottleneck._quantized_cdf"].shape[0], N)
        self.assertEqual(arrays["gaussian_conditional.scale_table"].shape, (64,))
        self.assertEqual(arrays["sampler.level_offsets"].tolist()[3], [0, 26, 64, 128])
        back = gm.model_from_state(arrays).eval()
        img = (np.arange(64 * 64 * 3) % 256).astype(np.uint8).reshape(64, 64, 3)
        enc = float_codec.encode_image(m, img, 200)
        a = float_codec.decode_symbols(m, enc["z_symbols"], enc["y_symbols"], 200, 2, 3, 64, 64)
        b = float_codec.decode_symbols(back, enc["z_symbols"], enc["y_symbols"], 200, 2, 3, 64, 64)
        np.testing.assert_array_equal(a, b)


if __name__ == "__main__":
    unittest.main()
