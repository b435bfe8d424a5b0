"""The signed band gains of spec/bitstream.md §7.6 (bitstream version 1.3, document revision 1.8) in
gic_spec_decoder: the header rules of §2 and §2.2 (flags bit 2 only from minor version 3 on, and
only in a profile-3 stream with four or five substreams), the table SIGNED_GAIN (offset −1, values
outside −1…4 a damaged stream), band_gains with code −1 (F[−1] = −65536: the band is removed)
against direct computations, whole crafted profile-3 streams with signed gains; and (when gic-ref
writes minor-3 streams) streams gic-ref encodes with `--detail on|gains`, decoded by both, their
gain codes checked against the reference rule of §7.6 written from the spec text.

Run: PYTHONPATH=python python3 -m unittest python/tests/test_spec_decoder_signed_gains.py -v
(NumPy only; Pillow for the gic-ref comparison's pictures.  GIC_SIGNED_GAINS_SWEEP=1 runs the
comparison with gic-ref on many more pictures, rates, steps and seeds.)
"""
import functools
import hashlib
import itertools
import os
import re
import sys
import tempfile
import unittest

import numpy as np

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "python", "tests"))

from gic_spec_decoder import BitstreamError, DamagedStream, Model, bitstream, craft, decode  # noqa: E402
from gic_spec_decoder.decoder import (GAIN, GAIN_F, GAIN_TABLE, SIGNED_GAIN_TABLE, band_gains, binomial,  # noqa: E402
                                      decode_gains, detail_bands, detail_fill, detail_grid, gain_factors,
                                      lowpass_residual)
from gic_spec_decoder.graph import rshift  # noqa: E402
from spec_stage_support import (GICV1, IMAGES, MBT, MBT2018, SEEDED, UNSEEDED, V2,  # noqa: E402
                                assert_entropy_damage_named, assert_first_value_offset, assert_out_of_range_refused,
                                assert_round_trip, assert_table_rows_valid, build_case, decode_plain,
                                encode_with_gic_ref, gic_ref_path, gic_ref_signed_gains, gicv1, random_detail,
                                random_gains, random_residual, random_signed_gains, read_bytes, source_rgb,
                                spec_section, with_substreams)

F = {-1: -65536, 0: 0, 1: 27146, 2: 65536, 3: 119828, 4: 196608}  # §7.6, F[k] for k = −1…4
signed_substream = functools.partial(craft.gains_substream, signed=True)
decode_signed = functools.partial(decode_gains, signed=True)


def spec_76():
    return spec_section("### 7.6")


def minus(v):
    return int(v.strip().replace("−", "-"))


def exact_gains(rgb, codes):
    """§7.6 in Python integers, pixel by pixel, F a dict indexed by the code (−1…4)."""
    H, W = rgb.shape[:2]
    out = np.empty_like(rgb)
    for ch in range(3):
        g0, g1 = detail_bands(rgb[:, :, ch].astype(np.int64))
        for a in range(H):
            for c in range(W):
                i, j = a // 32, c // 32
                v = F[int(codes[0][i, j])] * int(g0[a, c]) * 256 + F[int(codes[1][i, j])] * int(g1[a, c])
                out[a, c, ch] = min(max(int(rgb[a, c, ch]) + ((v + 2 ** 31) >> 32), 0), 255)
    return out


def float_lowpass(x, t):
    """The binomial low-pass (1, 4, 6, 4, 1)/16 in both directions, dilation t, edges repeated, in
    float64 (exact here: every partial sum is a multiple of 2^−8 below 2^9)."""
    w = np.array([1, 4, 6, 4, 1], dtype=np.float64) / 16
    H, W = x.shape
    p = np.pad(x, 2 * t, mode="edge")
    rows = sum(w[i] * p[i * t:i * t + H, :] for i in range(5))
    return sum(w[j] * rows[:, j * t:j * t + W] for j in range(5))


def lowpass_picture(rgb, both):
    """The picture with band 0 removed (the low-pass L_1 = P_1/256) or with both bands removed
    (L_2(L_1), P_2(P_1)/2^16), each rounded half up: what code −1 leaves, computed directly."""
    out = np.empty_like(rgb)
    for ch in range(3):
        x = rgb[:, :, ch].astype(np.float64)
        low = float_lowpass(x, 1)
        if both:
            low = float_lowpass(low, 2)
        out[:, :, ch] = np.floor(low + 0.5).astype(np.uint8)
    return out


class ConstantTests(unittest.TestCase):
    def table_text(self):
        text = spec_76()
        return text[text.index("**Table SIGNED_GAIN**"):]

    def test_table_is_the_spec_texts(self):
        text = self.table_text()
        self.assertIn("precision 16, offset −1; 8 entries per row, symbols 0 … 5 for the values −1 … 4"
                      " and symbol 6 the escape", " ".join(text.split()))
        for b in range(2):
            row = [int(v) for v in re.search(rf"row {b}: ([0-9, ]+)", text).group(1).split(",")]
            self.assertEqual(list(SIGNED_GAIN_TABLE[b]), row)

    def test_table_rows_are_valid_cdfs(self):
        """Both rows: 8 entries from 0 to 2^16, strictly increasing (every symbol, the escape
        included, has a frequency of at least 1; spec/container.md §5.3, spec/entropy-coding.md §2)."""
        assert_table_rows_valid(self, SIGNED_GAIN_TABLE, 8)  # symbols 0…5 (values −1…4), the escape 6
        for row in SIGNED_GAIN_TABLE:
            self.assertGreaterEqual(min(np.diff(row)), 1)

    def test_table_differs_from_gain(self):
        """The signed table is not table GAIN shifted: −1 takes mass (row 0: 22597 of 65536) from 0."""
        self.assertNotEqual(SIGNED_GAIN_TABLE, GAIN_TABLE)
        self.assertEqual([r[1] for r in SIGNED_GAIN_TABLE], [22597, 31436])

    def test_f_is_the_spec_texts(self):
        m = re.search(r"F\[k\] for k = ([−\-0-9, ]+):\s*\(([^)]*)\)", spec_76())
        ks = [minus(v) for v in m.group(1).split(",")]
        fs = [minus(v) for v in m.group(2).split(",")]
        self.assertEqual(ks, [-1, 0, 1, 2, 3, 4])
        self.assertEqual(dict(zip(ks, fs)), F)
        self.assertEqual(GAIN_F.tolist(), [F[k] for k in range(-1, 5)])
        self.assertEqual(GAIN.tolist(), [F[k] for k in range(5)])  # unsigned codes unchanged
        self.assertEqual(F[-1], -2 ** 16)  # "F[−1] = −2^16"
        np.testing.assert_array_equal(gain_factors(np.arange(-1, 5)), GAIN_F)

    def test_gain_factors_refuse_codes_outside_minus_1_to_4(self):
        for bad in (-2, 5, 2 ** 40):
            with self.subTest(code=bad):
                with self.assertRaisesRegex(ValueError, "gain codes must be in -1…4"):
                    gain_factors(np.array([[0, bad]]))
                with self.assertRaises(ValueError):
                    band_gains(np.zeros((2, 2, 3), dtype=np.uint8), np.full((2, 1, 1), bad))

    def test_header_text(self):
        text = " ".join(spec_section("## 2. Header").split())
        self.assertIn("bit 2: signed gains (§7.6; minor version 3 or more); bits 3–7: 0", text)
        self.assertIn("bit 2 in a stream of minor version 0, 1 or 2", text)
        self.assertIn("flags bit 2 in a stream other than one of profile 3 with four or five substreams (§7.6)", text)


class GainTests(unittest.TestCase):
    """band_gains with codes −1…4 against §7.6's definition and against direct computations."""

    def test_exact_integers_with_every_code(self):
        rng = np.random.default_rng(20)
        for H, W in ((1, 1), (7, 5), (45, 70), (64, 65)):
            rgb = rng.integers(0, 256, size=(H, W, 3), dtype=np.uint8)
            codes = random_signed_gains(rng, H, W)
            codes[:, 0, 0] = -1
            with self.subTest(H=H, W=W):
                np.testing.assert_array_equal(band_gains(rgb, codes), exact_gains(rgb, codes))

    def test_minus_1_in_both_bands_leaves_the_low_pass(self):
        """Code −1 in both bands removes them: v' = rshift(P_2(P_1(v)), 16), the low-pass L_2(L_1(v))
        rounded half up (256·γ_0 + γ_1 = 2^16·v − P_2(P_1(v))), computed independently in float64."""
        rng = np.random.default_rng(21)
        for H, W in ((1, 1), (2, 3), (33, 1), (45, 77), (64, 96)):
            rgb = rng.integers(0, 256, size=(H, W, 3), dtype=np.uint8)
            codes = np.full((2,) + detail_grid(H, W), -1)
            with self.subTest(H=H, W=W):
                out = band_gains(rgb, codes)
                np.testing.assert_array_equal(out, lowpass_picture(rgb, both=True))
                for ch in range(3):
                    x = rgb[:, :, ch].astype(np.int64)
                    g0, g1 = detail_bands(x)
                    low = binomial(binomial(x, 1), 2)
                    np.testing.assert_array_equal(256 * g0 + g1, 65536 * x - low)
                    np.testing.assert_array_equal(out[:, :, ch], rshift(low, 16))

    def test_minus_1_in_band_0_leaves_p_1(self):
        """Code −1 in band 0 alone (band 1 code 0): v' = rshift(P_1(v), 8), the 5×5 low-pass."""
        rng = np.random.default_rng(22)
        for H, W in ((3, 4), (45, 77)):
            rgb = rng.integers(0, 256, size=(H, W, 3), dtype=np.uint8)
            codes = np.zeros((2,) + detail_grid(H, W), dtype=np.int64)
            codes[0] = -1
            with self.subTest(H=H, W=W):
                np.testing.assert_array_equal(band_gains(rgb, codes), lowpass_picture(rgb, both=False))

    def test_minus_1_per_block(self):
        """Code −1 in one block: that block is the low-pass picture's, every other pixel unchanged
        (the bands come from the whole picture; H = 45, W = 70 has partial blocks)."""
        rng = np.random.default_rng(23)
        H, W = 45, 70
        rgb = rng.integers(0, 256, size=(H, W, 3), dtype=np.uint8)
        low = lowpass_picture(rgb, both=True)
        for i, j in ((0, 0), (1, 2), (0, 2)):
            codes = np.zeros((2,) + detail_grid(H, W), dtype=np.int64)
            codes[:, i, j] = -1
            out = band_gains(rgb, codes)
            inside = np.zeros((H, W), dtype=bool)
            inside[32 * i:32 * (i + 1), 32 * j:32 * (j + 1)] = True
            with self.subTest(block=(i, j)):
                np.testing.assert_array_equal(out[inside], low[inside])
                np.testing.assert_array_equal(out[~inside], rgb[~inside])

    def test_minus_1_lowers_the_band_energy_to_0(self):
        """After code −1 in both bands the picture's band 0 energy is far below the source's (what
        remains is the rounding of the low-pass), and a flat picture is unchanged."""
        rng = np.random.default_rng(24)
        rgb = rng.integers(0, 256, size=(64, 64, 3), dtype=np.uint8)
        out = band_gains(rgb, np.full((2, 2, 2), -1))
        e_in = float(np.square(detail_bands(rgb[:, :, 0].astype(np.int64))[0].astype(np.float64)).sum())
        e_out = float(np.square(detail_bands(out[:, :, 0].astype(np.int64))[0].astype(np.float64)).sum())
        self.assertLess(e_out, e_in / 100)
        for v in (0, 77, 255):
            flat = np.full((40, 70, 3), v, dtype=np.uint8)
            np.testing.assert_array_equal(band_gains(flat, np.full((2, 2, 3), -1)), flat)

    def test_gray_stays_gray(self):
        rng = np.random.default_rng(25)
        gray = np.repeat(rng.integers(0, 256, size=(50, 70, 1), dtype=np.uint8), 3, axis=2)
        out = band_gains(gray, random_signed_gains(rng, 50, 70))
        np.testing.assert_array_equal(out[:, :, 0], out[:, :, 1])
        np.testing.assert_array_equal(out[:, :, 0], out[:, :, 2])

    def test_codes_0_to_4_as_before(self):
        """Codes 0…4 give what table F's unsigned part always gave (GAIN indexed by the code)."""
        rng = np.random.default_rng(26)
        rgb = rng.integers(0, 256, size=(45, 77, 3), dtype=np.uint8)
        codes = random_gains(rng, 45, 77)
        np.testing.assert_array_equal(band_gains(rgb, codes), exact_gains(rgb, codes))

    def test_extremes_stay_in_int64_and_clamp(self):
        """−1 with 0/255 checkerboards (the largest |γ|): each term below 2^42, output in 0…255,
        equal to the exact integers."""
        a, c = np.meshgrid(np.arange(40), np.arange(40), indexing="ij")
        for pic in (np.where((a + c) % 2 == 0, 255, 0), np.where((a // 2 + c // 2) % 2 == 0, 255, 0)):
            rgb = np.repeat(pic.astype(np.uint8)[:, :, None], 3, axis=2)
            for codes in (np.full((2, 2, 2), -1), np.array([[[-1, 4], [4, -1]], [[4, -1], [-1, 4]]])):
                g0, g1 = detail_bands(pic.astype(np.int64))
                self.assertLess(int(np.abs(g0).max()) * 65536 * 256, 2 ** 42)
                self.assertLess(int(np.abs(g1).max()) * 196608, 2 ** 42)
                np.testing.assert_array_equal(band_gains(rgb, codes), exact_gains(rgb, codes))


class SubstreamTests(unittest.TestCase):
    """The gains substream with table SIGNED_GAIN (offset −1)."""

    def test_round_trip(self):
        assert_round_trip(self, np.random.default_rng(30), random_signed_gains, [(0, 0, -1), (1, -1, 4), (1, 0, -1)],
                          signed_substream, decode_signed)

    def test_minus_1_is_a_direct_symbol(self):
        """−1 is symbol 0 of SIGNED_GAIN (no escape): a substream of −1 codes only is small, and the
        same codes through table GAIN are escapes (and refused)."""
        codes = np.full((2, 10, 10), -1)
        data = signed_substream(codes)
        np.testing.assert_array_equal(decode_signed(data, 320, 320), codes)
        self.assertLess(len(data), len(craft.gains_substream(codes)))
        with self.assertRaisesRegex(DamagedStream, r"value -1 of band 0, block \(0, 0\) is outside 0…4"):
            decode_gains(craft.gains_substream(codes), 320, 320)

    def test_out_of_range_values_are_a_damaged_stream(self):
        assert_out_of_range_refused(
            self, np.random.default_rng(31), random_signed_gains,
            ((5, 0, (1, 2)), (-2, 1, (0, 0)), (2 ** 40, 1, (2, 2)), (-(2 ** 40), 0, (0, 0)), (15, 0, (0, 0))),
            signed_substream, decode_signed,
            lambda bad, band, where: (rf"^gains substream \(the fourth, at file byte 1000\): value {bad} of band"
                                      rf" {band}, block \({where[0]}, {where[1]}\) is outside -1…4, at byte \d+"
                                      r" of the substream \(file byte \d+\)"))

    def test_the_offset_is_that_of_the_value(self):
        assert_first_value_offset(self, 2, -2, signed_substream, decode_signed)

    def test_entropy_coding_damage_names_the_gains_substream(self):
        codes = random_signed_gains(np.random.default_rng(32), 70, 90)
        assert_entropy_damage_named(self, signed_substream(codes), decode_signed, "^gains substream")

    def test_the_tables_are_not_interchangeable(self):
        """Codes 0…4 coded with GAIN and read with SIGNED_GAIN (or the reverse) do not come back."""
        codes = random_gains(np.random.default_rng(33), 70, 90)
        codes[:, 0, :] = 0  # 0 has different frequencies in the two tables
        for data, dec in ((craft.gains_substream(codes), decode_signed), (signed_substream(codes), decode_gains)):
            try:
                got = dec(data, 70, 90)
            except DamagedStream:
                continue
            self.assertFalse(np.array_equal(got, codes))


def signed_four(minor=None, rng_seed=40, path=SEEDED, residual=False):
    data = read_bytes(path)
    rng = np.random.default_rng(rng_seed)
    detail, gains = random_detail(rng, 45, 77), random_signed_gains(rng, 45, 77)
    if residual:
        return craft.with_residual(data, detail, gains, random_residual(rng, 45, 77), minor=minor, signed=True)
    return craft.with_gains(data, detail, gains, minor=minor, signed=True)


def set_flags(stream, bit2, minor=None):
    b = bytearray(stream)
    b[7] = (b[7] | 4) if bit2 else (b[7] & ~4)
    if minor is not None:
        b[5] = minor
    return bytes(b)


class HeaderTests(unittest.TestCase):
    """§2, §2.2: flags bit 2 from minor version 3 on, in profile 3 with four or five substreams."""

    def test_signed_stream_is_read(self):
        for residual in (False, True):
            for minor in (None, 3, 4, 255):  # a higher minor version of major 1 is read
                with self.subTest(residual=residual, minor=minor):
                    data = signed_four(minor, residual=residual)
                    self.assertEqual(data[5], 3 if minor is None else minor)  # craft's default: 3
                    self.assertEqual(data[7] & 4, 4)
                    h = bitstream.parse(data)
                    self.assertTrue(h.signed_gains and h.has_gains)
                    self.assertEqual(len(h.substreams), 5 if residual else 4)
                    self.assertTrue(h.as_dict()["signed_gains"])

    def test_bit_2_below_minor_3_is_refused(self):
        for residual in (False, True):
            for minor in (0, 1, 2):
                with self.subTest(residual=residual, minor=minor):
                    with self.assertRaisesRegex(
                            BitstreamError, rf"^flags at byte 7: reserved bit 2 set \(0x0[67]\) in a stream of minor"
                                            rf" version {minor} \(signed gains, bit 2, need minor version 3"):
                        bitstream.parse(signed_four(minor, residual=residual))

    def test_bit_2_without_a_gains_substream_is_refused(self):
        """Profile 3 with two or three substreams (no gains substream) and bit 2: refused, at any
        minor version from 3 on."""
        data = read_bytes(SEEDED)
        detail = random_detail(np.random.default_rng(41), 45, 77)
        for minor in (3, 4, 255):
            for name, stream in (("two", with_substreams(data, [], minor, signed_gains=True)),
                                 ("three", set_flags(craft.with_detail(data, detail, minor=minor), True))):
                with self.subTest(substreams=name, minor=minor):
                    n = 2 if name == "two" else 3
                    with self.assertRaisesRegex(
                            BitstreamError, rf"^flags at byte 7: bit 2 \(signed gains\) set in a stream of profile 3"
                                            rf" with {n} substreams \(substream count at byte 23\); it needs profile 3"
                                            r" with four or five substreams"):
                        bitstream.parse(stream)
        with self.assertRaisesRegex(ValueError, "signed gains need a gains substream"):
            craft.with_detail(data, detail, signed=True)

    def test_bit_2_in_other_profiles_is_refused(self):
        for path in (MBT, MBT2018):
            for minor in (3, 255):
                with self.subTest(stream=os.path.basename(path), minor=minor):
                    stream = with_substreams(read_bytes(path), [], minor, signed_gains=True)
                    with self.assertRaisesRegex(
                            BitstreamError, r"^flags at byte 7: bit 2 \(signed gains\) set in a stream of profile"
                                            r" [25] with 2 substreams"):
                        bitstream.parse(stream)
        b = bytearray(with_substreams(read_bytes(MBT), [], 3, signed_gains=True))
        b[6] = 1
        with self.assertRaisesRegex(BitstreamError, "^flags at byte 7: bit 2 .* profile 1 with 2 substreams"):
            bitstream.parse(bytes(b))
        # four substreams in profile 2 with bit 2: the substream count is refused in any case
        stream = with_substreams(read_bytes(MBT), [craft.gains_substream(np.zeros((2, 0, 0)))] * 2, 3,
                                 signed_gains=True)
        with self.assertRaisesRegex(BitstreamError, "^(substream count at byte 23|flags at byte 7)"):
            bitstream.parse(stream)
        # profile 4 (one substream) with minor 2: the reserved bit comes first
        b = bytearray(with_substreams(read_bytes(MBT), [], 2, signed_gains=True))
        b[6] = 4
        with self.assertRaisesRegex(BitstreamError, "^flags at byte 7: reserved bit 2 set"):
            bitstream.parse(bytes(b))

    def test_bits_3_to_7_stay_reserved(self):
        data = signed_four()
        for bit in range(3, 8):
            for minor in (3, 255):
                b = bytearray(data)
                b[7] |= 1 << bit
                b[5] = minor
                with self.subTest(bit=bit, minor=minor):
                    with self.assertRaisesRegex(BitstreamError,
                                                r"^flags at byte 7: reserved bits set \(0x..; bits 3–7"):
                        bitstream.parse(bytes(b))

    def test_minor_3_without_bit_2_is_read_as_unsigned(self):
        """A minor-3 stream whose flags bit 2 is clear (encoders write 2 there, §2.2) is read: a
        higher minor version is read; its gains use table GAIN."""
        data = read_bytes(SEEDED)
        rng = np.random.default_rng(42)
        detail, gains = random_detail(rng, 45, 77), random_gains(rng, 45, 77)
        s2 = craft.with_gains(data, detail, gains)
        s3 = craft.with_gains(data, detail, gains, minor=3)
        self.assertEqual((s2[5], s3[5], s3[7] & 4), (2, 3, 0))
        h = bitstream.parse(s3)
        self.assertFalse(h.signed_gains)
        self.assertFalse(h.as_dict()["signed_gains"])
        np.testing.assert_array_equal(decode(s3, gicv1())[0], decode(s2, gicv1())[0])


class StreamTests(unittest.TestCase):
    """Whole crafted profile-3 streams (the fixture gic-v1 model) with signed gains."""

    def check(self, path, seed, rng_seed, residual=False):
        data, before = decode_plain(path)
        H, W = before.shape[:2]
        rng = np.random.default_rng(rng_seed)
        detail, gains = random_detail(rng, H, W), random_signed_gains(rng, H, W)
        gains[0].flat[:6] = np.arange(-1, 5)  # every code −1…4 occurs in both bands
        gains[1].flat[:6] = np.arange(4, -2, -1)
        res = random_residual(rng, H, W) if residual else None
        stream = (craft.with_residual(data, detail, gains, res, signed=True) if residual
                  else craft.with_gains(data, detail, gains, signed=True))
        self.assertEqual((stream[5], stream[7] & 4, stream[23]), (3, 4, 5 if residual else 4))
        rgb, info = decode(stream, gicv1(), return_latents=True)
        np.testing.assert_array_equal(info["gain_codes"], gains)
        np.testing.assert_array_equal(info["detail_codes"], detail)
        corrected = before if res is None else lowpass_residual(before, res)
        np.testing.assert_array_equal(info["rgb_before_gains"], corrected)
        amplified = exact_gains(corrected, gains)
        np.testing.assert_array_equal(info["rgb_before_fill"], amplified)
        np.testing.assert_array_equal(rgb, detail_fill(amplified, detail, seed))
        self.assertTrue(info["signed_gains"] and info["gains"])
        np.testing.assert_array_equal(decode(stream, gicv1())[0], rgb)
        # the same codes with −1 read as 0 (F[0] = 0) give another picture: the −1 blocks differ
        zeroed = np.maximum(gains, 0)
        self.assertFalse(np.array_equal(band_gains(corrected, zeroed), amplified))
        return stream

    def test_seeded_stream(self):
        self.check(SEEDED, 7, 43)

    def test_unseeded_stream(self):
        self.check(UNSEEDED, 0, 44)

    def test_with_residual(self):
        self.check(SEEDED, 7, 45, residual=True)

    def test_minus_1_everywhere_removes_the_bands(self):
        """Code −1 in every block and both bands, zero detail: the decoded picture is the low-pass
        of g_s's output (computed directly in float64)."""
        data, before = decode_plain(UNSEEDED)
        codes = np.full((2, 2, 3), -1)
        rgb, _ = decode(craft.with_gains(data, np.zeros_like(codes), codes, signed=True), gicv1())
        np.testing.assert_array_equal(rgb, lowpass_picture(before, both=True))
        self.assertFalse(np.array_equal(rgb, before))

    def test_unsigned_codes_decode_the_same_signed_or_not(self):
        """Codes 0…4 sent with bit 2 (SIGNED_GAIN, minor 3) and without (GAIN, minor 2): the same
        picture.  (The substreams may even be equal bytes: for the values 1…4 the two tables have
        the same frequencies, their starts differing by ±1.)"""
        data = read_bytes(SEEDED)
        rng = np.random.default_rng(46)
        detail, gains = random_detail(rng, 45, 77), random_gains(rng, 45, 77)
        s2 = craft.with_gains(data, detail, gains)
        s3 = craft.with_gains(data, detail, gains, signed=True)
        self.assertEqual((s2[5], s2[7] & 4, s3[5], s3[7] & 4), (2, 0, 3, 4))
        np.testing.assert_array_equal(decode(s3, gicv1())[0], decode(s2, gicv1())[0])

    def test_minor_2_streams_unchanged(self):
        """A minor-2 stream (no bit 2) still reads table GAIN: −1 there is out of range."""
        data = read_bytes(SEEDED)
        rng = np.random.default_rng(47)
        gains = random_gains(rng, 45, 77).astype(object)
        gains[0][0, 0] = -1
        stream = craft.with_gains(data, random_detail(rng, 45, 77), gains)
        off = bitstream.parse(stream).substream_offsets[3]
        with self.assertRaisesRegex(DamagedStream, rf"^gains substream \(the fourth, at file byte {off}\): value -1 of"
                                                   r" band 0, block \(0, 0\) is outside 0…4"):
            decode(stream, gicv1())

    def test_crafted_stream_with_an_out_of_range_gain_is_refused(self):
        data = read_bytes(SEEDED)
        for bad, where in ((-2, (1, 2)), (5, (0, 0)), (-(2 ** 33), (1, 0))):
            rng = np.random.default_rng(48)
            gains = random_signed_gains(rng, 45, 77).astype(object)
            gains[1][where] = bad
            stream = craft.with_gains(data, random_detail(rng, 45, 77), gains, signed=True)
            off = bitstream.parse(stream).substream_offsets[3]
            with self.subTest(value=bad):
                with self.assertRaisesRegex(
                        DamagedStream, rf"^gains substream \(the fourth, at file byte {off}\): value {bad} of band 1,"
                                       rf" block \({where[0]}, {where[1]}\) is outside -1…4, at byte \d+ of the"
                                       r" substream \(file byte \d+\)"):
                    decode(stream, gicv1())

    def test_bit_2_cleared_or_minor_lowered(self):
        """A signed stream with its minor version lowered to 2 is refused; with bit 2 cleared its
        substream is read with GAIN (a different picture, or refused)."""
        stream = self.check(SEEDED, 7, 49)
        with self.assertRaisesRegex(BitstreamError, "^flags at byte 7: reserved bit 2 set"):
            decode(set_flags(stream, True, minor=2), gicv1())
        try:
            other, _ = decode(set_flags(stream, False), gicv1())
        except DamagedStream:
            return
        self.assertFalse(np.array_equal(other, decode(stream, gicv1())[0]))

    def test_build_with_signed_gains(self):
        m, rng, W, H, z, y = build_case(50)
        detail, gains = random_detail(rng, H, W), random_signed_gains(rng, H, W)
        gains[:, 0, 0] = -1
        kw = dict(rate_index=100, steps=2, seed=2 ** 64 - 1)
        plain = craft.build(m, W, H, z, y, **kw)
        full = craft.build(m, W, H, z, y, detail=detail, gains=gains, signed_gains=True, **kw)
        self.assertEqual((full[5], full[7], full[23]), (3, 6, 4))
        before, _ = decode(plain, m)
        rgb, _ = decode(full, m)
        np.testing.assert_array_equal(rgb, detail_fill(band_gains(before, gains), detail, 2 ** 64 - 1))
        with self.assertRaisesRegex(ValueError, "signed gains need a gains substream"):
            craft.build(m, W, H, z, y, detail=detail, signed_gains=True)


# ---------------------------------------------------------------------------------------------
# gic-ref as a black box

def reference_gain_codes(src, xhat, signed):
    """§7.6's reference rule (informative), written from the spec text: with Y = R + G + B of the
    source and Ŷ of x̂ (after the residual, before the gains), the bands β_0(·) and
    rshift(β_1(·), 8) and the block sums E_o, E_d of their squares: 0 when E_d = 0, else the number
    of j in 1…4 with 2·E_o² ≥ 4^j·E_d²; with signed gains a 0 becomes −1 when E_d > 0 and
    2·E_d² ≥ 4·E_o².  Returns int64 (2, n_y, n_x)."""
    H, W = src.shape[:2]
    n_y, n_x = detail_grid(H, W)
    y_o = src.astype(np.int64).sum(axis=2)
    y_d = xhat.astype(np.int64).sum(axis=2)
    bo, bd = detail_bands(y_o), detail_bands(y_d)
    bands = ((bo[0], bd[0]), (rshift(bo[1], 8), rshift(bd[1], 8)))
    codes = np.zeros((2, n_y, n_x), dtype=np.int64)
    for b, (o, d) in enumerate(bands):
        for i in range(n_y):
            for j in range(n_x):
                sl = (slice(32 * i, 32 * (i + 1)), slice(32 * j, 32 * (j + 1)))
                e_o = int(np.square(o[sl]).sum())
                e_d = int(np.square(d[sl]).sum())
                if e_d == 0:
                    continue
                k = sum(1 for t in range(1, 5) if 2 * e_o ** 2 >= 4 ** t * e_d ** 2)
                if signed and k == 0 and 2 * e_d ** 2 >= 4 * e_o ** 2:
                    k = -1
                codes[b, i, j] = k
    return codes


def synthetic_pictures(tmp):
    """Extra PNG pictures for the sweep (Pillow): sizes from 1×1 to 100×70 (W×H) with smooth areas
    (where the decode has more band energy than the source), edges, and noise."""
    from PIL import Image
    rng = np.random.default_rng(60)
    out = {}
    for W, H in ((1, 1), (3, 2), (40, 1), (1, 33), (31, 33), (64, 32), (77, 45), (100, 70)):
        a, c = np.meshgrid(np.arange(H), np.arange(W), indexing="ij")
        smooth = 60 + 100 * c / max(W - 1, 1) + 40 * a / max(H - 1, 1)
        pic = np.stack([smooth, smooth * 0.8 + 20, 200 - smooth * 0.5], axis=2)
        pic[(a // 8 + c // 8) % 2 == 0] += 50  # edges
        noisy = c > W // 2
        pic[noisy] += rng.normal(0, 25, size=(int(noisy.sum()), 3))
        name = f"synthetic-{W}x{H}.png"
        Image.fromarray(np.clip(pic, 0, 255).astype(np.uint8)).save(os.path.join(tmp, name))
        out[name] = os.path.join(tmp, name)
    return out


DEFAULT_CASES = [
    (V2, "photo-96x64.png", "on", ["--rate", "0.1", "--steps", "2", "--seed", "5"]),
    (V2, "flat-64x48.png", "gains", ["--rate", "0.05", "--steps", "0"]),
    (V2, "rgb-17x31.png", "on", ["--rate", "0.2", "--steps", "1"]),
    (V2, "rgb-1x1.png", "gains", ["--rate", "0.2", "--steps", "2", "--seed", "1"]),
    (V2, "gray-40x24.png", "on", ["--rate", "0.03", "--steps", "1", "--seed", str(2 ** 64 - 1)]),
    (GICV1, "rgb-65x67.png", "on", ["--rate", "0.5", "--steps", "0"]),
    (GICV1, "noise-48x40.png", "gains", ["--rate", "0.1", "--steps", "2", "--seed", "5"]),
]


def sweep_cases(extra):
    """Many more cases (GIC_SIGNED_GAINS_SWEEP=1): every picture × a rotation of rates, steps,
    seeds and modes, for both models."""
    images = sorted(os.listdir(IMAGES)) + sorted(extra)
    rates = ("0.03", "0.05", "0.1", "0.2", "0.4")
    seeds = (None, "5", str(2 ** 64 - 1))
    cases = []
    for k, (model_path, image, steps) in enumerate(itertools.product((V2, GICV1), images, (0, 1, 2))):
        opts = ["--rate", rates[k % len(rates)], "--steps", str(steps)]
        seed = seeds[(k // 2) % len(seeds)]
        if seed is not None:
            opts += ["--seed", seed]
        cases.append((model_path, image, "on" if k % 3 else "gains", opts))
    return cases


GIC_REF = gic_ref_path()
GIC_REF_SIGNED, WHY_NOT = gic_ref_signed_gains(GIC_REF)
_MODELS = {}


def model(path):
    if path == GICV1:
        return gicv1()
    if path not in _MODELS:
        _MODELS[path] = Model(path)
    return _MODELS[path]


@unittest.skipUnless(GIC_REF_SIGNED, f"gic-ref does not write signed gains yet: {WHY_NOT}")
class ReferenceComparisonTests(unittest.TestCase):
    """Fresh streams gic-ref encodes with --detail on / gains (minor version 3, flags bit 2),
    decoded by gic-ref and by gic_spec_decoder: the same RGB SHA-256 (bit for bit); their gain
    codes are the reference rule's, −1 included."""

    def test_signed_gains_streams(self):
        sweep = os.environ.get("GIC_SIGNED_GAINS_SWEEP") == "1"
        stats = {"streams": 0, "identical": 0, "codes": {k: 0 for k in range(-1, 5)}, "rule": 0, "rule_checked": 0,
                 "changed_by_gains": 0}
        with tempfile.TemporaryDirectory() as tmp:
            extra = {}
            if sweep:
                try:
                    extra = synthetic_pictures(tmp)
                except ImportError:
                    pass
            cases = sweep_cases(extra) if sweep else DEFAULT_CASES
            for k, (model_path, image, mode, opts) in enumerate(cases):
                if not os.path.exists(model_path):
                    continue
                path = extra.get(image) or os.path.join(IMAGES, image)
                data, sha = encode_with_gic_ref(GIC_REF, tmp, f"c{k}", model_path, path, mode, opts)
                with self.subTest(model=os.path.basename(model_path), image=image, mode=mode, opts=opts):
                    stats["streams"] += 1
                    h = bitstream.parse(data)
                    self.assertEqual((h.minor, h.flags & 4, len(h.substreams)), (3, 4, 5 if mode == "on" else 4))
                    self.assertTrue(h.signed_gains)
                    rgb, info = decode(data, model(model_path), return_latents=True)
                    same = hashlib.sha256(rgb.tobytes()).hexdigest() == sha
                    stats["identical"] += same
                    self.assertTrue(same, "the spec decoder's picture differs from gic-ref's")
                    codes = info["gain_codes"]
                    for v in range(-1, 5):
                        stats["codes"][v] += int((codes == v).sum())
                    stats["changed_by_gains"] += not np.array_equal(info["rgb_before_gains"], info["rgb_before_fill"])
                    src = source_rgb(path)
                    if src is not None:
                        stats["rule_checked"] += 1
                        want = reference_gain_codes(src, info["rgb_before_gains"], signed=True)
                        stats["rule"] += np.array_equal(codes, want)
                        np.testing.assert_array_equal(codes, want)
        print(f"\nsigned gains, gic-ref streams: {stats}", file=sys.stderr)
        self.assertEqual(stats["identical"], stats["streams"])
        self.assertGreater(stats["codes"][-1], 0)  # −1 occurs


if __name__ == "__main__":
    unittest.main()
