"""The band gains of spec/bitstream.md §7.6 (bitstream version 1.2) in gic_spec_decoder: the header
rules of §2.2 (a fourth substream of profile 3 from minor version 2 on), the gains substream
(table GAIN, values outside 0…4 refused), band_gains against the definition and against an
independent float64 computation, and whole profile-3 streams with four substreams (gains, then
the detail fill of §7.5); and (when a gic-ref with `--detail on|fill|off` is built) streams
gic-ref encodes with the gains, decoded by both.

Run: PYTHONPATH=python python3 -m unittest python/tests/test_spec_decoder_gains.py -v
(NumPy only; the gic-v2 conformance vectors with a gains substream are decoded by
test_spec_decoder_conformance.py with every other vector of the set.)
"""
import math
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
from gic_spec_decoder.decoder import (GAIN, GAIN_TABLE, band_gains, decode_gains, detail_bands,  # noqa: E402
                                      detail_fill, detail_grid)
from spec_stage_support import (GICV1, MBT, MBT2018, SEEDED, UNSEEDED, V2,  # noqa: E402
                                assert_entropy_damage_named, assert_first_value_offset, assert_out_of_range_refused,
                                assert_round_trip, assert_table_rows_valid, assert_zero_codes_are_the_identity,
                                build_case, decode_like_gic_ref, decode_plain, encode_help, find_gic_ref_with_gains,
                                gic_ref_streams, gicv1, random_detail, random_gains, read_bytes, spec_section,
                                with_substreams)


def spec_76():
    return spec_section("### 7.6")


def empty_substream():
    return craft.gains_substream(np.zeros((2, 0, 0), dtype=np.int64))


def exact_gains(rgb, codes):
    """§7.6 in Python integers, pixel by pixel (the bands from detail_bands, which the detail tests
    check against P_t's double sum)."""
    H, W = rgb.shape[:2]
    out = np.empty_like(rgb)
    for ch in range(3):
        g0, g1 = detail_bands(rgb[:, :, ch].astype(np.int64))
        for a in range(H):
            for c in range(W):
                i, j = a // 32, c // 32
                v = int(GAIN[codes[0][i, j]]) * int(g0[a, c]) * 256 + int(GAIN[codes[1][i, j]]) * int(g1[a, c])
                out[a, c, ch] = min(max(int(rgb[a, c, ch]) + ((v + 2 ** 31) >> 32), 0), 255)
    return out


def float_lowpass(x, t):
    """The binomial low-pass (1, 4, 6, 4, 1)/16 in both directions, dilation t, edges repeated,
    in float64 (written independently of decoder.binomial)."""
    w = np.array([1, 4, 6, 4, 1], dtype=np.float64) / 16
    H, W = x.shape
    p = np.pad(x, 2 * t, mode="edge")
    rows = sum(w[i] * p[i * t:i * t + H, :] for i in range(5))
    return sum(w[j] * rows[:, j * t:j * t + W] for j in range(5))


def float_gains(rgb, codes):
    """The band gains as their meaning says (informative): band b multiplied by 2^(k/2), in float64;
    returns the value before rounding, (H, W, 3)."""
    H, W = rgb.shape[:2]
    bi, bj = np.arange(H) // 32, np.arange(W) // 32
    k0 = np.asarray(codes[0])[bi[:, None], bj[None, :]]
    k1 = np.asarray(codes[1])[bi[:, None], bj[None, :]]
    out = np.empty((H, W, 3))
    for ch in range(3):
        x = rgb[:, :, ch].astype(np.float64)
        l1 = float_lowpass(x, 1)
        band0, band1 = x - l1, l1 - float_lowpass(l1, 2)
        out[:, :, ch] = x + (2.0 ** (k0 / 2) - 1) * band0 + (2.0 ** (k1 / 2) - 1) * band1
    return out


def extreme_pictures():
    """0/255 pictures that drive γ_0 and γ_1 to their extremes: the signs of the bands' impulse
    responses around the centre (both polarities), checkerboards at the scales of both bands."""
    d = np.zeros((41, 41), dtype=np.int64)
    d[20, 20] = 1
    k0, k1 = detail_bands(d)
    a, c = np.meshgrid(np.arange(41), np.arange(41), indexing="ij")
    pics = [np.where(k0 > 0, 255, 0), np.where(k0 > 0, 0, 255), np.where(k1 > 0, 255, 0),
            np.where(k1 > 0, 0, 255), np.where((a + c) % 2 == 0, 255, 0),
            np.where((a // 2 + c // 2) % 2 == 0, 255, 0), np.where((a // 3 + c // 3) % 2 == 0, 255, 0)]
    return [np.repeat(p.astype(np.uint8)[:, :, None], 3, axis=2) for p in pics]


class ConstantTests(unittest.TestCase):
    def test_gains_follow_the_derivation(self):
        """G[k] = round(2^16 · (2^(k/2) − 1)), none of them near a rounding tie."""
        for k in range(5):
            v = 65536 * (2.0 ** (k / 2) - 1)
            self.assertGreater(abs(v - math.floor(v) - 0.5), 0.01)
            self.assertEqual(int(GAIN[k]), int(math.floor(v + 0.5)), k)
        self.assertEqual(GAIN.tolist(), [0, 27146, 65536, 119828, 196608])

    def test_constants_are_the_spec_texts(self):
        text = spec_76()
        m = re.search(r"\b[FG] = \(([^)]*)\)", text)  # G in the first 1.2 text, then F
        if m:
            g = [int(v) for v in m.group(1).split(",")]
        else:  # since the 1.3 text: F indexed by k = −1…4, F[−1] only with signed gains
            m = re.search(r"F\[k\] for k = ([−\-0-9, ]+):\s*\(([^)]*)\)", text)
            ks = [int(v.replace("−", "-")) for v in m.group(1).split(",")]
            fs = [int(v.replace("−", "-")) for v in m.group(2).split(",")]
            g = [f for k, f in zip(ks, fs) if k >= 0]
        self.assertEqual(GAIN.tolist(), g)
        text = text[text.index("**Table GAIN**"):]  # table GAIN's rows (SIGNED_GAIN's follow them)
        for b in range(2):
            row = [int(v) for v in re.search(rf"row {b}: ([0-9, ]+)", text).group(1).split(",")]
            self.assertEqual(list(GAIN_TABLE[b]), row)

    def test_table_rows_are_valid(self):
        assert_table_rows_valid(self, GAIN_TABLE, 7)  # symbols 0…4, the escape 5


class GainTests(unittest.TestCase):
    """band_gains against §7.6's definition."""

    def test_zero_codes_are_the_identity(self):
        assert_zero_codes_are_the_identity(self, band_gains, 2)

    def test_flat_pictures_are_unchanged(self):
        for v in (0, 77, 255):
            rgb = np.full((40, 70, 3), v, dtype=np.uint8)
            np.testing.assert_array_equal(band_gains(rgb, np.full((2, 2, 3), 4)), rgb)

    def test_gray_stays_gray(self):
        rng = np.random.default_rng(2)
        gray = np.repeat(rng.integers(0, 256, size=(50, 70, 1), dtype=np.uint8), 3, axis=2)
        out = band_gains(gray, np.maximum(random_gains(rng, 50, 70), 1))
        self.assertFalse(np.array_equal(out, gray))
        np.testing.assert_array_equal(out[:, :, 0], out[:, :, 1])
        np.testing.assert_array_equal(out[:, :, 0], out[:, :, 2])

    def test_equals_exact_integers(self):
        rng = np.random.default_rng(3)
        for H, W in ((1, 1), (5, 3), (33, 40), (45, 77)):
            rgb = rng.integers(0, 256, size=(H, W, 3), dtype=np.uint8)
            codes = random_gains(rng, H, W)
            with self.subTest(H=H, W=W):
                np.testing.assert_array_equal(band_gains(rgb, codes), exact_gains(rgb, codes))

    def test_bounds_at_the_extremes(self):
        """|γ_0| < 2^16, |γ_1| < 2^24, every term G · γ (· 2^8) below 2^42, and the int64 result
        equal to exact integers, for the pictures that drive the bands to their extremes with the
        largest gain (and every code pair)."""
        big = int(GAIN[4])
        m0 = m1 = 0
        for rgb in extreme_pictures():
            g0, g1 = detail_bands(rgb[:, :, 0].astype(np.int64))
            m0, m1 = max(m0, int(np.abs(g0).max())), max(m1, int(np.abs(g1).max()))
            for k0, k1 in ((4, 4), (4, 0), (0, 4), (1, 3)):
                codes = np.empty((2, 2, 2), dtype=np.int64)
                codes[0], codes[1] = k0, k1
                np.testing.assert_array_equal(band_gains(rgb, codes), exact_gains(rgb, codes))
        self.assertLess(m0, 2 ** 16)
        self.assertLess(m1, 2 ** 24)
        self.assertLess(big * m0 * 2 ** 8, 2 ** 42)
        self.assertLess(big * m1, 2 ** 42)
        # the a-priori bounds from samples 0…255: |γ_0| ≤ 255·256, |γ_1| ≤ 255·256²
        self.assertLess(big * 255 * 256 * 2 ** 8, 2 ** 42)
        self.assertLess(big * 255 * 256 * 256, 2 ** 42)
        # the extremes reached are those of the impulse responses' signs (up to one 0/255 step)
        d = np.zeros((41, 41), dtype=np.int64)
        d[20, 20] = 1
        k0, k1 = detail_bands(d)
        self.assertEqual(m0, 255 * int(k0[k0 > 0].sum()))
        self.assertEqual(m1, 255 * int(k1[k1 > 0].sum()))

    def test_samples_clamp(self):
        """A hard 0/255 edge amplified by 4 overshoots: the output clamps to 0…255 on both sides."""
        rgb = np.zeros((32, 32, 3), dtype=np.uint8)
        rgb[:, 16:] = 255
        rgb[:, 14:16] = 40
        codes = np.full((2, 1, 1), 4)
        out = band_gains(rgb, codes)
        pre = float_gains(rgb, codes)
        self.assertLess(pre.min(), -1)
        self.assertGreater(pre.max(), 256)
        self.assertEqual(int(out.min()), 0)
        self.assertEqual(int(out.max()), 255)

    def test_codes_apply_per_block_with_partial_blocks_at_the_edges(self):
        """A block's codes change only its pixels (the bands come from the whole picture): every
        block of the output is the block of the picture with that block's codes everywhere;
        H = 45, W = 70 has partial blocks at the bottom (13 rows) and the right (6 columns)."""
        rng = np.random.default_rng(4)
        H, W = 45, 70
        rgb = rng.integers(0, 256, size=(H, W, 3), dtype=np.uint8)
        n_y, n_x = detail_grid(H, W)
        self.assertEqual((n_y, n_x), (2, 3))
        # one block at a time, the last (partial in both directions) included
        for i, j in ((0, 0), (1, 2), (0, 2), (1, 0)):
            codes = np.zeros((2, n_y, n_x), dtype=np.int64)
            codes[:, i, j] = (3, 2)
            diff = band_gains(rgb, codes) != rgb
            inside = np.zeros((H, W), dtype=bool)
            inside[32 * i:32 * (i + 1), 32 * j:32 * (j + 1)] = True
            with self.subTest(block=(i, j)):
                self.assertFalse(diff[~inside].any())
                self.assertGreater(int(diff[inside].sum()), inside.sum() // 2)
        codes = random_gains(rng, H, W)
        out = band_gains(rgb, codes)
        for i in range(n_y):
            for j in range(n_x):
                uniform = np.empty_like(codes)
                uniform[0], uniform[1] = codes[0, i, j], codes[1, i, j]
                whole = band_gains(rgb, uniform)
                sl = (slice(32 * i, 32 * (i + 1)), slice(32 * j, 32 * (j + 1)))
                np.testing.assert_array_equal(out[sl], whole[sl])
        # band 1 alone is a coarser change than band 0 alone
        only0, only1 = np.zeros_like(codes), np.zeros_like(codes)
        only0[0], only1[1] = 4, 4
        self.assertFalse(np.array_equal(band_gains(rgb, only0), band_gains(rgb, only1)))

    def test_agrees_with_float64(self):
        """The gains as their meaning says (bands multiplied by 2^(k/2) in float64), rounded half
        up and clamped: for even codes G is exact and so is the float computation (multiples of
        2^-16), equal everywhere; with odd codes G is rounded (error ≤ 2 · 255 · 2^-17 < 0.004),
        equal wherever the float value is not within 0.005 of a tie, within 1 at the ties."""
        rng = np.random.default_rng(5)
        for H, W, codes_from in ((45, 77, (0, 2, 4)), (64, 96, (0, 1, 2, 3, 4)), (7, 5, (1, 3)), (1, 2, (4,))):
            rgb = rng.integers(0, 256, size=(H, W, 3), dtype=np.uint8)
            rgb = np.clip(float_lowpass(rgb[:, :, 0].astype(np.float64), 1)[:, :, None]
                          + rng.integers(-30, 31, size=(H, W, 3)), 0, 255).astype(np.uint8)  # photo-like
            codes = np.asarray(codes_from)[rng.integers(0, len(codes_from), size=(2,) + detail_grid(H, W))]
            got = band_gains(rgb, codes).astype(np.int64)
            v = float_gains(rgb, codes)
            want = np.clip(np.floor(v + 0.5), 0, 255).astype(np.int64)
            with self.subTest(H=H, W=W, codes=codes_from):
                if all(k % 2 == 0 for k in codes_from):
                    np.testing.assert_array_equal(got, want)
                else:
                    frac = v - np.floor(v)
                    near_tie = np.abs(frac - 0.5) < 0.005
                    np.testing.assert_array_equal(got[~near_tie], want[~near_tie])
                    self.assertLessEqual(int(np.abs(got - want).max()), 1)
                    self.assertLess(near_tie.mean(), 0.05)
                self.assertFalse(np.array_equal(got, rgb))


class SubstreamTests(unittest.TestCase):
    def test_round_trip(self):
        assert_round_trip(self, np.random.default_rng(6), random_gains, [(0, 0, 4), (1, -1, 0)],
                          craft.gains_substream, decode_gains)

    def test_out_of_range_values_are_a_damaged_stream(self):
        assert_out_of_range_refused(
            self, np.random.default_rng(7), random_gains,
            ((5, 0, (1, 2)), (-1, 1, (0, 0)), (2 ** 40, 1, (2, 2)), (15, 0, (0, 0))),
            craft.gains_substream, decode_gains,
            lambda bad, band, where: (rf"^gains substream \(the fourth, at file byte 1000\): value {bad} of band"
                                      rf" {band}, block \({where[0]}, {where[1]}\) is outside 0…4, at byte \d+"
                                      r" of the substream \(file byte \d+\)"))

    def test_the_offset_is_that_of_the_value(self):
        """The byte offset names the read position before the bad value's first unit: a bad first
        value is at byte 16 (after the two initial states)."""
        assert_first_value_offset(self, 2, 9, craft.gains_substream, decode_gains)

    def test_entropy_coding_damage_names_the_gains_substream(self):
        codes = random_gains(np.random.default_rng(8), 70, 90)
        assert_entropy_damage_named(self, craft.gains_substream(codes), decode_gains, "^gains substream")

    def test_detail_table_is_not_the_gain_table(self):
        """A detail substream read as gains is (almost always) refused: the tables differ."""
        codes = np.full((2, 3, 3), 12)
        with self.assertRaises(DamagedStream):
            decode_gains(craft.detail_substream(codes), 70, 90)


class HeaderTests(unittest.TestCase):
    """§2.2: profile 3 may have 4 substreams from minor version 2 on; nothing else may."""

    def test_minor_2_with_four_substreams_is_read_for_profile_3(self):
        data = read_bytes(SEEDED)
        rng = np.random.default_rng(9)
        detail, gains = random_detail(rng, 45, 77), random_gains(rng, 45, 77)
        for minor in (2, 3, 255):  # a higher minor version of major 1 is read
            with self.subTest(minor=minor):
                h = bitstream.parse(craft.with_gains(data, detail, gains, minor=minor))
                self.assertEqual(len(h.substreams), 4)
                self.assertTrue(h.has_detail)
                self.assertTrue(h.has_gains)
                self.assertEqual(h.as_dict()["version"], f"1.{minor}")
                self.assertTrue(h.as_dict()["gains"])
        self.assertEqual(bitstream.parse(craft.with_gains(data, detail, gains)).minor, 2)  # the default

    def test_minor_2_with_two_or_three_substreams_is_read(self):
        data = read_bytes(SEEDED)
        h = bitstream.parse(with_substreams(data, [], 2))
        self.assertFalse(h.has_detail or h.has_gains)
        h = bitstream.parse(craft.with_detail(data, random_detail(np.random.default_rng(0), 45, 77), minor=2))
        self.assertTrue(h.has_detail)
        self.assertFalse(h.has_gains)
        self.assertFalse(h.as_dict()["gains"])

    def test_four_substreams_refused_below_minor_2(self):
        data = read_bytes(SEEDED)
        rng = np.random.default_rng(10)
        detail, gains = random_detail(rng, 45, 77), random_gains(rng, 45, 77)
        with self.assertRaisesRegex(BitstreamError,
                                    r"^substream count at byte 23: 4, profile 3 needs 2 or 3 with minor version 1"):
            bitstream.parse(craft.with_gains(data, detail, gains, minor=1))
        with self.assertRaisesRegex(BitstreamError,
                                    r"^substream count at byte 23: 4, profile 3 needs 2 with minor version 0"):
            bitstream.parse(craft.with_gains(data, detail, gains, minor=0))

    def test_six_substreams_refused(self):
        """From minor version 2 on a fifth substream is the residual of §7.7 (test_spec_decoder_residual.py);
        a sixth is refused."""
        data = read_bytes(SEEDED)
        rng = np.random.default_rng(11)
        four = craft.with_gains(data, random_detail(rng, 45, 77), random_gains(rng, 45, 77))
        for minor in (2, 255):
            with self.subTest(minor=minor):
                with self.assertRaisesRegex(
                        BitstreamError,
                        rf"^substream count at byte 23: 6, profile 3 needs 2, 3, 4 or 5 with minor version {minor}"):
                    bitstream.parse(with_substreams(four, [empty_substream()] * 2, minor))

    def test_four_substreams_refused_for_other_profiles(self):
        for path in (MBT, MBT2018):
            with self.subTest(stream=os.path.basename(path)):
                with self.assertRaisesRegex(BitstreamError, "^substream count at byte 23: 4, profile . needs 2$"):
                    bitstream.parse(with_substreams(read_bytes(path), [empty_substream()] * 2, 2))
        b = bytearray(with_substreams(read_bytes(MBT), [empty_substream()] * 2, 2))
        b[6] = 4
        with self.assertRaisesRegex(BitstreamError, "substream count at byte 23: 4, profile 4 needs 1"):
            bitstream.parse(bytes(b))


class StreamTests(unittest.TestCase):
    """Whole profile-3 streams (the fixture gic-v1 model) with detail and gains substreams."""

    def check(self, path, seed, rng_seed):
        data, before = decode_plain(path)
        H, W = before.shape[:2]
        rng = np.random.default_rng(rng_seed)
        detail, gains = random_detail(rng, H, W), random_gains(rng, H, W)
        gains[:, 0, 0] = 4
        stream = craft.with_gains(data, detail, gains)
        self.assertEqual(stream[5], 2)
        self.assertEqual(stream[23], 4)
        rgb, info = decode(stream, gicv1(), return_latents=True)
        amplified = band_gains(before, gains)
        self.assertFalse(np.array_equal(amplified, before))
        np.testing.assert_array_equal(info["gain_codes"], gains)
        np.testing.assert_array_equal(info["detail_codes"], detail)
        np.testing.assert_array_equal(info["rgb_before_gains"], before)
        np.testing.assert_array_equal(info["rgb_before_fill"], amplified)
        # §7.2: g_s, then the gains, then the fill (on the amplified picture)
        np.testing.assert_array_equal(rgb, detail_fill(amplified, detail, seed))
        self.assertFalse(np.array_equal(rgb, detail_fill(before, detail, seed)))
        self.assertTrue(info["detail"] and info["gains"])
        # without return_latents: the same picture
        np.testing.assert_array_equal(decode(stream, gicv1())[0], rgb)

    def test_seeded_stream(self):
        self.check(SEEDED, 7, 12)

    def test_unseeded_stream_uses_seed_0_for_the_fill(self):
        self.check(UNSEEDED, 0, 13)

    def test_zero_gains_decode_as_three_substreams(self):
        """All-zero gain codes change nothing: the four-substream stream decodes as the stream
        with its detail substream alone, and a minor-2 stream with three substreams as minor 1."""
        data = read_bytes(SEEDED)
        detail = random_detail(np.random.default_rng(14), 45, 77)
        three, _ = decode(craft.with_detail(data, detail), gicv1())
        four, _ = decode(craft.with_gains(data, detail, np.zeros_like(detail)), gicv1())
        np.testing.assert_array_equal(four, three)
        three_2, info = decode(craft.with_detail(data, detail, minor=2), gicv1(), return_latents=True)
        np.testing.assert_array_equal(three_2, three)
        self.assertNotIn("gain_codes", info)

    def test_gains_alone_with_zero_detail(self):
        data, before = decode_plain(UNSEEDED)
        gains = random_gains(np.random.default_rng(15), 45, 77)
        rgb, _ = decode(craft.with_gains(data, np.zeros_like(gains), gains), gicv1())
        np.testing.assert_array_equal(rgb, band_gains(before, gains))

    def test_crafted_stream_with_an_out_of_range_gain_is_refused(self):
        data = read_bytes(SEEDED)
        rng = np.random.default_rng(16)
        gains = random_gains(rng, 45, 77).astype(object)
        gains[1][1, 2] = 5
        stream = craft.with_gains(data, random_detail(rng, 45, 77), gains)
        off = bitstream.parse(stream).substream_offsets[3]
        with self.assertRaisesRegex(DamagedStream,
                                    rf"^gains substream \(the fourth, at file byte {off}\): value 5 of band 1,"
                                    r" block \(1, 2\) is outside 0…4"):
            decode(stream, gicv1())

    def test_build_with_gains(self):
        """craft.build(detail=…, gains=…) from chosen symbols: four substreams, minor version 2."""
        m, rng, W, H, z, y = build_case(17)
        detail, gains = random_detail(rng, H, W), random_gains(rng, H, W)
        plain = craft.build(m, W, H, z, y, rate_index=100, steps=2, seed=2 ** 64 - 1)
        full = craft.build(m, W, H, z, y, rate_index=100, steps=2, seed=2 ** 64 - 1, detail=detail, gains=gains)
        self.assertEqual((full[5], full[23]), (2, 4))
        before, _ = decode(plain, m)
        rgb, _ = decode(full, m)
        np.testing.assert_array_equal(rgb, detail_fill(band_gains(before, gains), detail, 2 ** 64 - 1))
        with self.assertRaisesRegex(ValueError, "only after a detail substream"):
            craft.build(m, W, H, z, y, gains=gains)


GIC_REF = find_gic_ref_with_gains()
# since the low-pass residual (§7.7) `--detail on` also sends it; `--detail gains` is gains + fill
GAINS_MODE = "gains" if GIC_REF and "gains" in encode_help(GIC_REF)[0] else "on"


@unittest.skipUnless(GIC_REF, "no gic-ref with --detail on|fill|off ($GIC_REF, .build/release or .build/debug)")
class ReferenceComparisonTests(unittest.TestCase):
    """Streams gic-ref encodes with --detail on (gains and fill, codes by the reference rules of
    §7.6 and §7.5), decoded by gic-ref and by gic_spec_decoder: the same RGB SHA-256, and the
    gains change the picture."""

    def test_gains_streams(self):
        cases = [(GICV1, "rgb-65x67.png", ["--rate", "0.5", "--steps", "0"]),
                 (GICV1, "noise-48x40.png", ["--rate", "0.1", "--steps", "2", "--seed", "5"]),
                 (V2, "photo-96x64.png", ["--rate", "0.1", "--steps", "2", "--seed", "5"]),
                 (V2, "rgb-17x31.png", ["--rate", "0.2", "--steps", "1"]),
                 (V2, "rgb-1x1.png", ["--rate", "0.2", "--steps", "2", "--seed", "1"]),
                 (V2, "gray-40x24.png", ["--rate", "0.03", "--steps", "1", "--seed", str(2 ** 64 - 1)])]
        changed = 0
        with tempfile.TemporaryDirectory() as tmp:
            for model_path, image, opts, _, data, sha in gic_ref_streams(GIC_REF, tmp, cases, GAINS_MODE):
                with self.subTest(model=os.path.basename(model_path), image=image, opts=opts):
                    h = bitstream.parse(data)
                    # minor version 2, or 3 with signed gains (flags bit 2) since bitstream 1.3
                    self.assertEqual((h.minor, len(h.substreams), h.signed_gains),
                                     (3 if h.signed_gains else 2, 4, h.minor >= 3))
                    self.assertTrue(h.has_gains)
                    _, info = decode_like_gic_ref(self, data, model_path, sha)
                    changed += not np.array_equal(info["rgb_before_gains"], info["rgb_before_fill"])
        self.assertGreater(changed, 0)


if __name__ == "__main__":
    unittest.main()
