"""The detail fill of spec/bitstream.md §7.5 (bitstream version 1.1) in gic_spec_decoder: the
header rules of §2.2, the detail substream (table DETAIL, values outside 0…15 refused), the
fill against the definition, whole profile-3 streams with a third substream, and (when a gic-ref
with --detail is built) streams gic-ref encodes with the fill, decoded by both.

Run: PYTHONPATH=python python3 -m unittest python/tests/test_spec_decoder_detail.py -v
(NumPy only; the gic-v2 conformance vectors with a detail substream are decoded by
test_spec_decoder_conformance.py with every other vector of the set.)
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
from gic_spec_decoder.decoder import (DETAIL_AMPLITUDE, DETAIL_M, DETAIL_TABLE, binomial,  # noqa: E402
                                      decode_detail, detail_bands, detail_fill, detail_noise, noise_scalar)
from spec_stage_support import (DETAIL_MODES, GICV1, MBT, MBT2018, SEEDED, UNSEEDED, V2,  # noqa: E402
                                assert_entropy_damage_named, assert_out_of_range_refused, assert_round_trip,
                                assert_table_rows_valid, build_case, decode_like_gic_ref, decode_plain, encode_help,
                                gic_ref_path, gic_ref_streams, gicv1, read_bytes, with_substreams)
from spec_stage_support import random_detail as random_codes  # noqa: E402


def replace_header(stream, minor=None, count=None):
    """The stream with its minor version and/or its substream count byte replaced."""
    b = bytearray(stream)
    if minor is not None:
        b[5] = minor
    if count is not None:
        b[23] = count
    return bytes(b)


def empty_substream():
    """An (empty-symbol) 16-byte detail substream."""
    return craft.detail_substream(np.zeros((2, 0, 0), dtype=np.int64))


def three_substreams(stream, minor):
    """A stream of any profile with an (empty-symbol) 16-byte third substream appended, header
    lengths rewritten; profile 3's decoder would read it as a detail substream."""
    return with_substreams(stream, [empty_substream()], minor)


class HeaderTests(unittest.TestCase):
    """§2.2: profile 3 may have 3 substreams from minor version 1 on; nothing else may."""

    def test_minor_1_with_three_substreams_is_read_for_profile_3(self):
        data = read_bytes(SEEDED)
        codes = random_codes(np.random.default_rng(0), 45, 77)
        for minor in (1, 2, 255):  # a higher minor version of major 1 is read
            with self.subTest(minor=minor):
                h = bitstream.parse(craft.with_detail(data, codes, minor=minor))
                self.assertEqual(len(h.substreams), 3)
                self.assertTrue(h.has_detail)
                self.assertEqual(h.as_dict()["version"], f"1.{minor}")

    def test_minor_1_with_two_substreams_decodes_as_before(self):
        """"A stream with two substreams decodes exactly as in §7.2"."""
        data = read_bytes(SEEDED)
        want, _ = decode(data, gicv1())
        h = bitstream.parse(replace_header(data, minor=1))
        self.assertFalse(h.has_detail)
        got, _ = decode(replace_header(data, minor=1), gicv1())
        np.testing.assert_array_equal(got, want)

    def test_minor_0_with_three_substreams_is_refused(self):
        data = read_bytes(SEEDED)
        codes = random_codes(np.random.default_rng(0), 45, 77)
        with self.assertRaisesRegex(BitstreamError, r"substream count at byte 23: 3.*minor version 0"):
            bitstream.parse(craft.with_detail(data, codes, minor=0))

    def test_three_substreams_refused_for_other_profiles(self):
        for path in (MBT, MBT2018):
            for minor in (0, 1):
                with self.subTest(stream=os.path.basename(path), minor=minor):
                    with self.assertRaisesRegex(BitstreamError, "substream count at byte 23: 3"):
                        bitstream.parse(three_substreams(read_bytes(path), minor))
        # profile 4 (one substream): a profile-3-like z, y, detail layout is refused too
        b = bytearray(three_substreams(read_bytes(MBT), 1))
        b[6] = 4
        with self.assertRaisesRegex(BitstreamError, "substream count at byte 23: 3, profile 4 needs 1"):
            bitstream.parse(bytes(b))

    def test_four_substreams_refused_for_profile_3(self):
        data = read_bytes(SEEDED)
        three = craft.with_detail(data, random_codes(np.random.default_rng(0), 45, 77))
        four = with_substreams(three, [empty_substream()], 1)
        with self.assertRaisesRegex(BitstreamError, "substream count at byte 23: 4, profile 3 needs 2 or 3"):
            bitstream.parse(four)


class FillTests(unittest.TestCase):
    """The bands and the fill against §7.5's definitions."""

    def test_constants_follow_the_informative_derivation(self):
        # A[k] = round(256 · 2^((k − 4)/2)) for k ≥ 1; M_b = round(2^48 / (256 · RMS(β_b)))
        a = [0] + [int(np.floor(256 * 2.0 ** ((k - 4) / 2) + 0.5)) for k in range(1, 16)]
        self.assertEqual(DETAIL_AMPLITUDE.tolist(), a)
        d = np.zeros((21, 21), dtype=np.int64)
        d[10, 10] = 1
        var = (2.0 ** 32 - 1) / 12
        for b, k in enumerate(detail_bands(d)):
            rms = np.sqrt(float((k * k).sum()) * var)
            self.assertEqual(DETAIL_M[b], int(np.floor(2.0 ** 48 / (256 * rms) + 0.5)))
        assert_table_rows_valid(self, DETAIL_TABLE, 18)

    def test_binomial_equals_the_double_sum(self):
        """P_t as written (25 terms, edges repeated), including pictures smaller than the taps."""
        w = (1, 4, 6, 4, 1)
        rng = np.random.default_rng(1)
        for H, W in ((1, 1), (1, 5), (2, 3), (7, 4), (9, 13)):
            x = rng.integers(-2 ** 31, 2 ** 31, size=(H, W))
            for t in (1, 2):
                want = np.zeros((H, W), dtype=object)
                for a in range(H):
                    for c in range(W):
                        want[a, c] = sum(w[i] * w[j] * int(x[min(max(a + (i - 2) * t, 0), H - 1),
                                                             min(max(c + (j - 2) * t, 0), W - 1)])
                                         for i in range(5) for j in range(5))
                with self.subTest(H=H, W=W, t=t):
                    self.assertEqual(binomial(x, t).tolist(), want.tolist())

    def test_white_noise_is_step_8_channel_0(self):
        for seed in (0, 7, 2 ** 64 - 1):
            n = detail_noise(np.full((2, 1, 1), 15), 5, 6, seed)
            u = np.array([[noise_scalar(seed, 8, 0, a, c) for c in range(6)] for a in range(5)], dtype=np.int64)
            b0, b1 = detail_bands(u)
            want = [[(int(DETAIL_AMPLITUDE[15]) * DETAIL_M[0] * int(b0[a, c])
                      + int(DETAIL_AMPLITUDE[15]) * DETAIL_M[1] * int(b1[a, c]) + 2 ** 47) >> 48
                     for c in range(6)] for a in range(5)]
            self.assertEqual(n.tolist(), want)

    def test_bounds_and_int64_exactness_at_the_extremes(self):
        """|β_0| < 2^24, |β_1| < 2^32 (SPEC_NOTES.md: the text said 2^33, from which "each product
        below 2^58" does not follow) and n in int64 equals n in exact integers, for the noise
        patterns that drive the bands to their extremes (the signs of the band's impulse response
        around the centre pixel, alternating patterns), with the largest codes."""
        d = np.zeros((41, 41), dtype=np.int64)
        d[20, 20] = 1
        k0, k1 = detail_bands(d)
        H, W = 41, 41
        a, c = np.meshgrid(np.arange(H), np.arange(W), indexing="ij")
        patterns = [np.where(k0 > 0, 32767, -32768), np.where(k0 > 0, -32768, 32767),
                    np.where(k1 > 0, 32767, -32768), np.where(k1 > 0, -32768, 32767),
                    np.where((a + c) % 2 == 0, 32767, -32768), np.where((a // 2 + c // 2) % 2 == 0, 32767, -32768)]
        big = int(DETAIL_AMPLITUDE[15])
        extremes = [0, 0]
        for u in patterns:
            b0, b1 = detail_bands(u.astype(np.int64))
            extremes = [max(extremes[0], int(np.abs(b0).max())), max(extremes[1], int(np.abs(b1).max()))]
            exact = [[(big * DETAIL_M[0] * int(b0[i, j]) + big * DETAIL_M[1] * int(b1[i, j]) + 2 ** 47) >> 48
                      for j in range(W)] for i in range(H)]
            acc = big * DETAIL_M[0] * b0 + big * DETAIL_M[1] * b1
            self.assertEqual(((acc + (1 << 47)) >> 48).tolist(), exact)
        # the extremes are reached at the centre: 32768 · Σ|impulse response| (up to one unit)
        self.assertLessEqual(abs(extremes[0] - 32768 * int(np.abs(k0).sum())), 32768)
        self.assertLessEqual(abs(extremes[1] - 32768 * int(np.abs(k1).sum())), 32768 * 256)
        self.assertLess(extremes[0], 2 ** 24)
        self.assertLess(extremes[1], 2 ** 32)
        self.assertLess(big * DETAIL_M[0] * 2 ** 24, 2 ** 58)
        self.assertLess(big * DETAIL_M[1] * 2 ** 32, 2 ** 58)

    def test_codes_zero_change_nothing_and_gray_stays_gray(self):
        rng = np.random.default_rng(3)
        rgb = rng.integers(0, 256, size=(50, 70, 3), dtype=np.uint8)
        np.testing.assert_array_equal(detail_fill(rgb, np.zeros((2, 2, 3), dtype=np.int64), 11), rgb)
        gray = np.repeat(rgb[:, :, :1], 3, axis=2)
        out = detail_fill(gray, np.full((2, 2, 3), 12), 11)
        self.assertFalse(np.array_equal(out, gray))
        np.testing.assert_array_equal(out[:, :, 0], out[:, :, 1])
        np.testing.assert_array_equal(out[:, :, 0], out[:, :, 2])

    def test_codes_apply_per_block_and_band(self):
        """A block's code changes only its 32 × 32 pixels; band 1 alone is a coarser noise."""
        rgb = np.full((64, 96, 3), 128, dtype=np.uint8)
        codes = np.zeros((2, 2, 3), dtype=np.int64)
        codes[0, 1, 2] = 10
        diff = detail_fill(rgb, codes, 4).astype(np.int64) - 128
        self.assertTrue(np.all(diff[:32] == 0) and np.all(diff[:, :64] == 0))
        self.assertTrue(np.count_nonzero(diff[32:, 64:]) > 900)
        # amplitude A[10]/256 = 8 samples RMS (away from the edges, clamps not reached)
        rms = float(np.sqrt((diff[34:62, 66:94, 0] ** 2).mean()))
        self.assertTrue(6 < rms < 10, rms)


class SubstreamTests(unittest.TestCase):
    def test_round_trip(self):
        assert_round_trip(self, np.random.default_rng(4), random_codes, [(0, 0, 15), (1, -1, 0)],
                          craft.detail_substream, decode_detail)

    def test_out_of_range_values_are_a_damaged_stream(self):
        assert_out_of_range_refused(
            self, np.random.default_rng(5), random_codes,
            ((16, 0, (1, 2)), (-1, 1, (0, 0)), (2 ** 40, 1, (2, 2)), (100, 0, (0, 0))),
            craft.detail_substream, decode_detail,
            lambda bad, band, where: (rf"detail substream.*value {bad} of band {band}, block \({where[0]}, "
                                      rf"{where[1]}\) is outside 0…15, at byte \d+ of the substream"))

    def test_entropy_coding_damage_names_the_detail_substream(self):
        codes = random_codes(np.random.default_rng(6), 70, 90)
        assert_entropy_damage_named(self, craft.detail_substream(codes), decode_detail, "detail substream")


class StreamTests(unittest.TestCase):
    """Whole profile-3 streams (the fixture gic-v1 model) with a detail substream."""

    def check(self, path, seed):
        data, before = decode_plain(path)
        H, W = before.shape[:2]
        codes = random_codes(np.random.default_rng(7), H, W)
        stream = craft.with_detail(data, codes)
        rgb, info = decode(stream, gicv1(), return_latents=True)
        np.testing.assert_array_equal(info["detail_codes"], codes)
        np.testing.assert_array_equal(info["rgb_before_fill"], before)
        np.testing.assert_array_equal(rgb, detail_fill(before, codes, seed))
        self.assertFalse(np.array_equal(rgb, before))
        self.assertTrue(info["detail"])
        return stream, codes

    def test_seeded_stream(self):
        self.assertEqual(bitstream.parse(read_bytes(SEEDED)).seed, 7)
        self.check(SEEDED, 7)

    def test_unseeded_stream_uses_seed_0(self):
        self.assertIsNone(bitstream.parse(read_bytes(UNSEEDED)).seed)
        self.check(UNSEEDED, 0)

    def test_crafted_stream_with_an_out_of_range_code_is_refused(self):
        data = read_bytes(SEEDED)
        codes = random_codes(np.random.default_rng(8), 45, 77).astype(object)
        codes[1][1, 2] = 16
        stream = craft.with_detail(data, codes)
        off = bitstream.parse(stream).substream_offsets[2]
        with self.assertRaisesRegex(DamagedStream,
                                    rf"detail substream \(the third, at file byte {off}\): value 16 of band 1"):
            decode(stream, gicv1())

    def test_build_with_detail(self):
        """craft.build(detail=…) from chosen symbols: z, y as before, the third substream after."""
        m, rng, W, H, z, y = build_case(9)
        codes = random_codes(rng, H, W)
        plain = craft.build(m, W, H, z, y, rate_index=100, steps=2, seed=2 ** 64 - 1)
        filled = craft.build(m, W, H, z, y, rate_index=100, steps=2, seed=2 ** 64 - 1, detail=codes)
        self.assertEqual(filled[5], 1)
        before, _ = decode(plain, m)
        rgb, _ = decode(filled, m)
        np.testing.assert_array_equal(rgb, detail_fill(before, codes, 2 ** 64 - 1))


def find_gic_ref():
    """$GIC_REF, else .build/release/gic-ref, else .build/debug/gic-ref, if it has --detail; and
    the --detail value that sends the fill alone (bitstream 1.1): `fill` where gic-ref also has
    the band gains of §7.6 (there `on` sends gains and fill, bitstream 1.2), else `on`."""
    p = gic_ref_path()
    if p is None:
        return None, None
    text = "".join(encode_help(p))
    if "--detail" not in text:
        return None, None
    return p, "fill" if re.search(DETAIL_MODES, text) else "on"


GIC_REF, FILL_ONLY = find_gic_ref()


@unittest.skipUnless(GIC_REF, "no gic-ref with --detail ($GIC_REF, .build/release or .build/debug)")
class ReferenceComparisonTests(unittest.TestCase):
    """Streams gic-ref encodes with the fill alone (--detail fill, or on before the gains of §7.6;
    codes by the reference rule of §7.5), decoded by gic-ref and by gic_spec_decoder: the same RGB
    SHA-256, and the fill changes the picture."""

    def test_detail_streams(self):
        cases = [(GICV1, "rgb-65x67.png", ["--rate", "0.5", "--steps", "0"]),
                 (GICV1, "noise-48x40.png", ["--rate", "0.1", "--steps", "2", "--seed", "5"]),
                 (V2, "photo-96x64.png", ["--rate", "0.1", "--steps", "2", "--seed", "5"]),
                 (V2, "gray-40x24.png", ["--rate", "0.03", "--steps", "1", "--seed", str(2 ** 64 - 1)])]
        with tempfile.TemporaryDirectory() as tmp:
            for model_path, image, opts, _, data, sha in gic_ref_streams(GIC_REF, tmp, cases, FILL_ONLY):
                with self.subTest(model=os.path.basename(model_path), image=image, opts=opts):
                    self.assertEqual(bitstream.parse(data).minor, 1)
                    self.assertTrue(bitstream.parse(data).has_detail)
                    rgb, info = decode_like_gic_ref(self, data, model_path, sha)
                    self.assertFalse(np.array_equal(rgb, info["rgb_before_fill"]))


if __name__ == "__main__":
    unittest.main()
