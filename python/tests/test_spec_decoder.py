"""Tests of gic_spec_decoder, the decoder written from spec/*.md alone (NumPy only).

Run: python3 -m unittest discover -s python/tests -v   (scripts/test.sh does)

- Unit tests of the container reader, the rANS decoder, the integer primitives and kernels.
- The committed streams of python/tests/spec_vectors/ (expected SHA-256 from the reference
  decoder; regenerate with python/tests/make_spec_vectors.py).
- Bit-exactness against the reference codec: pictures encoded with gic-ref, decoded by both.
  These need the gic-ref binary: $GIC_REF, else .build/release/gic-ref, else .build/debug/gic-ref;
  they are skipped (with a message) when none exists.
"""
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile
import unittest

import numpy as np

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))

from gic_spec_decoder import (BitstreamError, Container, ContainerError, DamagedStream,  # noqa: E402
                              GraphError, Model, ModelError, decode, to_gray)
from gic_spec_decoder import bitstream, craft  # noqa: E402
from gic_spec_decoder.container import contents, write_container  # noqa: E402
from gic_spec_decoder.decoder import noise, noise_scalar  # noqa: E402
from gic_spec_decoder.entropy import RansDecoder, RansEncoder, gaussian_indexes  # noqa: E402
from gic_spec_decoder.graph import (conv2d_acc, conv_transpose2d_acc, isqrt, rdiv, requant,  # noqa: E402
                                    rshift)

FIX = os.path.join(ROOT, "Tests", "ReferenceCodecTests", "Fixtures", "codec")
VECTORS = os.path.join(ROOT, "python", "tests", "spec_vectors")
BMSHJ = os.path.join(FIX, "bmshj2018-hyperprior-N16-M24.gicw")
MBT = os.path.join(FIX, "mbt2018-mean-N16-M24.gicw")
GICV1 = os.path.join(FIX, "gic-v1-N16-M24-W16-random.gicw")
GICV1_REAL = os.path.join(ROOT, "models", "gic-v1.gicw")

_MODELS = {}


def model(path):
    if path not in _MODELS:
        _MODELS[path] = Model(path)
    return _MODELS[path]


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def sha(rgb):
    return hashlib.sha256(np.ascontiguousarray(rgb).tobytes()).hexdigest()


def find_tool(env, name):
    p = os.environ.get(env)
    if p:
        return p if os.path.exists(p) else None
    for build in ("release", "debug"):
        p = os.path.join(ROOT, ".build", build, name)
        if os.path.exists(p):
            return p
    return None


def redigest(b):
    """Recompute the model digest of a (modified) container (spec/container.md §6)."""
    b = bytearray(b)
    S = struct.unpack_from("<I", b, 24)[0]
    h = hashlib.sha256()
    h.update(b[0:32])
    h.update(b[64:64 + 32 * S])
    for k in range(S):
        kind, _, off, length, _ = struct.unpack_from("<IIQQQ", b, 64 + 32 * k)
        if kind != 4:
            h.update(b[off:off + length])
    b[32:64] = h.digest()
    return bytes(b)


# ---------------------------------------------------------------------------------------------
class ContainerTests(unittest.TestCase):
    def test_fixture_models_parse_and_rewrite_byte_identically(self):
        for path in (BMSHJ, MBT, GICV1):
            with self.subTest(path=os.path.basename(path)):
                data = read_bytes(path)
                c = Container(data)
                c.verify_all()
                self.assertEqual(write_container(*contents(c)), data, "canonical form (§7) not reproduced")

    def test_minimal_file_of_section_10(self):
        b = write_container({}, {}, {})
        self.assertEqual(len(b), 384)
        offsets = [struct.unpack_from("<Q", b, 64 + 32 * k + 8)[0] for k in range(4)]
        self.assertEqual(offsets, [192, 256, 320, 384])
        c = Container(b)
        self.assertEqual((c.metadata, c.tensors, c.cdfs), ({}, {}, {}))

    def _small(self):
        t = {"a": (np.arange(6, dtype=np.int16).reshape(2, 3), "int16", None),
             "b": (np.array([1, -2], np.int32), "int32", ("axis", 0, [(1, 3, 0), (5, -2, 7)]))}
        cdf = np.array([[0, 10, 65536, 0], [0, 1, 2, 65536]], np.int64)
        cd = {"c": (16, np.array([-1, 0]), np.array([3, 4]), cdf)}
        return write_container({"gic.profile": "raw", "k": [1, ["x", [2, []]]]}, t, cd)

    def test_small_content_round_trip(self):
        b = self._small()
        c = Container(b)
        self.assertEqual(c.metadata["k"], [1, ["x", [2, []]]])
        np.testing.assert_array_equal(c.tensor("a"), np.arange(6).reshape(2, 3))
        self.assertEqual(c.tensor_record("b").params, [(1, 3, 0), (5, -2, 7)])
        t = c.cdf_table("c")
        self.assertEqual(t.row(0), (-1, [0, 10, 65536]))
        self.assertEqual(write_container(*contents(c)), b)

    def test_malformed_files_are_refused(self):
        good = self._small()
        data_off = struct.unpack_from("<Q", good, 64 + 3 * 32 + 8)[0]
        meta_off = struct.unpack_from("<Q", good, 64 + 8)[0]

        def patch(at, value, fix_digest=True):
            b = bytearray(good)
            b[at:at + len(value)] = value
            return redigest(b) if fix_digest else bytes(b)

        cases = {
            "magic": patch(1, b"X", False),
            "major 2": patch(8, struct.pack("<H", 2)),
            "flags": patch(12, b"\1"),
            "trailing byte": good + b"\0",
            "truncated": good[:-1],
            "section count 3": patch(24, struct.pack("<I", 3)),
            "reserved header field": patch(28, b"\1"),
            "model digest": patch(meta_off + 6, b"\xff", False),
            "object digest": patch(data_off, b"\x7f", False),
            "non-zero padding": patch(64 + 4 * 32, b"\1"),
            "section not critical": patch(64 + 4, b"\0"),
            "section reserved": patch(64 + 24, b"\1"),
            "META count too large": patch(meta_off, struct.pack("<I", 5000)),
            "value depth 5": write_container({"k": [[[[1]]]]}, {}, {}),
            "unknown critical kind": write_container({}, {}, {}, [(7, 1, b"x")]),
            "private critical kind": write_container({}, {}, {}, [(70000, 1, b"x")]),
        }
        for name, b in cases.items():
            with self.subTest(case=name):
                with self.assertRaises(ContainerError):
                    c = Container(b)
                    c.verify_all()
                    for n in c.cdfs:
                        c.cdf_table(n)

    def test_unknown_non_critical_section_is_skipped(self):
        c = Container(write_container({"x": 1}, {}, {}, [(5, 0, b"abc"), (70000, 0, b"")]))
        self.assertEqual(c.metadata, {"x": 1})

    def test_bad_cdf_row_is_refused(self):
        cdf = np.array([[0, 10, 10, 65536]], np.int64)  # a zero frequency
        c = Container(write_container({}, {}, {"c": (16, [0], [4], cdf)}))
        with self.assertRaises(ContainerError):
            c.cdf_table("c")


# ---------------------------------------------------------------------------------------------
class EntropyTests(unittest.TestCase):
    CDF = [0, 3, 40000, 65000, 65535, 65536]  # 5 symbols: values o … o+3, escape

    def test_empty_stream_is_two_copies_of_L(self):
        self.assertEqual(RansEncoder().finish(), struct.pack("<QQ", 1 << 31, 1 << 31))
        RansDecoder(struct.pack("<QQ", 1 << 31, 1 << 31)).finish()

    def test_round_trip_with_escapes(self):
        rng = np.random.default_rng(1)
        vals = [int(v) for v in rng.integers(-8, 12, 3000)]
        vals += [-(1 << 63), (1 << 63) - 1, 1 << 40, -(1 << 31), 1 << 31, 15 + 7, 7 - 16]
        enc = RansEncoder()
        for v in vals:
            enc.value(7, self.CDF, 16, v)
        data = enc.finish()
        self.assertEqual((len(data) - 16) % 4, 0)
        dec = RansDecoder(data)
        self.assertEqual([dec.decode_value(7, self.CDF, 16) for _ in vals], vals)
        dec.finish()

    def test_escape_cost_is_nine_bits_just_outside(self):
        # §5: a value just outside the range is the escape symbol plus 5 + 4 bypass bits
        enc = RansEncoder()
        enc.value(0, self.CDF, 16, 4)
        self.assertEqual([u[1:] for u in enc.units[1:]], [(1, 5), (1, 4)])

    def _expect_damaged(self, data, n, cdf=None):
        with self.assertRaises(DamagedStream):
            dec = RansDecoder(data)
            for _ in range(n):
                dec.decode_value(0, cdf or self.CDF, 16)
            dec.finish()

    def test_damaged_streams(self):
        enc = RansEncoder()
        for v in range(-3, 8):
            enc.value(0, self.CDF, 16, v)
        good = enc.finish()
        self._expect_damaged(good[:15], 0)
        self._expect_damaged(struct.pack("<QQ", (1 << 31) - 1, 1 << 31), 0)
        self._expect_damaged(struct.pack("<QQ", 1 << 31, 1 << 63), 0)
        self._expect_damaged(good + b"\0\0\0\0", 11)   # unread bytes
        self._expect_damaged(good, 10)                  # final states not L
        self._expect_damaged(good[:-4], 11)             # renormalisation runs out
        bad = RansEncoder()
        bad.value(0, self.CDF, 16, 100, canonical=False)
        self._expect_damaged(bad.finish(), 1)
        # v = lo − 1 − d below −2^63: escape below the range of a row with offset −2^63 + 2
        over = RansEncoder()
        over.symbol(self.CDF, 4, 16)
        over.bypass(0 << 4 | 0, 5)
        over.bypass(5, 4)
        with self.assertRaises(DamagedStream):
            dec = RansDecoder(over.finish())
            dec.decode_value(-(1 << 63) + 2, self.CDF, 16)

    def test_gaussian_index_counts_thresholds_strictly_below(self):
        t = [10, 20, 20, 30]
        self.assertEqual(gaussian_indexes(np.array([0, 10, 11, 20, 21, 30, 31]), t).tolist(),
                         [0, 0, 1, 1, 3, 3, 4])


# ---------------------------------------------------------------------------------------------
def naive_conv2d(x, w, b, stride, pad):
    c_in, h, wd = x.shape
    c_out, _, k, _ = w.shape
    ho, wo = (h + 2 * pad - k) // stride + 1, (wd + 2 * pad - k) // stride + 1
    out = np.zeros((c_out, ho, wo), dtype=object)
    for o in range(c_out):
        for y in range(ho):
            for xx in range(wo):
                acc = int(b[o])
                for i in range(c_in):
                    for u in range(k):
                        for v in range(k):
                            yy, xi = y * stride - pad + u, xx * stride - pad + v
                            if 0 <= yy < h and 0 <= xi < wd:
                                acc += int(w[o, i, u, v]) * int(x[i, yy, xi])
                out[o, y, xx] = acc
    return out


def naive_conv_transpose2d(x, w, b, stride, pad, opad):
    c_in, h, wd = x.shape
    _, c_out, k, _ = w.shape
    ho, wo = (h - 1) * stride - 2 * pad + k + opad, (wd - 1) * stride - 2 * pad + k + opad
    out = np.zeros((c_out, ho, wo), dtype=object)
    out[:] = b.astype(object)[:, None, None]
    for i in range(c_in):
        for y in range(h):
            for xx in range(wd):
                for u in range(k):
                    for v in range(k):
                        Y, X = y * stride - pad + u, xx * stride - pad + v
                        if 0 <= Y < ho and 0 <= X < wo:
                            out[:, Y, X] += w[i, :, u, v].astype(object) * int(x[i, y, xx])
    return out


class IntegerOpsTests(unittest.TestCase):
    def test_rshift_rounds_half_up(self):
        a = np.array([-5, -4, -3, -2, -1, 0, 1, 2, 3, 5])
        self.assertEqual(rshift(a, 1).tolist(), [-2, -2, -1, -1, 0, 0, 1, 1, 2, 3])
        self.assertEqual(rshift(a, 0).tolist(), a.tolist())

    def test_rdiv_rounds_half_away(self):
        self.assertEqual(rdiv(np.array([-5, -3, 3, 5, 4]), 2).tolist(), [-3, -2, 2, 3, 2])

    def test_isqrt(self):
        n = np.array([0, 1, 2, 3, 4, 15, 16, 17, (1 << 31) - 1, 46340 ** 2, 46341 ** 2 - 1, (1 << 62) - 1])
        self.assertEqual(isqrt(n).tolist(), [int(np.floor(np.sqrt(float(v)))) if v < 2**52 else 2147483647
                                             for v in n.tolist()][:-1] + [2147483647])
        import math
        self.assertEqual(isqrt(n).tolist(), [math.isqrt(int(v)) for v in n])

    def test_requant_exact_beyond_63_bits(self):
        a = np.array([(1 << 46) + 12345, -(1 << 46) - 7])
        got = requant(a, np.array(2**31 - 1), np.array(40), -(1 << 40), 1 << 40)
        want = [min(max(((int(v) * (2**31 - 1)) + (1 << 39)) >> 40, -(1 << 40)), 1 << 40) for v in a]
        self.assertEqual(got.tolist(), want)

    def test_convolutions_match_the_definition(self):
        rng = np.random.default_rng(3)
        for stride, pad, k, h, w in [(1, 1, 3, 5, 6), (2, 2, 5, 7, 4), (2, 1, 3, 6, 6), (3, 0, 2, 7, 8)]:
            x = rng.integers(-4095, 4096, (3, h, w))
            wt = rng.integers(-32767, 32768, (4, 3, k, k))
            b = rng.integers(-2**20, 2**20, 4)
            got = conv2d_acc(x, wt, b, stride, pad)
            self.assertEqual(got.tolist(), naive_conv2d(x, wt, b, stride, pad).tolist())
            wt_t = rng.integers(-32767, 32768, (3, 4, k, k))
            for opad in range(stride):
                if opad > pad and k - 1 < opad:
                    continue
                got = conv_transpose2d_acc(x, wt_t, b, stride, pad, opad)
                self.assertEqual(got.tolist(), naive_conv_transpose2d(x, wt_t, b, stride, pad, opad).tolist())

    def test_noise_vectorised_equals_scalar(self):
        for seed in (0, 7, 2**63 + 5, 2**64 - 1):
            v = noise(seed, 3, 4, 3, 5)
            for c in range(4):
                for a in range(3):
                    for b in range(5):
                        self.assertEqual(int(v[c, a, b]), noise_scalar(seed, 3, c, a, b))
            self.assertTrue(np.all(v >= -32768) and np.all(v < 32768))

    def test_gray(self):
        rgb = np.array([[[1, 1, 2], [255, 255, 254], [0, 0, 1]]], np.uint8)
        self.assertEqual(to_gray(rgb).tolist(), [[1, 255, 0]])


# ---------------------------------------------------------------------------------------------
class GraphAndModelTests(unittest.TestCase):
    def test_models_load(self):
        for p in (BMSHJ, MBT, GICV1):
            m = model(p)
            self.assertEqual(m.profile, {BMSHJ: 1, MBT: 2, GICV1: 3}[p])

    def _variant(self, path, edit_meta=None, edit_tensors=None):
        meta, t, c = contents(Container(read_bytes(path)))
        meta = json.loads(json.dumps(meta))
        if edit_meta:
            edit_meta(meta)
        if edit_tensors:
            edit_tensors(t)
        return write_container(meta, t, c)

    def test_model_checks(self):
        def bound(meta):
            node = next(i for i in meta["gic.graph.g_s"] if i[0] == "node")
            node[4][node[4].index("accumulator_bound") + 1] += 1

        def op(meta):
            next(i for i in meta["gic.graph.g_s"] if i[0] == "node")[1] = "conv3d"

        def undefined(meta):
            [i for i in meta["gic.graph.g_s"] if i[0] == "node"][1][2] = ["nope"]

        def exponent(meta):
            meta["gic.graph.g_s"][0][3] += 1

        def thresholds(t):
            a, d, q = t["gaussian_conditional.scale_thresholds"]
            a = a.copy()
            a[3], a[4] = a[4], a[3] - 1
            t["gaussian_conditional.scale_thresholds"] = (a, d, q)

        def stride(meta):
            meta["gic.codec.hyper_stride"] = 128

        for name, kw, err in [("accumulator bound", dict(edit_meta=bound), GraphError),
                              ("strides not those of the graphs", dict(edit_meta=stride), ModelError),
                              ("unknown op", dict(edit_meta=op), GraphError),
                              ("undefined value", dict(edit_meta=undefined), GraphError),
                              ("g_s exponent", dict(edit_meta=exponent), ModelError),
                              ("thresholds order", dict(edit_tensors=thresholds), ModelError)]:
            with self.subTest(case=name):
                with self.assertRaises(err):
                    Model(self._variant(MBT, **kw))

    def test_reverse_output_must_fit_g_s(self):
        def edit(meta):
            meta["gic.graph.g_s"][0][4] = -3000
        with self.assertRaises(ModelError):
            Model(self._variant(GICV1, edit_meta=edit))

    def test_header_checks(self):
        data = read_bytes(os.path.join(VECTORS, "mbt-rgb-77x45.gic"))
        m = model(MBT)
        for name, b in [("magic", b"\x89GIX" + data[4:]), ("major", data[:4] + b"\2" + data[5:]),
                        ("profile 5", data[:6] + b"\5" + data[7:]),
                        ("profile 4 with two substreams", data[:6] + b"\4" + data[7:]), ("flag bit 2", data[:7] + b"\4" + data[8:]),
                        ("profile 1 with model of profile 2", data[:6] + b"\1" + data[7:]),
                        ("rate index", data[:20] + b"\1" + data[21:]), ("steps", data[:22] + b"\1" + data[23:]),
                        ("substreams 3", data[:23] + b"\3" + data[24:]),
                        ("non-canonical LEB128", data[:24] + bytes([data[24] | 0x80, 0]) + data[25:])]:
            with self.subTest(case=name):
                with self.assertRaises(BitstreamError):
                    decode(b, m)
        h = bitstream.parse(data[:5] + b"\7" + data[6:])  # a higher minor version is read
        self.assertEqual(h.minor, 7)


# ---------------------------------------------------------------------------------------------
class CommittedVectorTests(unittest.TestCase):
    """python/tests/spec_vectors: runs without any Swift binary."""

    def test_vectors(self):
        with open(os.path.join(VECTORS, "vectors.json")) as f:
            vectors = json.load(f)["vectors"]
        self.assertGreaterEqual(len(vectors), 20)
        errors = {"BitstreamError": BitstreamError, "DamagedStream": DamagedStream}
        for v in vectors:
            with self.subTest(vector=v["file"]):
                data = read_bytes(os.path.join(VECTORS, v["file"]))
                m = model(os.path.join(ROOT, v["model"]))
                if "error" in v:
                    with self.assertRaises(errors[v["error"]]):
                        decode(data, m)
                    continue
                rgb, info = decode(data, m)
                self.assertEqual(sha(rgb), v["rgb_sha256"])
                if v.get("spec_only"):
                    # the reference refuses symbols beyond 32 bits; so does symbol_bits=32
                    with self.assertRaises(DamagedStream):
                        decode(data, m, symbol_bits=32)

    def test_cli(self):
        path = os.path.join(VECTORS, "gicv1-77x45-r0.9-s1-seed7.gic")
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "x.rgb")
            r = subprocess.run([sys.executable, "-m", "gic_spec_decoder", "decode", path, "-m", GICV1, "-o", out],
                               cwd=os.path.join(ROOT, "python"), capture_output=True, text=True, check=True)
            raw = read_bytes(out)
        self.assertEqual(r.stdout.strip(), hashlib.sha256(raw).hexdigest())
        self.assertEqual(len(raw), 77 * 45 * 3)


# ---------------------------------------------------------------------------------------------
GIC_REF = find_tool("GIC_REF", "gic-ref")
GIC_CONVERT = find_tool("GIC_CONVERT", "gic-convert")
NO_REF = ("gic-ref not found ($GIC_REF, .build/release or .build/debug): "
          "skipping the comparisons against freshly encoded streams")


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

    def _case(self, model_path, image, opts=()):
        ReferenceComparisonTests.count += 1
        gic = os.path.join(self.tmp.name, f"c{self.count}.gic")
        subprocess.run([GIC_REF, "encode", image, "-m", model_path, "-o", gic, "-q"] + list(opts), check=True)
        r = subprocess.run([GIC_REF, "decode", gic, "-m", model_path, "-o", gic + ".rgb", "--json"],
                           check=True, capture_output=True, text=True)
        want = json.loads(r.stdout)["rgb_sha256"]
        rgb, info = decode(read_bytes(gic), model(model_path))
        self.assertEqual(sha(rgb), want, f"{os.path.basename(model_path)} {os.path.basename(image)} {opts}")

    def test_hyperprior_fixture_models(self):
        for m in (BMSHJ, MBT):
            for img in ("rgb-1x1.png", "rgb-77x45.png", "gray-33x20.png", "rgba-20x17.png"):
                with self.subTest(model=os.path.basename(m), image=img):
                    self._case(m, os.path.join(FIX, img))

    def test_gicv1_fixture_model(self):
        for img in ("rgb-77x45.png", "gray-33x20.png"):
            for rate in ("0.3", "0.9"):
                for steps in ("0", "1", "2", "4"):
                    for seed in (None, "7"):
                        opts = ["--rate", rate, "--steps", steps] + (["--seed", seed] if seed else [])
                        with self.subTest(image=img, opts=opts):
                            self._case(GICV1, os.path.join(FIX, img), opts)

    @unittest.skipUnless(os.path.exists(GICV1_REAL), "models/gic-v1.gicw not present")
    def test_gicv1_shipped_model(self):
        if GIC_REF.endswith(os.path.join("debug", "gic-ref")):
            self.skipTest("only a debug gic-ref: too slow for 768×512 pictures")
        for img, opts in [("test-768x512.png", ["--rate", "0.5", "--steps", "2"]),
                          ("chelsea.png", ["--rate", "0.9", "--steps", "4", "--seed", "3"]),
                          ("camera.png", ["--rate", "0.1", "--steps", "3", "--seed", str(2**64 - 1)])]:
            with self.subTest(image=img, opts=opts):
                self._case(GICV1_REAL, os.path.join(ROOT, "data", "images", img), opts)

    @unittest.skipUnless(GIC_CONVERT, "gic-convert not found: skipping the converted N64-M96 models")
    def test_converted_hyperprior_models(self):
        if GIC_REF.endswith(os.path.join("debug", "gic-ref")):
            self.skipTest("only a debug gic-ref: too slow for the N64-M96 models")
        for name in ("bmshj2018-hyperprior-N64-M96", "mbt2018-mean-N64-M96"):
            npz = os.path.join(ROOT, "models", name + ".npz")
            if not os.path.exists(npz):
                continue
            out = os.path.join(self.tmp.name, name + ".gicw")
            subprocess.run([GIC_CONVERT, npz, "-o", out], cwd=ROOT, check=True, capture_output=True)
            with self.subTest(model=name):
                self._case(out, os.path.join(ROOT, "data", "images", "chelsea.png"))


if __name__ == "__main__":
    unittest.main()
