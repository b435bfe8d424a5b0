"""The import matrix of issue #14: each compressai.zoo image architecture, in each file format a
CompressAI user saves, converts to its own codec profile or is refused naming the architecture
and the arrays no profile reads; none converts as another architecture.

Architectures (small N, M, seeded, untrained, after update(force=True)): bmshj2018-factorized,
bmshj2018-hyperprior, mbt2018-mean, mbt2018, cheng2020-anchor, cheng2020-attn. Formats: np.savez
of the state dict (.npz), torch.save of the state dict (.pth), an examples/train.py-style
checkpoint ({"epoch", "state_dict" with `module.` prefixes, "loss", "optimizer", ...}, .pth.tar)
and safetensors (written by hand to the format, as python/make_import_fixtures.py does). The
files are made at test time (they need torch and CompressAI; the test is skipped without them).

For each file: `gic-convert inspect --json` names the architecture and the profile (or the
refusal and its unused arrays); a conversion with --profile auto either writes a codec model of
that profile (calibrated on one small picture) or fails naming the architecture and an array it
cannot read. The .gicw from every format of one model is byte-identical to the one from the
.npz (with --no-provenance: the recorded input SHA-256 would differ with the input file).

Run: python3 -m unittest python/tests/test_import_matrix.py   (scripts/test.sh runs every test)
The gic-convert binary is taken from $GIC_CONVERT, else from `swift build --show-bin-path`.
"""
import collections
import filecmp
import json
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_numpy_interop import compressai_available, gic_convert  # noqa: E402

CALIBRATION = os.path.join(ROOT, "conformance", "sources", "photo-96x64.png")

# architecture -> (constructor name, keyword arguments, codec profile or None when refused)
ARCHITECTURES = {
    "bmshj2018-factorized": ("FactorizedPrior", {"N": 8, "M": 12}, "bmshj2018-factorized"),
    "bmshj2018-hyperprior": ("ScaleHyperprior", {"N": 8, "M": 12}, "bmshj2018-hyperprior"),
    "mbt2018-mean": ("MeanScaleHyperprior", {"N": 8, "M": 12}, "mbt2018-mean"),
    "mbt2018": ("JointAutoregressiveHierarchicalPriors", {"N": 8, "M": 12}, "mbt2018"),
    "cheng2020-anchor": ("Cheng2020Anchor", {"N": 8}, "cheng2020-anchor"),
    "cheng2020-attn": ("Cheng2020Attention", {"N": 8}, "cheng2020-attn"),
}
FORMATS = ("npz", "pth", "train.pth.tar", "safetensors")


def write_safetensors(path, arrays):
    """The safetensors layout: 8-byte little-endian header length, JSON header, data."""
    import struct

    import numpy as np

    dtypes = {np.float32: "F32", np.float64: "F64", np.int32: "I32", np.int64: "I64"}
    header, blobs, offset = {}, [], 0
    for name, a in arrays.items():
        data = np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtypes[a.dtype.type], "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def export_all(architecture, directory):
    """Writes the four files of one architecture; returns {format: path}."""
    import numpy as np
    import torch
    from compressai_env import import_compressai

    import_compressai()
    import compressai.models as models

    name, kwargs, _ = ARCHITECTURES[architecture]
    torch.manual_seed(14)
    model = getattr(models, name)(**kwargs).eval()
    with torch.no_grad():
        model.update(force=True)
    state = model.state_dict()
    arrays = {k: v.detach().cpu().numpy() for k, v in state.items()}
    stem = os.path.join(directory, architecture)
    paths = {f: f"{stem}.{f}" for f in FORMATS}
    np.savez(paths["npz"], **arrays)
    torch.save(state, paths["pth"])
    prefixed = collections.OrderedDict((f"module.{k}", v) for k, v in state.items())
    torch.save({"epoch": 7, "state_dict": prefixed, "loss": 1.5,
                "optimizer": {"state": {0: {"step": torch.tensor(7.0)}},
                              "param_groups": [{"lr": 1e-4, "params": [0, 1]}]},
                "aux_optimizer": {"state": {}, "param_groups": [{"lr": 1e-3, "params": [2]}]}},
               paths["train.pth.tar"])
    write_safetensors(paths["safetensors"], arrays)
    return paths


def run(*args, cwd=ROOT):
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True)


@unittest.skipUnless(compressai_available(), "needs torch and CompressAI")
class ImportMatrix(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.convert = gic_convert()
        cls.tmp = tempfile.TemporaryDirectory(prefix="gic-import-matrix-")
        cls.files = {a: export_all(a, cls.tmp.name) for a in ARCHITECTURES}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def inspect(self, path):
        proc = run(self.convert, "inspect", "--json", path)
        self.assertEqual(proc.returncode, 0, f"inspect {path}: {proc.stderr}")
        return json.loads(proc.stdout)["conversion"]

    def test_matrix(self):
        for architecture, (class_name, _, profile) in ARCHITECTURES.items():
            gicw = {}
            for fmt, path in self.files[architecture].items():
                with self.subTest(architecture=architecture, format=fmt):
                    conversion = self.inspect(path)
                    self.assertEqual(conversion["architecture"], architecture)
                    self.assertEqual(conversion["profile"], profile)
                    out = os.path.join(self.tmp.name, f"{architecture}-{fmt}.gicw")
                    proc = run(self.convert, path, "-o", out, "--calibration", CALIBRATION,
                               "--no-provenance", "--json", "-q")
                    if profile is not None:
                        self.assertEqual(proc.returncode, 0, proc.stderr)
                        self.assertEqual(conversion["ignored_arrays"], [])
                        self.assertIsNone(conversion["refusal"])
                        report = json.loads(proc.stdout)
                        self.assertEqual(report["profile"], profile)
                        gicw[fmt] = out
                    else:
                        self.assertNotEqual(proc.returncode, 0, f"{path} converted")
                        self.assertFalse(os.path.exists(out))
                        unused = conversion["ignored_arrays"]
                        self.assertTrue(unused, "a refusal names the arrays no profile reads")
                        message = proc.stderr
                        self.assertIn(f"CompressAI {architecture} ({class_name})", message)
                        self.assertIn(unused[0], message)
                        self.assertIn(unused[0], conversion["refusal"])
                        # Forcing the nearest codec profile is refused too, naming an array.
                        forced = run(self.convert, path, "-o", out, "--profile", "mbt2018-mean",
                                     "--calibration", CALIBRATION, "-q")
                        self.assertNotEqual(forced.returncode, 0)
                        self.assertIn("mbt2018-mean", forced.stderr)
                        self.assertFalse(os.path.exists(out))
            for fmt, path in gicw.items():
                with self.subTest(architecture=architecture, same_as_npz=fmt):
                    self.assertTrue(filecmp.cmp(gicw["npz"], path, shallow=False),
                                    f"{fmt} gives another .gicw than .npz")

    def test_no_profile_reads_another_architecture(self):
        """Each codec profile forced on every other architecture's .npz is refused."""
        codec = [p for _, _, p in ARCHITECTURES.values() if p]
        for architecture, (_, _, own) in ARCHITECTURES.items():
            for profile in codec:
                if profile == own:
                    continue
                with self.subTest(architecture=architecture, profile=profile):
                    out = os.path.join(self.tmp.name, f"forced-{architecture}-{profile}.gicw")
                    proc = run(self.convert, self.files[architecture]["npz"], "-o", out,
                               "--profile", profile, "--calibration", CALIBRATION, "-q")
                    self.assertNotEqual(proc.returncode, 0, f"{architecture} converted as {profile}")
                    self.assertIn(profile, proc.stderr)
                    self.assertFalse(os.path.exists(out))


if __name__ == "__main__":
    unittest.main()
