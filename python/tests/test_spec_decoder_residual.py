"""The low-pass residual of spec/bitstream.md §7.7 (bitstream version 1.2) in gic_spec_decoder: the
header rules of §2.2 (a fifth substream of profile 3 from minor version 2 on), the residual
substream (table RESIDUAL, offset −31, values outside −31…31 refused), lowpass_residual against
the definition in Python integers and against an independent float64 bilinear interpolation,
whole profile-3 streams with five substreams (residual, then gains, then the detail fill); and
(when gic-ref's `--detail on` writes a residual substream) streams gic-ref encodes, decoded by
both.

Run: PYTHONPATH=python python3 -m unittest python/tests/test_spec_decoder_residual.py -v
(NumPy only; Pillow for the check of the reference rule on gic-ref's streams.)
"""
import os
import re
import sys
import tempfile
import unittest

import numpy as np

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "python", "tests"))

from gic_spec_decoder import BitstreamError, DamagedStream, bitstream, craft, decode  # noqa: E402
from gic_spec_decoder.decoder import (RESIDUAL_TABLE, band_gains, decode_residual, detail_fill,  # noqa: E402
                                      detail_grid, lowpass_residual, residual_delta)
from spec_stage_support import (GICV1, IMAGES, MBT, MBT2018, SEEDED, UNSEEDED, V2,  # noqa: E402
                                assert_entropy_damage_named, assert_first_value_offset, assert_out_of_range_refused,
                                assert_round_trip, assert_table_rows_valid, assert_zero_codes_are_the_identity,
                                build_case, decode_like_gic_ref, decode_plain, encode_with_gic_ref,
                                find_gic_ref_with_gains, gic_ref_streams, gicv1, random_detail, random_gains,
                                random_residual, read_bytes, spec_section, with_substreams)

B = 32


def spec_77():
    return spec_section("### 7.7")


def empty_substream():
    return craft.residual_substream(np.zeros((3, 0, 0), dtype=np.int64))


def exact_delta(codes, H, W):
    """δ_m[a, c] of §7.7 in Python integers, pixel by pixel, straight from the text."""
    n_y, n_x = len(codes[0]), len(codes[0][0])

    def taps(a, n_b):
        u = 2 * a + 1 - B
        i = u // (2 * B)            # Python's // rounds toward −∞
        f = u - 2 * B * i
        assert 0 <= f < 2 * B
        e = lambda t: min(max(t, 0), n_b - 1)  # noqa: E731
        return (e(i), e(i + 1)), (2 * B - f, f)

    out = np.empty((3, H, W), dtype=np.int64)
    for a in range(H):
        r, v = taps(a, n_y)
        for c in range(W):
            s, h = taps(c, n_x)
            for m in range(3):
                acc = sum(v[p] * h[q] * int(codes[m][r[p]][s[q]]) for p in range(2) for q in range(2))
                out[m, a, c] = (acc + 1024) >> 11
    return out


def exact_residual(rgb, codes):
    H, W = rgb.shape[:2]
    d = exact_delta(codes, H, W)
    out = np.empty_like(rgb)
    for m in range(3):
        out[:, :, m] = np.clip(rgb[:, :, m].astype(np.int64) + d[m], 0, 255)
    return out


def float_bilinear(codes, H, W):
    """2 · the bilinear interpolation of the codes in float64, written independently of the
    integer formula: block i's value sits at its centre (i + ½)·B − ½ and is held beyond the outer
    centres (np.interp holds the end values).  Returns (3, H, W) before rounding."""
    k = np.asarray(codes, dtype=np.float64)
    n_y, n_x = k.shape[1:]
    cy = (np.arange(n_y) + 0.5) * B - 0.5
    cx = (np.arange(n_x) + 0.5) * B - 0.5
    rows = np.arange(H, dtype=np.float64)
    cols = np.arange(W, dtype=np.float64)
    out = np.empty((3, H, W))
    for m in range(3):
        # columns first (per block row), then rows
        t = np.stack([np.interp(cols, cx, k[m, i]) for i in range(n_y)])          # (n_y, W)
        out[m] = np.stack([np.interp(rows, cy, t[:, c]) for c in range(W)], axis=1)  # (H, W)
    return 2 * out


class ConstantTests(unittest.TestCase):
    def test_table_is_the_spec_texts(self):
        text = spec_77()
        table = text[text.index("**Table RESIDUAL**"):]
        self.assertIn("offset −31", table)
        for m in range(3):
            body = re.search(rf"row {m}: ([0-9,\s]+?)(?:\n\s*row|\n\n)", table).group(1)
            row = [int(v) for v in body.replace("\n", " ").split(",")]
            self.assertEqual(list(RESIDUAL_TABLE[m]), row, m)

    def test_table_rows_are_valid(self):
        self.assertEqual(len(RESIDUAL_TABLE), 3)
        assert_table_rows_valid(self, RESIDUAL_TABLE, 65)  # symbols 0…62 for −31…31, the escape 63


class ResidualTests(unittest.TestCase):
    """lowpass_residual against §7.7's definition."""

    def test_zero_codes_are_the_identity(self):
        assert_zero_codes_are_the_identity(self, lowpass_residual, 3)

    def test_equal_codes_add_2k_everywhere(self):
        """The weights of a pixel sum to 2^12 = 2 · 2^11: codes k everywhere add exactly 2k to
        every sample (then clamp), at every picture size, partial blocks included."""
        rng = np.random.default_rng(2)
        for H, W in ((1, 1), (1, 40), (33, 1), (45, 77), (64, 64), (97, 67)):
            rgb = rng.integers(0, 256, size=(H, W, 3), dtype=np.uint8)
            for k in (-31, -7, -1, 1, 5, 31):
                codes = np.full((3,) + detail_grid(H, W), k, dtype=np.int64)
                with self.subTest(H=H, W=W, k=k):
                    np.testing.assert_array_equal(residual_delta(codes, H, W), np.full((3, H, W), 2 * k))
                    want = np.clip(rgb.astype(np.int64) + 2 * k, 0, 255)
                    np.testing.assert_array_equal(lowpass_residual(rgb, codes), want)
        # per channel: each channel its own constant
        rgb = rng.integers(60, 190, size=(40, 70, 3), dtype=np.uint8)
        codes = np.empty((3, 2, 3), dtype=np.int64)
        codes[0], codes[1], codes[2] = 3, -4, 0
        np.testing.assert_array_equal(lowpass_residual(rgb, codes).astype(np.int64) - rgb,
                                      np.broadcast_to([6, -8, 0], (40, 70, 3)))

    def test_gray_stays_gray_with_equal_channel_codes(self):
        rng = np.random.default_rng(3)
        H, W = 70, 100
        gray = np.repeat(rng.integers(0, 256, size=(H, W, 1), dtype=np.uint8), 3, axis=2)
        one = random_residual(rng, H, W)[:1]
        out = lowpass_residual(gray, np.repeat(one, 3, axis=0))
        self.assertFalse(np.array_equal(out, gray))
        np.testing.assert_array_equal(out[:, :, 0], out[:, :, 1])
        np.testing.assert_array_equal(out[:, :, 0], out[:, :, 2])
        # and channels with different codes differ
        diff = lowpass_residual(gray, random_residual(rng, H, W))
        self.assertFalse(np.array_equal(diff[:, :, 0], diff[:, :, 1]))

    def test_equals_exact_integers(self):
        """Partial blocks at the right and bottom, pictures narrower than a block, 1×1."""
        rng = np.random.default_rng(4)
        for H, W in ((1, 1), (1, 40), (33, 1), (5, 3), (16, 17), (33, 40), (45, 77), (97, 67)):
            rgb = rng.integers(0, 256, size=(H, W, 3), dtype=np.uint8)
            codes = random_residual(rng, H, W)
            with self.subTest(H=H, W=W):
                np.testing.assert_array_equal(residual_delta(codes, H, W), exact_delta(codes.tolist(), H, W))
                np.testing.assert_array_equal(lowpass_residual(rgb, codes), exact_residual(rgb, codes.tolist()))

    def test_agrees_with_float_bilinear(self):
        """δ = rshift(·, 11) is round-half-up of 2 · the bilinear interpolation; the float64
        computation (weights multiples of 1/64 per axis, so exact here) gives the same integer
        wherever it is not at a tie (x.5); at the ties rshift rounds toward +∞ (−3.5 → −3), which
        the float values, exact, also show."""
        rng = np.random.default_rng(5)
        tie_codes = np.array([[[22, 9], [1, -15]], [[-12, -29], [-27, -30]], [[-20, 20], [9, 26]]])
        cases = [((H, W), random_residual(rng, H, W))
                 for H, W in ((1, 1), (1, 40), (33, 1), (20, 20), (45, 77), (64, 96), (97, 67), (130, 33))]
        cases.append(((64, 64), tie_codes))
        ties = negative_ties = 0
        for (H, W), codes in cases:
            got = residual_delta(codes, H, W)
            v = float_bilinear(codes, H, W)
            want = np.floor(v + 0.5).astype(np.int64)
            near_tie = np.abs(v - np.floor(v) - 0.5) < 1e-9
            ties += int(near_tie.sum())
            negative_ties += int((near_tie & (v < 0)).sum())
            with self.subTest(H=H, W=W):
                np.testing.assert_array_equal(got[~near_tie], want[~near_tie])
                self.assertLessEqual(int(np.abs(got - want).max()), 1)
                # the float values are exact: the ties too agree with rounding half up
                self.assertTrue(np.all(v[near_tie] * 2 == np.round(v[near_tie] * 2)))
                np.testing.assert_array_equal(got[near_tie], want[near_tie])
                # inside the outer centres the interpolation is not constant per block
                if H >= 64 and W >= 64:
                    self.assertGreater(len(np.unique(got[0, 16:48, 16])), 4)
        self.assertGreater(ties, 0)
        self.assertGreater(negative_ties, 0)

    def test_block_centres_and_held_edges(self):
        """At a block centre pair (rows (i+½)B − ½ lie between pixels B/2 − 1 and B/2) a pixel is
        ¼ of a pixel from the centre: within a single block the value is that block's; beyond the
        outer centres it is held; a block's code reaches only the pixels within B of its centre."""
        H, W = 96, 128
        n_y, n_x = detail_grid(H, W)
        for i, j in ((0, 0), (1, 2), (2, 3), (1, 1)):
            codes = np.zeros((3, n_y, n_x), dtype=np.int64)
            codes[:, i, j] = 31
            d = residual_delta(codes, H, W)[0]
            cy, cx = (i + 0.5) * B - 0.5, (j + 0.5) * B - 0.5
            a, c = np.meshgrid(np.arange(H), np.arange(W), indexing="ij")
            # the tent reaches B from the centre, or is held to the picture's edge at the outer blocks
            reach_y = (np.abs(a - cy) < B) | ((i == 0) & (a < cy)) | ((i == n_y - 1) & (a > cy))
            reach_x = (np.abs(c - cx) < B) | ((j == 0) & (c < cx)) | ((j == n_x - 1) & (c > cx))
            with self.subTest(block=(i, j)):
                self.assertFalse(d[~(reach_y & reach_x)].any())
                ay, ax = int(cy), int(cx)
                if 0 < i < n_y - 1 and 0 < j < n_x - 1:
                    # the four pixels around an inner centre: weight (2B − 1)² / (2B)² of 62 → 60
                    self.assertEqual(d[ay:ay + 2, ax:ax + 2].tolist(), [[60, 60], [60, 60]])
                else:
                    # held beyond the outer centres: the full 62 there
                    self.assertEqual(int(d.max()), 62)
        # a 1-block-wide picture holds the value everywhere
        codes = np.full((3, 1, 1), -9)
        np.testing.assert_array_equal(residual_delta(codes, 20, 31), np.full((3, 20, 31), -18))

    def test_delta_is_at_most_62(self):
        rng = np.random.default_rng(6)
        H, W = 97, 67
        worst = 0
        for trial in range(8):
            codes = rng.choice([-31, 31], size=(3,) + detail_grid(H, W))
            if trial == 0:
                codes[:] = 31
            if trial == 1:
                codes[:] = -31
            d = residual_delta(codes, H, W)
            worst = max(worst, int(np.abs(d).max()))
        self.assertEqual(worst, 62)

    def test_samples_clamp(self):
        zero = np.zeros((40, 40, 3), dtype=np.uint8)
        full = np.full((40, 40, 3), 255, dtype=np.uint8)
        np.testing.assert_array_equal(lowpass_residual(zero, np.full((3, 2, 2), -31)), zero)
        np.testing.assert_array_equal(lowpass_residual(full, np.full((3, 2, 2), 31)), full)
        np.testing.assert_array_equal(lowpass_residual(full - 10, np.full((3, 2, 2), 31)), full)
        np.testing.assert_array_equal(lowpass_residual(zero + 10, np.full((3, 2, 2), -31)), zero)


class SubstreamTests(unittest.TestCase):
    def test_round_trip(self):
        assert_round_trip(self, np.random.default_rng(7), random_residual, [(0, 0, -31), (1, -1, 31), (2, 0, 0)],
                          craft.residual_substream, decode_residual)

    def test_out_of_range_values_are_a_damaged_stream(self):
        assert_out_of_range_refused(
            self, np.random.default_rng(8), random_residual,
            ((32, 0, (1, 2)), (-32, 2, (0, 0)), (2 ** 40, 1, (2, 2)), (-2 ** 40, 2, (2, 0))),
            craft.residual_substream, decode_residual,
            lambda bad, ch, where: (rf"^residual substream \(the fifth, at file byte 1000\): value {bad} of"
                                    rf" channel {ch}, block \({where[0]}, {where[1]}\) is outside -31…31, at"
                                    r" byte \d+ of the substream \(file byte \d+\)"))

    def test_the_offset_is_that_of_the_value(self):
        assert_first_value_offset(self, 3, 40, craft.residual_substream, decode_residual)

    def test_entropy_coding_damage_names_the_residual_substream(self):
        data = craft.residual_substream(random_residual(np.random.default_rng(9), 70, 90))
        assert_entropy_damage_named(self, data, decode_residual, "^residual substream")


class HeaderTests(unittest.TestCase):
    """§2.2: profile 3 may have 5 substreams from minor version 2 on; nothing else may."""

    def five(self, minor=2):
        data = read_bytes(SEEDED)
        rng = np.random.default_rng(10)
        return craft.with_residual(data, random_detail(rng, 45, 77), random_gains(rng, 45, 77),
                                   random_residual(rng, 45, 77), minor=minor)

    def test_minor_2_with_five_substreams_is_read(self):
        for minor in (2, 3, 255):
            with self.subTest(minor=minor):
                h = bitstream.parse(self.five(minor))
                self.assertEqual(len(h.substreams), 5)
                self.assertTrue(h.has_detail and h.has_gains and h.has_residual)
                self.assertEqual(h.as_dict()["version"], f"1.{minor}")
                self.assertTrue(h.as_dict()["residual"])
        self.assertEqual(bitstream.parse(craft.with_residual(read_bytes(SEEDED), *self._codes())).minor, 2)

    def _codes(self):
        rng = np.random.default_rng(11)
        return random_detail(rng, 45, 77), random_gains(rng, 45, 77), random_residual(rng, 45, 77)

    def test_fewer_substreams_have_no_residual(self):
        data = read_bytes(SEEDED)
        detail, gains, _ = self._codes()
        for stream in (with_substreams(data, [], 2), craft.with_detail(data, detail, minor=2),
                       craft.with_gains(data, detail, gains)):
            h = bitstream.parse(stream)
            self.assertFalse(h.has_residual)
            self.assertFalse(h.as_dict()["residual"])
        self.assertTrue(bitstream.parse(craft.with_gains(data, detail, gains)).has_gains)

    def test_five_substreams_refused_below_minor_2(self):
        with self.assertRaisesRegex(BitstreamError,
                                    r"^substream count at byte 23: 5, profile 3 needs 2 or 3 with minor version 1"):
            bitstream.parse(self.five(1))
        with self.assertRaisesRegex(BitstreamError,
                                    r"^substream count at byte 23: 5, profile 3 needs 2 with minor version 0"):
            bitstream.parse(self.five(0))

    def test_six_substreams_refused(self):
        for minor in (2, 255):
            with self.subTest(minor=minor):
                with self.assertRaisesRegex(
                        BitstreamError,
                        rf"^substream count at byte 23: 6, profile 3 needs 2, 3, 4 or 5 with minor version {minor}"):
                    bitstream.parse(with_substreams(self.five(minor), [empty_substream()], minor))

    def test_five_substreams_refused_for_other_profiles(self):
        for path in (MBT, MBT2018):
            with self.subTest(stream=os.path.basename(path)):
                with self.assertRaisesRegex(BitstreamError, "^substream count at byte 23: 5, profile . needs 2$"):
                    bitstream.parse(with_substreams(read_bytes(path), [empty_substream()] * 3, 2))


class StreamTests(unittest.TestCase):
    """Whole profile-3 streams (the fixture gic-v1 model) with detail, gains and residual."""

    def check(self, path, seed, rng_seed):
        data, before = decode_plain(path)
        H, W = before.shape[:2]
        rng = np.random.default_rng(rng_seed)
        detail, gains, residual = random_detail(rng, H, W), random_gains(rng, H, W), random_residual(rng, H, W)
        stream = craft.with_residual(data, detail, gains, residual)
        self.assertEqual((stream[5], stream[23]), (2, 5))
        rgb, info = decode(stream, gicv1(), return_latents=True)
        corrected = lowpass_residual(before, residual)
        amplified = band_gains(corrected, gains)
        self.assertFalse(np.array_equal(corrected, before))
        np.testing.assert_array_equal(info["residual_codes"], residual)
        np.testing.assert_array_equal(info["gain_codes"], gains)
        np.testing.assert_array_equal(info["detail_codes"], detail)
        np.testing.assert_array_equal(info["rgb_before_residual"], before)
        np.testing.assert_array_equal(info["rgb_before_gains"], corrected)
        np.testing.assert_array_equal(info["rgb_before_fill"], amplified)
        # §7.2: g_s, then the residual, then the gains, then the fill
        np.testing.assert_array_equal(rgb, detail_fill(amplified, detail, seed))
        # the order matters: gains before the residual give another picture
        self.assertFalse(np.array_equal(rgb, detail_fill(lowpass_residual(band_gains(before, gains), residual),
                                                         detail, seed)))
        self.assertTrue(info["detail"] and info["gains"] and info["residual"])
        np.testing.assert_array_equal(decode(stream, gicv1())[0], rgb)

    def test_seeded_stream(self):
        self.check(SEEDED, 7, 12)

    def test_unseeded_stream(self):
        self.check(UNSEEDED, 0, 13)

    def test_zero_residual_decodes_as_four_substreams(self):
        data = read_bytes(SEEDED)
        rng = np.random.default_rng(14)
        detail, gains = random_detail(rng, 45, 77), random_gains(rng, 45, 77)
        four, _ = decode(craft.with_gains(data, detail, gains), gicv1())
        five, _ = decode(craft.with_residual(data, detail, gains, np.zeros((3, 2, 3), dtype=np.int64)), gicv1())
        np.testing.assert_array_equal(five, four)
        _, info = decode(craft.with_gains(data, detail, gains), gicv1(), return_latents=True)
        self.assertNotIn("residual_codes", info)

    def test_residual_alone_with_zero_detail_and_gains(self):
        data, before = decode_plain(UNSEEDED)
        residual = random_residual(np.random.default_rng(15), 45, 77)
        zeros = np.zeros((2, 2, 3), dtype=np.int64)
        rgb, _ = decode(craft.with_residual(data, zeros, zeros, residual), gicv1())
        np.testing.assert_array_equal(rgb, lowpass_residual(before, residual))

    def test_crafted_stream_with_an_out_of_range_residual_is_refused(self):
        data = read_bytes(SEEDED)
        rng = np.random.default_rng(16)
        residual = random_residual(rng, 45, 77).astype(object)
        residual[2][1, 2] = -32
        stream = craft.with_residual(data, random_detail(rng, 45, 77), random_gains(rng, 45, 77), residual)
        off = bitstream.parse(stream).substream_offsets[4]
        with self.assertRaisesRegex(DamagedStream,
                                    rf"^residual substream \(the fifth, at file byte {off}\): value -32 of channel 2,"
                                    r" block \(1, 2\) is outside -31…31"):
            decode(stream, gicv1())

    def test_build_with_residual(self):
        m, rng, W, H, z, y = build_case(17)
        detail, gains, residual = random_detail(rng, H, W), random_gains(rng, H, W), random_residual(rng, H, W)
        plain = craft.build(m, W, H, z, y, rate_index=100, steps=2, seed=2 ** 64 - 1)
        full = craft.build(m, W, H, z, y, rate_index=100, steps=2, seed=2 ** 64 - 1, detail=detail, gains=gains,
                           residual=residual)
        self.assertEqual((full[5], full[23]), (2, 5))
        before, _ = decode(plain, m)
        rgb, _ = decode(full, m)
        np.testing.assert_array_equal(
            rgb, detail_fill(band_gains(lowpass_residual(before, residual), gains), detail, 2 ** 64 - 1))
        with self.assertRaisesRegex(ValueError, "only after a gains substream"):
            craft.build(m, W, H, z, y, detail=detail, residual=residual)
        with self.assertRaisesRegex(ValueError, "only after a gains substream"):
            craft.with_detail(plain, detail, residual=residual)


GIC_REF = find_gic_ref_with_gains()  # whether it writes the residual is seen on its streams
CASES = [(GICV1, "rgb-65x67.png", ["--rate", "0.5", "--steps", "0"]),
         (GICV1, "noise-48x40.png", ["--rate", "0.1", "--steps", "2", "--seed", "5"]),
         (V2, "photo-96x64.png", ["--rate", "0.1", "--steps", "2", "--seed", "5"]),
         (V2, "photo-96x64.png", ["--rate", "0.03", "--steps", "0"]),
         (V2, "rgb-17x31.png", ["--rate", "0.2", "--steps", "1"]),
         (V2, "rgb-1x1.png", ["--rate", "0.2", "--steps", "2", "--seed", "1"]),
         (V2, "rgba-33x20.png", ["--rate", "0.05", "--steps", "1", "--seed", "9"]),
         (V2, "gray-40x24.png", ["--rate", "0.03", "--steps", "1", "--seed", str(2 ** 64 - 1)])]


def source_rgb(path):
    """The source picture as gic-ref reads it (alpha dropped, gray as R = G = B); None without Pillow."""
    try:
        from PIL import Image
    except ImportError:
        return None
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8)


def gic_ref_writes_residual():
    if not GIC_REF or not os.path.exists(V2):
        return False
    with tempfile.TemporaryDirectory() as tmp:
        data, _ = encode_with_gic_ref(GIC_REF, tmp, "probe", V2, os.path.join(IMAGES, "photo-96x64.png"), "on",
                                      ["--rate", "0.1", "--steps", "0"])
    return len(bitstream.parse(data).substreams) >= 5


GIC_REF_RESIDUAL = gic_ref_writes_residual()


@unittest.skipUnless(GIC_REF_RESIDUAL, "no gic-ref whose --detail on writes a residual substream (five substreams)")
class ReferenceComparisonTests(unittest.TestCase):
    """Streams gic-ref encodes with --detail on (residual, gains and fill, codes by the reference
    rules of §7.7, §7.6 and §7.5), decoded by gic-ref and by gic_spec_decoder: the same RGB SHA-256,
    the residual changes the picture, and the residual codes are those of the reference rule
    (python/gicv2/detail_fill.py residual_codes_for on the source and g_s's output)."""

    def test_residual_streams(self):
        from gicv2.detail_fill import residual_codes_for
        changed = 0
        with tempfile.TemporaryDirectory() as tmp:
            for model_path, image, opts, path, data, sha in gic_ref_streams(GIC_REF, tmp, CASES, "on"):
                with self.subTest(model=os.path.basename(model_path), image=image, opts=opts):
                    h = bitstream.parse(data)
                    # minor version 2, or 3 with signed gains (flags bit 2) since bitstream 1.3
                    self.assertEqual((h.minor, len(h.substreams), h.signed_gains),
                                     (3 if h.signed_gains else 2, 5, h.minor >= 3))
                    self.assertTrue(h.has_residual)
                    _, info = decode_like_gic_ref(self, data, model_path, sha)
                    changed += not np.array_equal(info["rgb_before_residual"], info["rgb_before_gains"])
                    src = source_rgb(path)
                    if src is not None:
                        np.testing.assert_array_equal(info["residual_codes"],
                                                      residual_codes_for(src, info["rgb_before_residual"]))
        self.assertGreater(changed, 0)


if __name__ == "__main__":
    unittest.main()
