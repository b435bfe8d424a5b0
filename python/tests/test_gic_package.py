"""Tests of the gic package (python/gic, distribution gic-codec) from the checkout: .gicw read
and write (against gic-convert where it is built), decode and info, the tools' location, the
command line, the metrics (against pytorch-msssim where it is installed) and the export (where
torch and CompressAI import). The installed package is tested by test_gic_venv.py.

Run: python3 -m unittest discover -s python/tests -p 'test_gic_*.py' -v
"""
import contextlib
import glob
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
PYTHON = os.path.join(ROOT, "python")
sys.path.insert(0, PYTHON)
sys.path.insert(0, os.path.join(PYTHON, "tests"))

import gic  # noqa: E402
from gic import metrics  # noqa: E402
import gic_package_check  # noqa: E402

RELEASE = os.path.join(ROOT, ".build", "release")
CONF = os.path.join(ROOT, "conformance")


def tool(name):
    p = os.path.join(RELEASE, name)
    return p if os.access(p, os.X_OK) else None


def manifest(folder=CONF):
    with open(os.path.join(folder, "manifest.json"), encoding="utf-8") as f:
        return json.load(f)


@contextlib.contextmanager
def gic_bin(path=RELEASE):
    """GIC_BIN set to path (default .build/release) while the block runs: where gic.tools looks
    for gic-convert and gic-ref first."""
    old = os.environ.get("GIC_BIN")
    os.environ["GIC_BIN"] = path
    try:
        yield
    finally:
        if old is None:
            del os.environ["GIC_BIN"]
        else:
            os.environ["GIC_BIN"] = old


def cli(*args, env=None):
    e = dict(os.environ)
    e["PYTHONPATH"] = PYTHON
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "gic", *args], capture_output=True, text=True, env=e,
                          cwd=ROOT)


def compressai():
    try:
        from compressai_env import import_compressai

        import_compressai()
        import torch  # noqa: F401
        from compressai.models import MeanScaleHyperprior  # noqa: F401
    except Exception as e:  # pragma: no cover - depends on the machine
        return str(e)
    return None


class Containers(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def test_shipped_models_read_and_write_back_byte_identically(self):
        paths = glob.glob(os.path.join(ROOT, "models", "*.gicw")) + glob.glob(os.path.join(CONF, "models", "*.gicw"))
        paths += glob.glob(os.path.join(ROOT, "Tests", "ReferenceCodecTests", "Fixtures", "codec", "*.gicw"))
        self.assertGreaterEqual(len(paths), 5)
        for p in paths:
            meta, tensors = gic.read(p)
            self.assertIsInstance(meta, dict)
            self.assertTrue(all(isinstance(a, np.ndarray) for a in tensors.values()))
            meta, tensors, extras = gic.read(p, extras=True)
            out = os.path.join(self.tmp.name, "x.gicw")
            digest = gic.write(out, tensors, meta, **extras)
            with open(p, "rb") as a, open(out, "rb") as b:
                original = a.read()
                self.assertEqual(b.read(), original, p)
            self.assertEqual(digest, original[32:64].hex())

    def test_read_gives_values_dtypes_and_shapes(self):
        meta, t = gic.read(os.path.join(ROOT, "models", "gic-v2.gicw"))
        self.assertEqual(meta["gic.profile"], "gic-v1")
        self.assertEqual(t["g_a.0.weight"].dtype, np.int16)
        self.assertEqual(t["g_a.0.weight"].shape, (48, 3, 5, 5))
        self.assertEqual(t["entropy_bottleneck.medians"].dtype, np.int32)

    @unittest.skipUnless(tool("gic-convert"), "gic-convert not built (swift build -c release)")
    def test_write_is_gic_converts_raw_output(self):
        arrays = gic_package_check.raw_arrays()
        npz = os.path.join(self.tmp.name, "raw.npz")
        np.savez(npz, **arrays)
        swift = os.path.join(self.tmp.name, "swift.gicw")
        subprocess.run([tool("gic-convert"), npz, "-o", swift, "--profile", "raw", "--quiet"], check=True)
        meta, back = gic.read(swift)
        mine = os.path.join(self.tmp.name, "python.gicw")
        gic.write(mine, arrays, meta)
        with open(swift, "rb") as a, open(mine, "rb") as b:
            self.assertEqual(a.read(), b.read())
        if set(meta) == {"gic.profile"}:  # the converter records nothing else (yet): the default
            gic.write(mine, arrays)
            with open(swift, "rb") as a, open(mine, "rb") as b:
                self.assertEqual(a.read(), b.read())
        for k, v in arrays.items():
            self.assertEqual(back[k].shape, v.shape, k)
            np.testing.assert_array_equal(back[k], v, k)

    def test_write_refuses_what_no_container_holds(self):
        out = os.path.join(self.tmp.name, "bad.gicw")
        bad = {
            "complex dtype": ({"x": np.zeros(2, np.complex64)}, None),
            "object dtype": ({"x": np.array(["a"], dtype=object)}, None),
            "empty name": ({"": np.zeros(2)}, None),
            "long name": ({"n" * 1025: np.zeros(2)}, None),
            "bool metadata": ({}, {"k": True}),
            "float metadata": ({}, {"k": 1.5}),
            "deep list": ({}, {"k": [[[[1]]]]}),
            "huge integer": ({}, {"k": 1 << 63}),
            "long key": ({}, {"k" * 256: 1}),
        }
        for what, (tensors, meta) in bad.items():
            with self.assertRaises(ValueError, msg=what):
                gic.write(out, tensors, meta)
            self.assertFalse(os.path.exists(out), what)
        with self.assertRaises(ValueError):
            gic.write(out, {"a": np.zeros(2)}, quantization={"b": ("tensor", [(1, 0, 0)])})
        with self.assertRaises(ValueError):  # float tensors cannot be quantized (§5.2)
            gic.write(out, {"a": np.zeros(2, np.float32)}, quantization={"a": ("tensor", [(1, 0, 0)])})
        self.assertEqual(os.listdir(self.tmp.name), [])  # no temporary file left either

    def test_write_torch_tensors_and_metadata(self):
        try:
            import torch
        except ImportError:
            self.skipTest("torch not installed")
        out = os.path.join(self.tmp.name, "t.gicw")
        gic.write(out, {"w": torch.arange(6, dtype=torch.float32).reshape(2, 3)},
                  {"gic.profile": "raw", "note": "x", "sizes": [1, [2, "three"]], "n": np.int64(-5)})
        meta, t = gic.read(out)
        self.assertEqual(meta, {"gic.profile": "raw", "n": -5, "note": "x", "sizes": [1, [2, "three"]]})
        np.testing.assert_array_equal(t["w"], np.arange(6, dtype=np.float32).reshape(2, 3))

    def test_describe_matches_gic_convert_inspect(self):
        path = os.path.join(ROOT, "models", "gic-v2.gicw")
        d = gic.describe(path)
        self.assertEqual(d["format"], "gicw")
        if not tool("gic-convert"):
            self.skipTest("gic-convert not built")
        r = subprocess.run([tool("gic-convert"), "inspect", path, "--json"], capture_output=True, text=True,
                           check=True)
        swift = json.loads(r.stdout)
        for key in ("format", "version", "model_digest", "tensors", "cdf_tables"):
            self.assertEqual(d[key], swift[key], key)


class Decoding(unittest.TestCase):
    def test_a_vector_of_each_kind(self):
        for folder in (CONF, os.path.join(CONF, "gic-v2")):
            seen = set()
            for v in manifest(folder)["vectors"]:
                p = v["parameters"]
                kind = (p["profile"], p["grayscale"], p["steps"] > 0)
                if kind in seen:
                    continue
                seen.add(kind)
                stream = os.path.join(folder, v["bitstream"])
                model = os.path.join(folder, v["model"])
                rgb = gic.decode(stream, model, rgb=True)
                self.assertEqual(hashlib.sha256(rgb.tobytes()).hexdigest(), v["decoded_rgb_sha256"], v["id"])
                with open(stream, "rb") as f:
                    data = f.read()
                px = gic.decode(data, gic.load_model(model))
                if p["grayscale"]:
                    self.assertEqual(px.shape, (p["height"], p["width"]))
                    s = rgb.astype(np.int32).sum(axis=2)
                    np.testing.assert_array_equal(px, (s + 1) // 3)
                else:
                    np.testing.assert_array_equal(px, rgb)
                h = gic.info(data)
                self.assertEqual((h["width"], h["height"], h["profile"]), (p["width"], p["height"], p["profile"]))
            self.assertGreaterEqual(len(seen), 2)

    def test_wrong_model_is_a_clear_error(self):
        v = manifest()["vectors"][0]
        other = [m["file"] for m in manifest()["models"] if m["file"] != v["model"]][0]
        with self.assertRaisesRegex(gic.BitstreamError, "made with another model"):
            gic.decode(os.path.join(CONF, v["bitstream"]), os.path.join(CONF, other))

    def test_raw_container_is_not_a_codec_model(self):
        with tempfile.TemporaryDirectory() as tmp:
            p = os.path.join(tmp, "raw.gicw")
            gic.write(p, {"x": np.zeros(3, np.float32)})
            with self.assertRaisesRegex(gic.ModelError, "not a codec profile"):
                gic.load_model(p)


class Tools(unittest.TestCase):
    def test_not_found_says_what_to_do(self):
        with tempfile.TemporaryDirectory() as empty:
            with gic_bin(empty), self.assertRaises(gic.ToolNotFound) as cm:
                gic.find_tool("gic-convert")
            msg = str(cm.exception)
            for part in ("gic-convert not found", "GIC_BIN", "swift build -c release", "PATH"):
                self.assertIn(part, msg)
            r = cli("tools", env={"GIC_BIN": empty})
            self.assertEqual(r.returncode, 0)
            self.assertIn("gic-ref: not found", r.stdout)
            self.assertIn("swift build -c release", r.stderr)

    @unittest.skipUnless(tool("gic-ref"), "gic-ref not built")
    def test_found_in_gic_bin_and_run(self):
        with gic_bin():
            self.assertEqual(gic.find_tool("gic-ref"), os.path.join(RELEASE, "gic-ref"))
            v = manifest()["vectors"][0]
            out = gic.tools.run_tool("gic-ref", "info", os.path.join(CONF, v["bitstream"]), json_output=True)
            self.assertEqual(out["width"], v["parameters"]["width"])
            for json_output in (False, True):
                with self.assertRaisesRegex(gic.ToolError, "exited with status 1: error: .*README.md"):
                    gic.tools.run_tool("gic-ref", "info", os.path.join(ROOT, "README.md"), json_output=json_output)


class CommandLine(unittest.TestCase):
    def test_inspect(self):
        r = cli("inspect", "models/gic-v2.gicw", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        d = json.loads(r.stdout)
        self.assertEqual(d["codec"], {"profile": "gic-v1", "N": 48, "M": 64})
        self.assertEqual(len(d["tensors"]), 122)
        r = cli("inspect", "models/gic-v2.gicw")
        self.assertIn("model digest: " + d["model_digest"], r.stdout)
        v = manifest()["vectors"][0]
        r = cli("inspect", os.path.join("conformance", v["bitstream"]), "--json")
        self.assertEqual(json.loads(r.stdout)["width"], v["parameters"]["width"])
        r = cli("inspect", "models/mbt2018-mean-N64-M96.npz", "--json")
        self.assertEqual(json.loads(r.stdout)["format"], "npz")
        r = cli("inspect", "no-such-file.gicw")
        self.assertEqual(r.returncode, 1)
        self.assertTrue(r.stderr.startswith("error: "), r.stderr)

    def test_decode(self):
        gray = next(v for v in manifest()["vectors"] if v["parameters"]["grayscale"])
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "x.png")
            r = cli("decode", os.path.join("conformance", gray["bitstream"]), "-m",
                    os.path.join("conformance", gray["model"]), "-o", out, "--json")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(json.loads(r.stdout)["rgb_sha256"], gray["decoded_rgb_sha256"])
            try:
                from PIL import Image
            except ImportError:
                return
            with Image.open(out) as im:
                self.assertEqual(im.mode, "L")
                px = np.asarray(im)
            np.testing.assert_array_equal(px, gic.decode(os.path.join(CONF, gray["bitstream"]),
                                                         os.path.join(CONF, gray["model"])))
            raw = os.path.join(tmp, "x.rgb")
            r = cli("decode", os.path.join("conformance", gray["bitstream"]), "-m",
                    os.path.join("conformance", gray["model"]), "-o", raw)
            with open(raw, "rb") as f:
                self.assertEqual(hashlib.sha256(f.read()).hexdigest(), gray["decoded_rgb_sha256"])


class Metrics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        rng = np.random.default_rng(7)
        # a smooth picture with texture, odd sizes on purpose
        y, x = np.mgrid[0:201, 0:263]
        base = 128 + 60 * np.sin(x / 17.0)[..., None] * np.cos(y / 23.0)[..., None] + rng.normal(0, 8, (201, 263, 3))
        cls.a = np.clip(base, 0, 255).astype(np.uint8)
        cls.b = np.clip(base + rng.normal(0, 15, base.shape), 0, 255).astype(np.uint8)

    def test_psnr(self):
        a = np.zeros((4, 4, 3), np.uint8)
        b = a.copy()
        b[0, 0, 0] = 255  # MSE = 255^2 / 48
        self.assertAlmostEqual(metrics.psnr(a, b), 10 * np.log10(48), places=10)
        self.assertEqual(metrics.psnr(a, a.copy()), float("inf"))
        self.assertAlmostEqual(metrics.psnr(a / 255.0, b / 255.0, data_range=1.0), 10 * np.log10(48), places=10)
        self.assertEqual(metrics.psnr_from_mse(0.0), float("inf"))
        with self.assertRaisesRegex(ValueError, "shapes differ"):
            metrics.psnr(a, b[:2])

    def test_psnr_of_tensors_in_float64(self):
        try:
            import torch
        except ImportError:
            self.skipTest("torch not installed")
        ta = torch.from_numpy(self.a.astype(np.float32) / 255)
        tb = torch.from_numpy(self.b.astype(np.float32) / 255)
        want = 10 * np.log10(1.0 / float(((ta.double() - tb.double()) ** 2).mean()))
        self.assertEqual(metrics.psnr(ta, tb, data_range=1.0), float(want))

    def test_ms_ssim_numpy(self):
        self.assertAlmostEqual(metrics.ms_ssim(self.a, self.a.copy(), backend="numpy"), 1.0, places=12)
        v = metrics.ms_ssim(self.a, self.b, backend="numpy")
        self.assertTrue(0.5 < v < 1.0, v)
        gray = metrics.ms_ssim(self.a[..., 0], self.b[..., 0], backend="numpy")
        self.assertTrue(0.5 < gray < 1.0)
        with self.assertRaisesRegex(ValueError, "too small"):
            metrics.ms_ssim(self.a[:160], self.b[:160], backend="numpy")
        with self.assertRaises(ValueError):
            metrics.ms_ssim(self.a, self.b, backend="tensorflow")

    def test_odd_sides_are_padded_like_avg_pool2d(self):
        """The fixed fallback: an odd side gets a zero row in front (torch's avg_pool2d with
        padding 1 and count_include_pad), no longer dropped at the end."""
        x = np.arange(15, dtype=np.float64).reshape(5, 3)
        p = metrics._pool2(x)
        self.assertEqual(p.shape, (3, 2))
        self.assertEqual(p[0, 0], 0.25 * x[0, 0])
        self.assertEqual(p[2, 1], 0.25 * (x[3, 1] + x[3, 2] + x[4, 1] + x[4, 2]))
        try:
            import torch
        except ImportError:
            return
        t = torch.nn.functional.avg_pool2d(torch.from_numpy(x)[None, None], kernel_size=2, padding=[1, 1])
        np.testing.assert_allclose(p, t[0, 0].numpy(), rtol=0, atol=1e-12)

    def test_ms_ssim_numpy_equals_pytorch_msssim(self):
        if metrics.ms_ssim_backend() != "torch":
            self.skipTest("pytorch-msssim not installed")
        for a, b in ((self.a, self.b), (self.a[:161, :200], self.b[:161, :200]),
                     (self.a[:, :171], np.ascontiguousarray(self.a[::-1, :171]))):
            want = metrics.ms_ssim(a, b, backend="torch")
            got = metrics.ms_ssim(a, b, backend="numpy")
            self.assertAlmostEqual(got, want, delta=5e-6)  # float64 against pytorch-msssim's float32
            self.assertEqual(metrics.ms_ssim(a, b), want)  # auto picks pytorch-msssim

    def test_gicv1_msssim_is_this_module(self):
        from gicv1 import msssim

        self.assertIs(msssim.ms_ssim, metrics.ms_ssim)
        self.assertIs(msssim.gradient_energy_ratio, metrics.gradient_energy_ratio)
        self.assertEqual(metrics.gradient_energy_ratio(self.a, self.a), 1.0)
        self.assertGreater(metrics.gradient_energy_ratio(self.b, self.a), 1.0)


@unittest.skipIf(compressai(), f"torch/CompressAI do not import: {compressai()}")
class Export(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def mbt(self, N=16, M=24):
        import torch
        from compressai.models import MeanScaleHyperprior

        torch.manual_seed(0)
        return MeanScaleHyperprior(N, M).eval()

    def test_compressai_mbt2018_mean_to_npz(self):
        import torch

        model = self.mbt()
        self.assertEqual(gic.architecture_of(model), "mbt2018-mean")
        wrapped = torch.nn.DataParallel(model)
        out = os.path.join(self.tmp.name, "m.npz")
        info = gic.export(wrapped, out)
        self.assertEqual((info["architecture"], info["N"], info["M"]), ("mbt2018-mean", 16, 24))
        with np.load(out) as z:
            self.assertFalse(any(k.startswith("module.") for k in z.files))
            self.assertGreater(z["entropy_bottleneck._quantized_cdf"].size, 0)  # update(force=True) ran
            self.assertGreater(z["gaussian_conditional._quantized_cdf"].size, 0)
            self.assertEqual(z["g_a.0.weight"].dtype, np.float32)
        arrays, info = gic.export_arrays({"module." + k: v for k, v in model.state_dict().items()},
                                         architecture="mbt2018-mean")
        self.assertIn("g_a.0.weight", arrays)
        self.assertEqual(info["M"], 24)

    @unittest.skipUnless(tool("gic-convert") and tool("gic-ref"), "gic-convert/gic-ref not built")
    def test_compressai_mbt2018_mean_through_gic_convert(self):
        with gic_bin():
            gic_package_check.check_export(gic, ROOT, self.tmp.name)

    def context_models(self):
        """Seeded CompressAI context models: {architecture: model} (N 16; mbt2018 M 24)."""
        import torch
        from compressai.models import Cheng2020Anchor, Cheng2020Attention, JointAutoregressiveHierarchicalPriors

        torch.manual_seed(0)
        return {"mbt2018": JointAutoregressiveHierarchicalPriors(16, 24).eval(),
                "cheng2020-anchor": Cheng2020Anchor(16).eval(), "cheng2020-attn": Cheng2020Attention(16).eval()}

    def test_compressai_context_models_to_npz(self):
        for arch, model in self.context_models().items():
            with self.subTest(arch):
                self.assertEqual(gic.architecture_of(model), arch)
                out = os.path.join(self.tmp.name, arch + ".npz")
                info = gic.export(model, out)
                self.assertEqual((info["architecture"], info["N"], info["M"]),
                                 (arch, 16, 24 if arch == "mbt2018" else 16))
                with np.load(out) as z:
                    self.assertEqual(sorted(z.files), sorted(model.state_dict()))
                    self.assertGreater(z["entropy_bottleneck._quantized_cdf"].size, 0)
                    self.assertGreater(z["gaussian_conditional._quantized_cdf"].size, 0)
                    np.testing.assert_array_equal(z["context_prediction.weight"],
                                                  model.context_prediction.weight.detach().numpy())

    def test_cli_export_tells_context_models_by_their_keys(self):
        import torch

        env = {"PYTHONPATH": PYTHON + os.pathsep + os.path.join(PYTHON, "compat")}
        for arch, model in self.context_models().items():
            with self.subTest(arch):
                ckpt = os.path.join(self.tmp.name, arch + ".pth")
                torch.save({"state_dict": model.state_dict()}, ckpt)
                out = os.path.join(self.tmp.name, arch + ".npz")
                r = cli("export", ckpt, "-o", out, "--json", env=env)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(json.loads(r.stdout)["architecture"], arch)

    @unittest.skipUnless(tool("gic-convert"), "gic-convert not built")
    def test_context_model_export_converts(self):
        """An exported mbt2018 converts with gic-convert's automatic profile detection."""
        with gic_bin():
            out = os.path.join(self.tmp.name, "mbt2018.gicw")
            info = gic.export(self.context_models()["mbt2018"], out,
                              calibration=[os.path.join(ROOT, "conformance", "images", "photo-96x64.png")])
        self.assertEqual(gic.describe(out)["metadata"]["gic.profile"], "mbt2018")
        self.assertEqual(info["architecture"], "mbt2018")

    def test_unsupported_model_is_refused_with_the_choices(self):
        import torch

        with self.assertRaisesRegex(gic.ExportError, "architecture='raw'"):
            gic.export(torch.nn.Linear(2, 2), os.path.join(self.tmp.name, "x.npz"))
        info = gic.export(torch.nn.Linear(2, 2), os.path.join(self.tmp.name, "x.npz"), architecture="raw")
        self.assertEqual(info["arrays"], 2)

    @unittest.skipUnless(os.path.exists(os.path.join(ROOT, "models", "gic-v2.pt")), "models/gic-v2.pt absent")
    def test_gicv2_export_reproduces_the_shipped_npz(self):
        """models/gic-v2.npz was written by python/gicv1/export.py --alpha 1 from models/gic-v2.pt;
        gic.export of the same model object gives the same arrays."""
        import torch

        from gicv1 import model as gm
        from gicv1.export import load_checkpoint

        model = gm.model_from_state(load_checkpoint(os.path.join(ROOT, "models", "gic-v2.pt")))
        model.sampler.alpha.copy_(torch.from_numpy(gm.default_alpha(value=1.0)))
        self.assertEqual(gic.architecture_of(model), "gic-v1")
        out = os.path.join(self.tmp.name, "v2.npz")
        info = gic.export(model, out)
        self.assertEqual((info["N"], info["M"], info["W"]), (48, 64, 48))
        with np.load(out) as a, np.load(os.path.join(ROOT, "models", "gic-v2.npz")) as b:
            self.assertEqual(sorted(a.files), sorted(b.files))
            for k in b.files:
                self.assertEqual(a[k].dtype, b[k].dtype, k)
                np.testing.assert_array_equal(a[k], b[k], k)

    def test_cli_export_of_a_checkpoint(self):
        import torch

        ckpt = os.path.join(self.tmp.name, "ckpt.pth")
        torch.save({"state_dict": {"module." + k: v for k, v in self.mbt().state_dict().items()}}, ckpt)
        out = os.path.join(self.tmp.name, "m.npz")
        r = cli("export", ckpt, "-o", out, "--json", env={"PYTHONPATH": PYTHON + os.pathsep + os.path.join(PYTHON, "compat")})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["architecture"], "mbt2018-mean")
        with np.load(out) as z:
            self.assertEqual(z["g_a.6.weight"].shape[0], 24)


if __name__ == "__main__":
    unittest.main()
