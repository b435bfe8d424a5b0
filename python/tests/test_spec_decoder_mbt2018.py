"""gic_spec_decoder on profile 5, `mbt2018` (spec/bitstream.md §11: CompressAI's joint
autoregressive and hierarchical priors, the y substream decoded position by position).

Run: python3 -m unittest discover -s python/tests -v   (scripts/test.sh does)

- Model checks of §11.1 (the causality check of `context_prediction`, the structure of both
  context graphs, h_s's one output).
- §11.2's identity: σ and μ computed one position at a time equal the whole graphs run on the
  final ŷ (the y substream re-encoded with the whole-graph rows is the same bytes).
- Crafted streams (escapes, 64-bit symbols) round trip through craft.build and decode.
- The committed mbt2018 streams of python/tests/spec_vectors/ are checked by
  test_spec_decoder.CommittedVectorTests, conformance/mbt2018/ by test_spec_decoder_conformance.
- Bit-exactness against gic-ref (encode with gic-ref, decode with both) when a gic-ref binary
  exists ($GIC_REF, .build/release, .build/debug); skipped otherwise.
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from gic_spec_decoder import (BitstreamError, Container, DamagedStream, Model,  # noqa: E402
                              ModelError, bitstream, craft, decode)
from gic_spec_decoder.container import contents, write_container  # noqa: E402
from gic_spec_decoder.decoder import Z_CLAMP  # noqa: E402
from gic_spec_decoder.entropy import RansEncoder, gaussian_indexes  # noqa: E402
from test_spec_decoder import find_tool, model, read_bytes, sha  # noqa: E402

CTX = os.path.join(ROOT, "Tests", "ReferenceCodecTests", "Fixtures", "context", "mbt2018-N16-M24.gicw")
CTX_REAL = os.path.join(ROOT, "models", "context", "mbt2018-N64-M96.gicw")
MBT = os.path.join(ROOT, "Tests", "ReferenceCodecTests", "Fixtures", "codec", "mbt2018-mean-N16-M24.gicw")
VECTORS = os.path.join(ROOT, "python", "tests", "spec_vectors")
IMAGES = os.path.join(ROOT, "conformance", "images")



def variant(path, edit_meta=None, edit_tensors=None):
    meta, t, c = contents(Container(read_bytes(path)))
    meta = json.loads(json.dumps(meta))
    if edit_meta:
        edit_meta(meta)
    if edit_tensors:
        edit_tensors(t)
    return write_container(meta, t, c)


def node(meta, graph, output):
    return next(i for i in meta[f"gic.graph.{graph}"] if i[0] == "node" and i[3] == output)


def set_attr(item, name, value):
    item[4][item[4].index(name) + 1] = value


class ModelTests(unittest.TestCase):
    def test_models_load(self):
        for path, (n, m) in ((CTX, (16, 24)), (CTX_REAL, (64, 96))):
            with self.subTest(model=os.path.basename(path)):
                md = model(path)
                self.assertEqual((md.profile, md.profile_name, md.N, md.M), (5, "mbt2018", n, m))
                # the 12 causal taps of §11.1: rows 0, 1 and row 2 at columns 0, 1
                self.assertEqual(list(zip(md.ctx_tap_u.tolist(), md.ctx_tap_v.tolist())),
                                 [(u, v) for u in range(2) for v in range(5)] + [(2, 0), (2, 1)])

    def test_model_checks(self):
        def noncausal(t):
            # move a causal weight to the centre tap (u, v) = (2, 2): same §3 bound, not causal
            w, d, q = t["context_prediction.weight"]
            w = w.copy()
            o, i = np.argwhere(w[:, :, 0, 0] != 0)[0]
            w[o, i, 2, 2], w[o, i, 0, 0] = w[o, i, 0, 0], 0
            t["context_prediction.weight"] = (w, d, q)

        def noncausal_last(t):
            w, d, q = t["context_prediction.weight"]
            w = w.copy()
            o, i = np.argwhere(w[:, :, 1, 4] != 0)[-1]
            w[o, i, 4, 4], w[o, i, 1, 4] = w[o, i, 1, 4], 0
            t["context_prediction.weight"] = (w, d, q)

        def ctx_padding(meta):
            set_attr(node(meta, "context_prediction", "ctx"), "padding", 1)

        def ep_relu(meta):
            node(meta, "entropy_parameters", "entropy_parameters.1")[1] = "relu"

        def means_exponent(meta):
            set_attr(node(meta, "entropy_parameters", "means"), "exponent", 13)

        def hs_two_outputs(meta):
            meta["gic.graph.h_s"].insert(2, ["output", "h_s.3"])

        def ep_one_output(meta):
            meta["gic.graph.entropy_parameters"] = [i for i in meta["gic.graph.entropy_parameters"]
                                                    if i != ["output", "means"]]

        def ctx_input_range(meta):
            meta["gic.graph.context_prediction"][0][4] = -100  # narrower than g_s's input range

        for name, kw in [("non-causal tap (2, 2)", dict(edit_tensors=noncausal)),
                         ("non-causal tap (4, 4)", dict(edit_tensors=noncausal_last)),
                         ("context_prediction padding 1", dict(edit_meta=ctx_padding)),
                         ("relu in entropy_parameters", dict(edit_meta=ep_relu)),
                         ("means exponent", dict(edit_meta=means_exponent)),
                         ("h_s with two outputs", dict(edit_meta=hs_two_outputs)),
                         ("entropy_parameters with one output", dict(edit_meta=ep_one_output)),
                         ("context_prediction input range", dict(edit_meta=ctx_input_range))]:
            with self.subTest(case=name):
                with self.assertRaises(ModelError) as cm:
                    Model(variant(CTX, **kw))
                if name.startswith("non-causal"):
                    self.assertIsInstance(cm.exception, ModelError)
                    self.assertIn("context_prediction", str(cm.exception))
                    self.assertIn("non-causal", str(cm.exception))

    def test_header_checks(self):
        data = read_bytes(os.path.join(VECTORS, "mbt2018-rgb-77x45.gic"))
        m = model(CTX)
        decode(data, m)
        for name, b, mod in [("steps", data[:22] + b"\1" + data[23:], m),
                             ("seed flag", data[:7] + b"\2" + data[8:], m),
                             ("profile 2 with an mbt2018 model", data[:6] + b"\2" + data[7:], m),
                             ("profile 5 with an mbt2018-mean model", data, model(MBT))]:
            with self.subTest(case=name):
                with self.assertRaises(BitstreamError):
                    decode(b, mod)


class ContextModelTests(unittest.TestCase):
    def _identity(self, path, data):
        """§11.2: the per-position σ, μ equal the whole graphs on the final ŷ."""
        m = model(path)
        rgb, info = decode(data, m, return_latents=True)
        y_hat, syms = info["y_hat"], info["y_symbols"]
        h = bitstream.parse(data)
        lo, hi = m.hs_range
        zc = np.clip(info["z_symbols"], -Z_CLAMP, Z_CLAMP)
        z_hat = np.clip(zc * (1 << m.e_z) + m.medians[:, None, None], lo, hi)
        P = m.h_s.run({m.h_s.inputs[0]: z_hat})[m.params_name]
        ctx = m.context_prediction.run({m.context_prediction.inputs[0]: y_hat})[m.context_prediction.outputs[0]]
        ep = m.entropy_parameters
        outs = ep.run({ep.inputs[0]: P, ep.inputs[1]: ctx})
        sigma, mu = outs[m.scales_name], outs[m.means_name]
        lo, hi = m.gs_range
        want = np.clip(np.clip(syms, -Z_CLAMP, Z_CLAMP) * (1 << m.e_y) + mu, lo, hi)
        np.testing.assert_array_equal(want, y_hat)
        # the y substream again from the whole-graph rows, position-major (§11.3): same bytes
        rows = gaussian_indexes(sigma, m.thresholds)
        enc = RansEncoder()
        M, yh, yw = syms.shape
        for i in range(yh):
            for j in range(yw):
                for c in range(M):
                    off, cdf = m.gc.row(int(rows[c, i, j]))
                    enc.value(off, cdf, m.gc.precision, int(syms[c, i, j]))
        self.assertEqual(enc.finish(), h.substreams[1])
        return rgb

    def test_per_position_equals_whole_graphs(self):
        for name, path in [("mbt2018-rgb-77x45.gic", CTX), ("crafted-escapes-mbt2018.gic", CTX),
                           ("mbt2018real-rgb-77x45.gic", CTX_REAL), ("mbt2018real-chelsea.gic", CTX_REAL)]:
            with self.subTest(vector=name):
                self._identity(path, read_bytes(os.path.join(VECTORS, name)))

    def test_crafted_symbols_round_trip(self):
        m = model(CTX)
        rng = np.random.default_rng(15)
        W, H = 130, 65   # padded 192 × 128: z 2 × 3, y 8 × 12 positions
        z = rng.integers(-4, 5, size=(m.N, 2, 3)).astype(object)
        y = rng.integers(-40, 41, size=(m.M, 8, 12)).astype(object)
        y[3, 0, 0], y[0, 7, 11], y[m.M - 1, 4, 5] = 2**63 - 1, -2**63, 2**20 + 7
        data = craft.build(m, W, H, z, y)
        rgb, info = decode(data, m, return_latents=True)
        self.assertEqual(rgb.shape, (H, W, 3))
        np.testing.assert_array_equal(info["y_symbols"], y.astype(np.int64))
        np.testing.assert_array_equal(info["z_symbols"], z.astype(np.int64))
        with self.assertRaises(DamagedStream):
            decode(data, m, symbol_bits=32)
        self._identity(CTX, data)

    def test_position_major_order(self):
        """Symbols coded channel-major (§5's order) instead of position-major decode differently."""
        m = model(CTX)
        rng = np.random.default_rng(3)
        z = np.zeros((m.N, 1, 1), dtype=object)
        y = rng.integers(-3, 4, size=(m.M, 4, 4)).astype(object)
        data = craft.build(m, 64, 64, z, y)
        _, info = decode(data, m, return_latents=True)
        np.testing.assert_array_equal(info["y_symbols"], y.astype(np.int64))
        # the same symbol list read as (c, i, j) raster order is another latent
        flat = np.array([y[c, i, j] for i in range(4) for j in range(4) for c in range(m.M)], dtype=np.int64)
        self.assertFalse(np.array_equal(flat.reshape(m.M, 4, 4), y.astype(np.int64)))


GIC_REF = find_tool("GIC_REF", "gic-ref")
NO_REF = ("gic-ref not found ($GIC_REF, .build/release or .build/debug): "
          "skipping the comparisons against freshly encoded mbt2018 streams")


@unittest.skipUnless(GIC_REF, NO_REF)
class ReferenceComparisonTests(unittest.TestCase):
    """Encode with gic-ref, decode with gic-ref and with gic_spec_decoder: same RGB SHA-256."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.count = 0

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def _case(self, model_path, image):
        ReferenceComparisonTests.count += 1
        gic = os.path.join(self.tmp.name, f"c{self.count}.gic")
        subprocess.run([GIC_REF, "encode", image, "-m", model_path, "-o", gic, "-q"], check=True)
        r = subprocess.run([GIC_REF, "decode", gic, "-m", model_path, "-o", gic + ".rgb", "--json"],
                           check=True, capture_output=True, text=True)
        want = json.loads(r.stdout)["rgb_sha256"]
        data = read_bytes(gic)
        self.assertEqual(bitstream.parse(data).profile, 5)
        rgb, _ = decode(data, model(model_path))
        self.assertEqual(sha(rgb), want, f"{os.path.basename(model_path)} {os.path.basename(image)}")

    def test_fixture_model(self):
        for img in sorted(os.listdir(IMAGES)):
            with self.subTest(image=img):
                self._case(CTX, os.path.join(IMAGES, img))

    def test_shipped_model(self):
        imgs = ["rgb-1x1.png", "rgb-17x31.png", "rgba-33x20.png", "gray-40x24.png", "photo-96x64.png"]
        for img in imgs:
            with self.subTest(image=img):
                self._case(CTX_REAL, os.path.join(IMAGES, img))

    def test_shipped_model_photos(self):
        if GIC_REF.endswith(os.path.join("debug", "gic-ref")):
            self.skipTest("only a debug gic-ref: too slow for whole photos")
        for img in ("rocket.png", "test-768x512.png"):
            with self.subTest(image=img):
                self._case(CTX_REAL, os.path.join(ROOT, "data", "images", img))


if __name__ == "__main__":
    unittest.main()
