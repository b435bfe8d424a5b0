"""Shared helpers for the tests of the picture stages after g_s in gic_spec_decoder: the detail fill
(§7.5, test_spec_decoder_detail.py), the band gains (§7.6, test_spec_decoder_gains.py) and the
low-pass residual (§7.7, test_spec_decoder_residual.py) of spec/bitstream.md, and the signed gains of
bitstream version 1.3 (test_spec_decoder_signed_gains.py).

It holds what those test files share: the paths of the fixture model and of the spec
vectors, the fixture gic-v1 model (loaded once), the spec text of a section, random per-block
codes for each stage, streams with further substreams appended, random latents for craft.build,
the checks every per-block substream shares (table rows, zero codes, round trip, out-of-range
values, entropy-coding damage), and the plumbing of the comparisons with gic-ref (finding it,
encoding with `--detail …`, decoding with `--json`, comparing its RGB SHA-256 with ours).

Not a test module itself (no test_ prefix): the test files put python/tests on sys.path and import
it, as test_gic_package.py does with gic_package_check.
"""
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
if os.path.join(ROOT, "python") not in sys.path:
    sys.path.insert(0, os.path.join(ROOT, "python"))

import numpy as np  # noqa: E402

from gic_spec_decoder import DamagedStream, Model, bitstream, craft, decode  # noqa: E402
from gic_spec_decoder.decoder import detail_grid  # noqa: E402

FIX = os.path.join(ROOT, "Tests", "ReferenceCodecTests", "Fixtures", "codec")
VECTORS = os.path.join(ROOT, "python", "tests", "spec_vectors")
GICV1 = os.path.join(FIX, "gic-v1-N16-M24-W16-random.gicw")
SEEDED = os.path.join(VECTORS, "gicv1-77x45-r0.9-s1-seed7.gic")      # profile 3, seed 7
UNSEEDED = os.path.join(VECTORS, "gicv1-77x45-r0.5-s2.gic")          # profile 3, no seed
MBT = os.path.join(VECTORS, "mbt-rgb-77x45.gic")                     # profile 2
MBT2018 = os.path.join(VECTORS, "mbt2018-rgb-77x45.gic")             # profile 5
V2 = os.path.join(ROOT, "conformance", "gic-v2", "models", "gic-v2.gicw")
IMAGES = os.path.join(ROOT, "conformance", "gic-v2", "images")

_MODEL = []


def gicv1():
    """The fixture gic-v1 model, loaded on first use."""
    if not _MODEL:
        _MODEL.append(Model(GICV1))
    return _MODEL[0]


def model_for(path):
    """The fixture gic-v1 model for GICV1 (loaded once), else the model at `path`."""
    return gicv1() if path == GICV1 else Model(path)


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def spec_section(heading):
    """spec/bitstream.md from the line `heading` (e.g. "### 7.6") up to section 8."""
    with open(os.path.join(ROOT, "spec", "bitstream.md"), encoding="utf-8") as f:
        text = f.read()
    return text[text.index(heading):text.index("## 8.")]


def random_detail(rng, height, width):
    """Detail codes (§7.5): two bands of 0…15 per block."""
    return rng.integers(0, 16, size=(2,) + detail_grid(height, width))


def random_gains(rng, height, width):
    """Gain codes (§7.6): two bands of 0…4 per block."""
    return rng.integers(0, 5, size=(2,) + detail_grid(height, width))


def random_signed_gains(rng, height, width):
    """Signed gain codes (§7.6, flags bit 2, bitstream version 1.3): three bands (0, 1, 2) of −1…4
    per block."""
    return rng.integers(-1, 5, size=(3,) + detail_grid(height, width))


def random_residual(rng, height, width, lo=-31, hi=31):
    """Residual codes (§7.7): three channels of lo…hi per block."""
    return rng.integers(lo, hi + 1, size=(3,) + detail_grid(height, width))


def with_substreams(stream, extra, minor, signed_gains=None):
    """A stream of any profile with the byte strings `extra` appended as further substreams,
    header lengths and count rewritten, minor version `minor`, flags bit 2 (signed gains) as in
    `stream` unless signed_gains says."""
    h = bitstream.parse(stream)
    subs = list(h.substreams) + list(extra)
    signed = h.signed_gains if signed_gains is None else signed_gains
    return (craft.header(h.profile, h.digest_prefix, h.width, h.height, h.rate_index, h.steps, h.seed,
                         h.grayscale, [len(s) for s in subs], minor=minor, signed_gains=signed) + b"".join(subs))


def decode_plain(path):
    """The stream at `path` and its picture decoded with the fixture gic-v1 model."""
    data = read_bytes(path)
    before, _ = decode(data, gicv1())
    return data, before


def build_case(rng_seed, width=40, height=70):
    """The inputs of the craft.build tests: the fixture gic-v1 model m, a Generator seeded with
    rng_seed, width, height, and random z and y symbols (−3…3) drawn from it for that picture."""
    m = gicv1()
    rng = np.random.default_rng(rng_seed)
    wp, hp = -(-width // m.s_z) * m.s_z, -(-height // m.s_z) * m.s_z
    z = rng.integers(-3, 4, size=(m.N, hp // m.s_z, wp // m.s_z))
    y = rng.integers(-3, 4, size=(m.M, hp // m.s_y, wp // m.s_y))
    return m, rng, width, height, z, y


# Checks shared by the per-block substreams (detail §7.5, gains §7.6, residual §7.7); `test` is the
# unittest.TestCase that asserts.

def assert_table_rows_valid(test, table, length):
    """Every row of a frequency table: `length` entries from 0 to 65536, strictly increasing."""
    for row in table:
        test.assertEqual(len(row), length)
        test.assertEqual((row[0], row[-1]), (0, 65536))
        test.assertTrue(all(x < y for x, y in zip(row, row[1:])))


def assert_zero_codes_are_the_identity(test, stage, count):
    """stage(rgb, codes) with `count` planes of zero codes returns the picture (uint8)."""
    rng = np.random.default_rng(1)
    for H, W in ((1, 1), (2, 3), (31, 33), (50, 70), (64, 96)):
        rgb = rng.integers(0, 256, size=(H, W, 3), dtype=np.uint8)
        with test.subTest(H=H, W=W):
            out = stage(rgb, np.zeros((count,) + detail_grid(H, W), dtype=np.int64))
            test.assertEqual(out.dtype, np.uint8)
            np.testing.assert_array_equal(out, rgb)


def assert_round_trip(test, rng, random_codes, pins, encode, decode_codes):
    """decode_codes(encode(codes), H, W) == codes for random codes at sizes from 1×1 to 300×451,
    with codes[plane].flat[index] = value for each (plane, index, value) of pins."""
    for H, W in ((1, 1), (32, 32), (33, 65), (45, 77), (300, 451)):
        codes = random_codes(rng, H, W)
        for plane, index, value in pins:
            codes[plane].flat[index] = value
        with test.subTest(H=H, W=W):
            np.testing.assert_array_equal(decode_codes(encode(codes), H, W), codes)


def assert_out_of_range_refused(test, rng, random_codes, cases, encode, decode_codes, message):
    """For each (bad, plane, where) of cases: random 70×90 codes with codes[plane][where] = bad,
    decoded with base_offset 1000, raise DamagedStream matching message(bad, plane, where)."""
    for bad, plane, where in cases:
        codes = random_codes(rng, 70, 90).astype(object)
        codes[plane][where] = bad
        data = encode(codes)
        with test.subTest(value=bad):
            with test.assertRaisesRegex(DamagedStream, message(bad, plane, where)):
                decode_codes(data, 70, 90, base_offset=1000)


def assert_first_value_offset(test, count, bad, encode, decode_codes):
    """A bad first value (of `count` planes of one block) is reported at byte 16 of the substream,
    after the two initial states (file byte 116 at base_offset 100)."""
    codes = np.zeros((count, 1, 1), dtype=object)
    codes[0, 0, 0] = bad
    with test.assertRaisesRegex(DamagedStream, r"at byte 16 of the substream \(file byte 116\)"):
        decode_codes(encode(codes), 10, 10, base_offset=100)


def assert_entropy_damage_named(test, data, decode_codes, pattern):
    """A 70×90 substream truncated, with an extra word, cut short, or read for a 70×60 grid (fewer
    blocks than coded: unread bytes / states) raises DamagedStream matching pattern."""
    for name, bad, shape in (("truncated", data[:-4], (70, 90)), ("extra word", data + bytes(4), (70, 90)),
                             ("short", data[:12], (70, 90)), ("wrong grid", data, (70, 60))):
        with test.subTest(case=name):
            with test.assertRaisesRegex(DamagedStream, pattern):
                decode_codes(bad, *shape)


# gic-ref's --detail with the band gains of §7.6 (`on|fill|off`, later `on|gains|fill|off`)
DETAIL_MODES = r"on\|(gains\|)?fill\|off"


def gic_ref_path():
    """$GIC_REF, else .build/release/gic-ref, else .build/debug/gic-ref: the first that exists, or None."""
    p = os.environ.get("GIC_REF")
    paths = [p] if p else [os.path.join(ROOT, ".build", b, "gic-ref") for b in ("release", "debug")]
    for p in paths:
        if p and os.path.exists(p):
            return p
    return None


def encode_help(gic_ref):
    """(stdout, stderr) of `gic-ref encode --help`."""
    r = subprocess.run([gic_ref, "encode", "--help"], capture_output=True, text=True)
    return r.stdout, r.stderr


def find_gic_ref_with_gains():
    """gic_ref_path() if its --detail has the gains (`on|fill|off` or `on|gains|fill|off`), else None."""
    p = gic_ref_path()
    if p is None:
        return None
    return p if re.search(DETAIL_MODES, "".join(encode_help(p))) else None


def encode_with_gic_ref(gic_ref, tmp, name, model_path, image, detail, opts):
    """Encodes `image` with gic-ref (`--detail detail` and opts) into tmp/name.gic and decodes it
    with gic-ref; returns the stream and gic-ref's RGB SHA-256."""
    gic = os.path.join(tmp, name + ".gic")
    subprocess.run([gic_ref, "encode", image, "-m", model_path, "-o", gic, "-q", "--detail", detail] + opts,
                   check=True)
    r = subprocess.run([gic_ref, "decode", gic, "-m", model_path, "-o", gic + ".rgb", "--json"],
                       check=True, capture_output=True, text=True)
    return read_bytes(gic), json.loads(r.stdout)["rgb_sha256"]


def gic_ref_streams(gic_ref, tmp, cases, detail):
    """For each (model_path, image, opts) of cases whose model exists, the image encoded by gic-ref
    with `--detail detail` and opts into tmp: (model_path, image, opts, image path, stream, gic-ref's
    RGB SHA-256)."""
    for k, (model_path, image, opts) in enumerate(cases):
        if not os.path.exists(model_path):
            continue
        path = os.path.join(IMAGES, image)
        data, sha = encode_with_gic_ref(gic_ref, tmp, f"c{k}", model_path, path, detail, opts)
        yield model_path, image, opts, path, data, sha


def gic_ref_signed_gains(gic_ref):
    """(True, "") if gic_ref's `--detail on` streams are of minor version 3 (byte 5; signed gains,
    spec/bitstream.md §7.6, bitstream version 1.3), else (False, why): a probe picture (rgb-17x31
    with the gic-v2 model, else the fixture gic-v1 model) is encoded once."""
    if gic_ref is None:
        return False, "no gic-ref ($GIC_REF, .build/release or .build/debug)"
    model_path = V2 if os.path.exists(V2) else GICV1
    with tempfile.TemporaryDirectory() as tmp:
        gic = os.path.join(tmp, "probe.gic")
        r = subprocess.run([gic_ref, "encode", os.path.join(IMAGES, "rgb-17x31.png"), "-m", model_path, "-o", gic,
                            "-q", "--detail", "on", "--rate", "0.2", "--steps", "0"], capture_output=True, text=True)
        if r.returncode != 0:
            return False, f"gic-ref encode --detail on failed: {(r.stderr or r.stdout).strip()[:200]}"
        data = read_bytes(gic)
    if len(data) < 8 or data[5] < 3:
        return False, (f"{gic_ref} still writes minor version {data[5] if len(data) > 5 else '?'} with --detail on"
                       " (signed gains need minor version 3)")
    return True, ""


def source_rgb(path):
    """The source picture as gic-ref reads it (alpha dropped, gray as R = G = B), uint8 (H, W, 3);
    None without Pillow."""
    try:
        from PIL import Image
    except ImportError:
        return None
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8)


def decode_like_gic_ref(test, data, model_path, sha):
    """(rgb, info) of decode(data, return_latents=True) with the model at model_path, asserting that
    the RGB SHA-256 is gic-ref's `sha`."""
    rgb, info = decode(data, model_for(model_path), return_latents=True)
    test.assertEqual(hashlib.sha256(rgb.tobytes()).hexdigest(), sha)
    return rgb, info
