"""Checks that need real NumPy: the fixtures regenerate, and NumPy reads what gic writes.

Run: python3 -m unittest discover -s python/tests -v   (scripts/test.sh does)
The gic-convert binary is taken from $GIC_CONVERT, else from `swift build --show-bin-path`.
"""
import filecmp
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
FIXTURES = os.path.join(ROOT, "Tests", "ConvertersTests", "Fixtures")
# Object arrays are pickled; the pickle bytes depend on the NumPy version that wrote them.
VERSION_DEPENDENT = {"npy_object_pickle.npy"}


def gic_convert():
    path = os.environ.get("GIC_CONVERT")
    if not path:
        bin_dir = subprocess.run(
            ["swift", "build", "--show-bin-path"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        path = os.path.join(bin_dir, "gic-convert")
    if not os.path.exists(path):
        subprocess.run(["swift", "build", "--product", "gic-convert"], cwd=ROOT, check=True)
    return path


class FixtureRegeneration(unittest.TestCase):
    def test_fixtures_regenerate_byte_identically(self):
        with tempfile.TemporaryDirectory() as out:
            subprocess.run(
                [sys.executable, os.path.join(ROOT, "python", "make_fixtures.py"), "--out", out],
                check=True, capture_output=True)
            for folder in ("valid", "malformed"):
                committed = sorted(os.listdir(os.path.join(FIXTURES, folder)))
                self.assertEqual(committed, sorted(os.listdir(os.path.join(out, folder))), folder)
                for name in committed:
                    if name in VERSION_DEPENDENT:
                        continue
                    same = filecmp.cmp(
                        os.path.join(FIXTURES, folder, name), os.path.join(out, folder, name), shallow=False)
                    self.assertTrue(same, f"{folder}/{name} differs when regenerated")


def compressai_available():
    try:
        sys.path.insert(0, os.path.join(ROOT, "python"))
        from compressai_env import import_compressai
        import_compressai()
        return True
    except Exception:
        return False


class EntropyFixtureRegeneration(unittest.TestCase):
    @unittest.skipUnless(compressai_available(), "needs torch and CompressAI")
    def test_entropy_fixtures_regenerate_byte_identically(self):
        committed = os.path.join(FIXTURES, "entropy")
        with tempfile.TemporaryDirectory() as out:
            subprocess.run(
                [sys.executable, os.path.join(ROOT, "python", "make_entropy_fixtures.py"), "--out", out],
                check=True, capture_output=True)
            self.assertEqual(sorted(os.listdir(committed)), sorted(os.listdir(out)))
            for name in os.listdir(committed):
                self.assertTrue(
                    filecmp.cmp(os.path.join(committed, name), os.path.join(out, name), shallow=False),
                    f"entropy/{name} differs when regenerated")


class RoundTrip(unittest.TestCase):
    """npz -> gicw -> npz through the CLI, compared with numpy.load."""

    @classmethod
    def setUpClass(cls):
        cls.binary = gic_convert()

    def run_cli(self, *args):
        return subprocess.run([self.binary, *args], capture_output=True, text=True)

    def assert_same_arrays(self, a, b):
        self.assertEqual(sorted(a), sorted(b))
        for k in a:
            x, y = a[k], b[k]
            self.assertEqual(x.dtype.newbyteorder("<") if x.dtype.byteorder == ">" else x.dtype,
                             y.dtype, k)
            self.assertEqual(x.shape, y.shape, k)
            le = np.ascontiguousarray(x).astype(x.dtype.newbyteorder("<"))
            self.assertEqual(le.tobytes(), y.tobytes(), k)

    def round_trip(self, arrays, save):
        with tempfile.TemporaryDirectory() as d:
            src, model, back = (os.path.join(d, n) for n in ("in.npz", "m.gicw", "back.npz"))
            save(src, **arrays)
            # Storage profile: a CompressAI export would otherwise become a codec model.
            # --no-provenance: the two inputs differ as files, so their recorded SHA-256 would too.
            r = self.run_cli(src, "-o", model, "--quiet", "--profile", "compressai-tables",
                             "--no-provenance")
            self.assertEqual(r.returncode, 0, r.stderr)
            r = self.run_cli("extract", model, "-o", back, "--quiet")
            self.assertEqual(r.returncode, 0, r.stderr)
            with np.load(back) as z:
                extracted = {k: z[k] for k in z.files}
            # The compressai-tables profile adds integer scale thresholds for each Gaussian
            # conditional; everything else comes back as it went in.
            derived = {k for k in extracted if k not in arrays}
            self.assertTrue(all(k.endswith(".scale_thresholds") for k in derived), derived)
            self.assert_same_arrays(arrays, {k: v for k, v in extracted.items() if k in arrays})
            # The extracted archive converts to the very same container.
            again = os.path.join(d, "again.gicw")
            self.assertEqual(self.run_cli(
                back, "-o", again, "--quiet", "--profile", "compressai-tables",
                "--no-provenance").returncode, 0)
            self.assertTrue(filecmp.cmp(model, again, shallow=False))

    def test_every_dtype_and_layout(self):
        rng = np.random.default_rng(7)
        arrays = {}
        for dt in ["?", "i1", "u1", "<i2", ">i2", "<u2", "<i4", ">i4", "<u4", "<i8", ">u8", "<u8",
                   "<f2", ">f2", "<f4", ">f4", "<f8", ">f8"]:
            raw = rng.integers(0, 256, size=4 * 3 * 5 * np.dtype(dt).itemsize, dtype=np.uint8)
            a = raw.view(np.dtype(dt)).reshape(4, 3, 5)
            arrays[f"c/{dt}"] = a
            arrays[f"f/{dt}"] = np.asfortranarray(a)
        arrays["scalar"] = np.array(2.5)
        arrays["empty"] = np.zeros((3, 0, 2), np.float32)
        for save in (np.savez, np.savez_compressed):
            with self.subTest(save=save.__name__):
                self.round_trip(arrays, save)

    def test_shipped_example_export(self):
        path = os.path.join(ROOT, "models", "example-bmshj2018-hyperprior.npz")
        with np.load(path) as z:
            arrays = {k: z[k] for k in z.files}
        self.round_trip(arrays, np.savez)

    def test_inspect_json_matches_numpy(self):
        import json
        path = os.path.join(ROOT, "models", "example-bmshj2018-hyperprior.npz")
        r = self.run_cli("inspect", "--json", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        report = json.loads(r.stdout)
        with np.load(path) as z:
            expected = {k: (str(z[k].dtype), list(z[k].shape)) for k in z.files}
        got = {t["name"]: (t["dtype"], t["shape"]) for t in report["tensors"]}
        self.assertEqual(expected, got)

    def test_compressai_tables_match_compressai(self):
        """The first-class CDF tables are CompressAI's own, row for row."""
        path = os.path.join(ROOT, "models", "example-bmshj2018-hyperprior.npz")
        with tempfile.TemporaryDirectory() as d:
            model, back = os.path.join(d, "m.gicw"), os.path.join(d, "t.npz")
            self.assertEqual(self.run_cli(
                path, "-o", model, "--quiet", "--profile", "compressai-tables").returncode, 0)
            r = self.run_cli("extract", model, "-o", back, "--cdf-tables", "--quiet")
            self.assertEqual(r.returncode, 0, r.stderr)
            with np.load(path) as src, np.load(back) as out:
                for prefix in ("entropy_bottleneck", "gaussian_conditional"):
                    lengths = src[prefix + "._cdf_length"]
                    np.testing.assert_array_equal(out[prefix + ".gicw.cdf_length"], lengths)
                    np.testing.assert_array_equal(out[prefix + ".gicw.offset"], src[prefix + "._offset"])
                    for i, n in enumerate(lengths):
                        np.testing.assert_array_equal(
                            out[prefix + ".gicw.cdf"][i, :n], src[prefix + "._quantized_cdf"][i, :n])
                scales = src["gaussian_conditional.scale_table"].astype(np.float64)
                expected = np.floor(np.abs(scales[:-1]) * 65536 + 0.5).astype(np.int32)
                np.testing.assert_array_equal(out["gaussian_conditional.scale_thresholds"], expected)


if __name__ == "__main__":
    unittest.main()
