"""Tests of the detail fill's encoder side (python/gicv2/detail_fill.py, spec/bitstream.md §7.5):
the spec's constants derived again, the amplitude a code stands for, the reference rule; and of
the band gains' encoder side (§7.6): G derived again, the reference rule for the gain codes; and
of the low-pass residual's encoder side (§7.7): the reference rule for the residual codes.

Run: python3 -m unittest discover -s python/tests -p 'test_gicv2_*.py' -v
NumPy only (detail_fill.py reads PNGs with Pillow only in its `table` command). The decoder's
side is the spec decoder's, tested in test_spec_decoder_detail.py.
"""
import math
import os
import re
import sys
import unittest

import numpy as np

PYTHON = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
ROOT = os.path.dirname(PYTHON)
sys.path.insert(0, PYTHON)
from gicv2 import detail_fill as df  # noqa: E402


def spec_75():
    with open(os.path.join(ROOT, "spec", "bitstream.md"), encoding="utf-8") as f:
        text = f.read()
    return text[text.index("### 7.5"):text.index("## 8.")]


def spec_76():
    text = spec_75()
    return text[text.index("### 7.6"):]


class DetailFillTest(unittest.TestCase):
    def test_constants_are_the_specs(self):
        text = spec_75()
        amp = [int(v) for v in re.search(r"A\s+=\s+\(([^)]*)\)", text).group(1).split(",")]
        self.assertEqual(amp, df.derived_amplitudes())
        m = df.derived_multipliers()
        self.assertEqual(int(re.search(r"M_0 = (\d+)", text).group(1)), m[0])
        self.assertEqual(int(re.search(r"M_1 = (\d+)", text).group(1)), m[1])

    def test_band_kernels_have_no_dc(self):
        k0, k1 = df.band_kernels()
        self.assertEqual(int(k0.sum()), 0)
        self.assertEqual(int(k1.sum()), 0)

    def test_the_fill_has_the_amplitude_of_its_code(self):
        flat = np.full((256, 256, 3), 128, dtype=np.uint8)
        for band in (0, 1):
            for code in (6, 10):
                codes = np.zeros((2, 8, 8), dtype=np.int64)
                codes[band] = code
                out = df.fill(flat, codes, seed=7).astype(np.float64)
                rms = math.sqrt(((out[16:-16, 16:-16, 0] - 128) ** 2).mean())
                self.assertAlmostEqual(rms / (df.DETAIL_AMPLITUDE[code] / 256), 1.0, delta=0.04,
                                       msg=f"band {band} code {code}")
                np.testing.assert_array_equal(out[..., 0], out[..., 2])   # gray stays gray

    def test_code_zero_changes_nothing_and_samples_clamp(self):
        rng = np.random.default_rng(3)
        img = rng.integers(0, 256, (40, 70, 3)).astype(np.uint8)
        np.testing.assert_array_equal(df.fill(img, np.zeros((2, 2, 3), dtype=np.int64), 5), img)
        loud = df.fill(np.zeros((40, 70, 3), np.uint8), np.full((2, 2, 3), 15, dtype=np.int64), 5)
        self.assertEqual(loud.min(), 0)
        self.assertGreater(loud.max(), 40)

    def test_the_fill_depends_on_the_seed_only_through_the_noise(self):
        img = np.full((64, 64, 3), 100, dtype=np.uint8)
        codes = np.full((2, 2, 2), 8, dtype=np.int64)
        a, b = df.fill(img, codes, 1), df.fill(img, codes, 2)
        np.testing.assert_array_equal(a, df.fill(img, codes, 1))
        self.assertFalse(np.array_equal(a, b))

    def test_encoder_codes_the_missing_amplitude(self):
        flat = np.full((128, 160, 3), 120, dtype=np.uint8)
        self.assertEqual(int(df.codes_for(flat, flat).max()), 0)
        for code in (5, 9):
            codes = np.zeros((2, 4, 5), dtype=np.int64)
            codes[0] = code
            original = df.fill(flat, codes, seed=11)
            got = df.codes_for(original, flat)
            # band 0 noise of amplitude A[code] in each channel: Y = 3 x that, measured back
            inner = got[0, 1:-1, 1:-1]
            self.assertTrue(np.all(np.abs(inner - code) <= 1), got[0])
            self.assertTrue(np.all(got[1, 1:-1, 1:-1] <= 4), got[1])   # little leaks into band 1
        # a decode with more energy than the original gets no noise
        self.assertEqual(int(df.codes_for(flat, original).max()), 0)

    def test_quantized_cdf_is_a_valid_row(self):
        row = df.quantized_cdf([0.5, 0.25, 0.0, 0.25 - 2 ** -16, 2 ** -16])
        self.assertEqual(row[0], 0)
        self.assertEqual(row[-1], 65536)
        self.assertTrue(all(b > a for a, b in zip(row, row[1:])))


class GainCodesTest(unittest.TestCase):
    """derived_gains, gain_code_of and gain_codes_for (spec/bitstream.md §7.6, informative rule)."""

    def test_derived_gains_are_the_decoders_and_the_specs(self):
        from gic_spec_decoder.decoder import GAIN
        g = df.derived_gains()
        self.assertEqual(g, GAIN.tolist())
        listed = re.search(r"F\[k\] for k = −1, 0, 1, 2, 3, 4: +\(([^)]*)\)", spec_76()).group(1)
        values = [int(v.replace("−", "-")) for v in listed.split(",")]
        self.assertEqual(values, [-65536] + g)  # F[−1] = −2^16 (signed gains), then G
        self.assertEqual(len(g), df.GAIN_CODES)

    def test_no_decoded_energy_is_code_0(self):
        for eo in (0, 1, 10 ** 6, 2 ** 49):
            self.assertEqual(df.gain_code_of(eo, 0), 0)

    def test_equal_or_stronger_decoded_band_is_code_0(self):
        for ed in (1, 7, 10 ** 9, 2 ** 49):
            self.assertEqual(df.gain_code_of(ed, ed), 0)
            self.assertEqual(df.gain_code_of(ed // 2, ed), 0)
            self.assertEqual(df.gain_code_of(0, ed), 0)

    def test_thresholds_at_half_octaves(self):
        """Code j from E_o / E_d ≥ 2^(j − 0.5), i.e. 2·E_o² ≥ 4^j·E_d². The ratio is irrational,
        so no integers meet it with equality: the smallest E_o with 2·E_o² ≥ 4^j·E_d² gives j, one
        less gives j − 1; and the threshold lies within one unit of E_d · 2^(j − 0.5)."""
        for ed in (1, 3, 1000, 123456789, 2 ** 45 + 17):
            for j in range(1, 5):
                t = math.isqrt(4 ** j * ed * ed // 2)
                while 2 * t * t < 4 ** j * ed * ed:
                    t += 1
                with self.subTest(ed=ed, j=j):
                    self.assertEqual(df.gain_code_of(t, ed), j)
                    self.assertEqual(df.gain_code_of(t - 1, ed), j - 1)
                    self.assertLessEqual(abs(t - ed * 2.0 ** (j - 0.5)), 1 + ed * 2.0 ** -40)
        # even ratios sit between thresholds: 2^k gives code k
        for k in range(5):
            self.assertEqual(df.gain_code_of(1000 * 2 ** k, 1000), k)

    def test_capped_at_4(self):
        ed = 1000
        self.assertEqual(df.gain_code_of(ed * 2 ** 4, ed), 4)
        self.assertEqual(df.gain_code_of(math.ceil(ed * 2 ** 3.5), ed), 4)
        self.assertEqual(df.gain_code_of(math.floor(ed * 2 ** 3.5), ed), 3)
        for eo in (ed * 100, ed * 10 ** 6, 2 ** 49):
            self.assertEqual(df.gain_code_of(eo, ed), 4)
        # the bound of the spec text: both sides below 2^100 for the largest block energies
        eo_max = 1024 * (765 * 256) ** 2
        self.assertLess(2 * eo_max * eo_max, 2 ** 100)
        self.assertLess(4 ** 4 * eo_max * eo_max, 2 ** 100)

    def test_monotone_in_the_source_energy(self):
        ed = 977
        codes = [df.gain_code_of(eo, ed) for eo in range(0, 20 * ed, 37)]
        self.assertEqual(codes, sorted(codes))
        self.assertEqual((codes[0], codes[-1]), (0, 4))

    def test_gain_codes_recover_the_gain_applied(self):
        """A decoded picture with texture, amplified by the decoder's band gains with code k
        everywhere, is measured back as code k in every block and both bands."""
        from gic_spec_decoder.decoder import band_gains
        flat = np.full((128, 160, 3), 120, dtype=np.uint8)
        decoded = df.fill(flat, np.full((2, 4, 5), 6, dtype=np.int64), seed=3)
        self.assertEqual(int(df.gain_codes_for(decoded, decoded).max()), 0)
        self.assertEqual(int(df.gain_codes_for(decoded, flat).max()), 0)    # E_d = 0
        self.assertEqual(int(df.gain_codes_for(flat, decoded).max()), 0)    # decoded stronger
        for k in range(5):
            original = band_gains(decoded, np.full((2, 4, 5), k, dtype=np.int64))
            got = df.gain_codes_for(original, decoded)
            self.assertEqual(got.shape, (2, 4, 5))
            np.testing.assert_array_equal(got, np.full((2, 4, 5), k), err_msg=f"code {k}")


class SignedGainCodesTest(unittest.TestCase):
    """signed_gain_code_of and signed_gain_codes_for (spec/bitstream.md §7.6 with signed gains,
    bitstream 1.3): round(log2(E_o / E_d)) clamped to -1 ... 4, -1 removing the band."""

    def test_positive_codes_are_the_unsigned_rules(self):
        rng = np.random.default_rng(5)
        for _ in range(2000):
            eo, ed = (int(v) for v in rng.integers(0, 10 ** 6, size=2))
            k = df.gain_code_of(eo, ed)
            if k > 0:
                self.assertEqual(df.signed_gain_code_of(eo, ed), k)

    def test_minus_one_at_a_stronger_decoded_band(self):
        # 2 E_d^2 >= 4 E_o^2: E_d >= sqrt(2) E_o (1414 / 1000 is below, 1415 / 1000 above).
        self.assertEqual(df.signed_gain_code_of(1000, 1414), 0)
        self.assertEqual(df.signed_gain_code_of(1000, 1415), -1)
        self.assertEqual(df.signed_gain_code_of(0, 1), -1)
        self.assertEqual(df.signed_gain_code_of(0, 0), 0)
        self.assertEqual(df.signed_gain_code_of(5, 0), 0)
        self.assertEqual(df.signed_gain_code_of(1000, 1000), 0)

    def test_picture_codes(self):
        flat = np.full((96, 64, 3), 120, dtype=np.uint8)
        textured = df.fill(flat, np.full((2, 3, 2), 8, dtype=np.int64), seed=4)
        # Three bands (0, 1 and 2), each block: the fill's noise has energy in all three.
        np.testing.assert_array_equal(df.signed_gain_codes_for(flat, textured), -np.ones((3, 3, 2)))
        np.testing.assert_array_equal(df.signed_gain_codes_for(textured, flat), np.zeros((3, 3, 2)))
        np.testing.assert_array_equal(df.signed_gain_codes_for(textured, textured), np.zeros((3, 3, 2)))


class ResidualCodesTest(unittest.TestCase):
    """residual_codes_for (spec/bitstream.md §7.7, informative rule): per block and channel
    rdiv(E, 2N) of the block's sum E of original − decoded over its N pixels, clamped to ±31."""

    @staticmethod
    def offset_blocks(original, d):
        """original − d, d (3, n_y, n_x) constant per block and channel."""
        h, w = original.shape[:2]
        dd = d[:, np.arange(h)[:, None] // 32, np.arange(w)[None, :] // 32].transpose(1, 2, 0)
        out = original.astype(np.int64) - dd
        assert out.min() >= 0 and out.max() <= 255
        return out.astype(np.uint8)

    def test_offset_blocks_give_half_the_offset(self):
        """A decode off by −d (constant over a block) gives round(d / 2), half away from zero."""
        rng = np.random.default_rng(20)
        for h, w in ((64, 96), (45, 70), (1, 1), (1, 40), (33, 1)):
            original = rng.integers(80, 176, (h, w, 3)).astype(np.uint8)
            d = rng.integers(-40, 41, (3,) + df.detail_grid(h, w))
            got = df.residual_codes_for(original, self.offset_blocks(original, d))
            want = np.sign(d) * ((np.abs(d) + 1) // 2)      # d / 2, .5 away from zero
            with self.subTest(h=h, w=w):
                self.assertEqual(got.shape, (3,) + df.detail_grid(h, w))
                np.testing.assert_array_equal(got, want)
        original = np.full((32, 32, 3), 128, np.uint8)
        for d, k in ((1, 1), (-1, -1), (3, 2), (-3, -2), (2, 1), (-2, -1), (0, 0), (61, 31), (-61, -31)):
            got = df.residual_codes_for(original, self.offset_blocks(original, np.full((3, 1, 1), d)))
            self.assertEqual(got.ravel().tolist(), [k] * 3, d)

    def test_rounding_half_away_from_zero(self):
        """E = ±N (E / 2N = ±½) rounds to ±1; one less in magnitude to 0; E = ±3N to ±2."""
        n = 32 * 32
        for e, k in ((n, 1), (-n, -1), (n - 1, 0), (-(n - 1), 0), (3 * n, 2), (-3 * n, -2),
                     (3 * n - 1, 1), (-(3 * n - 1), -1), (n + 1, 1)):
            decoded = np.full((32, 32, 3), 128, np.uint8)
            original = decoded.astype(np.int64).copy()
            # spread E over the block: |E| // N everywhere, the remainder one each on the first pixels
            q, r = divmod(abs(e), n)
            flat = np.full(n, q, np.int64)
            flat[:r] += 1
            original[:, :, 1] += int(np.sign(e)) * flat.reshape(32, 32)
            got = df.residual_codes_for(original.astype(np.uint8), decoded)
            with self.subTest(e=e):
                self.assertEqual(got[:, 0, 0].tolist(), [0, k, 0])

    def test_clamped_to_31(self):
        original = np.full((40, 70, 3), 200, np.uint8)
        decoded = np.full((40, 70, 3), 50, np.uint8)
        np.testing.assert_array_equal(df.residual_codes_for(original, decoded), np.full((3, 2, 3), 31))
        np.testing.assert_array_equal(df.residual_codes_for(decoded, original), np.full((3, 2, 3), -31))
        np.testing.assert_array_equal(df.residual_codes_for(np.full((9, 9, 3), 255, np.uint8),
                                                            np.zeros((9, 9, 3), np.uint8)), np.full((3, 1, 1), 31))

    def test_partial_blocks_count_their_pixels_only(self):
        """45 × 70: the bottom blocks have 13 rows, the right ones 6 columns (N = 13·6 in the
        corner); a mean error of d in a partial block is still code round(d / 2), and a sum at
        exactly ½ · 2N rounds away from zero."""
        h, w = 45, 70
        self.assertEqual(df.detail_grid(h, w), (2, 3))
        decoded = np.full((h, w, 3), 100, np.uint8)
        original = decoded.astype(np.int64).copy()
        original[32:, 64:, 0] += 9            # corner block, N = 78: E = 702, E / 2N = 4.5 → 5
        original[32:, :64, 1] -= 5            # bottom blocks, N = 13·32: → −3 (−2.5 away from 0)
        original[:32, 64:, 2] += 4            # right top block, N = 192: → 2
        original[0, 64, 0] += 78              # right top, red: E = 78, N = 192: 0.203 → 0
        got = df.residual_codes_for(original.astype(np.uint8), decoded)
        want = np.zeros((3, 2, 3), np.int64)
        want[0, 1, 2], want[1, 1, :2], want[2, 0, 2] = 5, -3, 2
        np.testing.assert_array_equal(got, want)
        # the same errors as a whole-picture mean over the padded grid would give smaller codes:
        # the partial block's N is its own pixels (13·6 = 78, not 1024)
        self.assertEqual(int(got[0, 1, 2]), 5)

    def test_the_decoders_residual_undoes_an_even_offset(self):
        """codes_for on a decode off by −2k everywhere gives k, and the decoder's residual of §7.7
        with those codes restores the original exactly (the weights sum to 2^12)."""
        from gic_spec_decoder.decoder import lowpass_residual
        rng = np.random.default_rng(21)
        for h, w in ((64, 96), (45, 70), (1, 1), (33, 1)):
            original = rng.integers(70, 186, (h, w, 3)).astype(np.uint8)
            k = rng.integers(-25, 26, (3,)).reshape(3, 1, 1)
            decoded = (original.astype(np.int64) - 2 * k.reshape(1, 1, 3)).astype(np.uint8)
            codes = df.residual_codes_for(original, decoded)
            with self.subTest(h=h, w=w):
                np.testing.assert_array_equal(codes, np.broadcast_to(k, codes.shape))
                np.testing.assert_array_equal(lowpass_residual(decoded, codes), original)


class EvaluationKeysTest(unittest.TestCase):
    """evaluate.py's variant keys carry the detail fill ("-d")."""

    def test_keys_round_trip(self):
        try:
            from gicv2 import evaluate
        except ImportError as e:  # pragma: no cover - torch / pytorch-msssim missing
            self.skipTest(f"evaluate.py does not import here: {e}")
        for steps, alpha, detail in ((0, 0, False), (2, 1, False), (2, 0, True), (1, 1, True)):
            key = evaluate.variant_key(steps, alpha, detail)
            self.assertEqual(evaluate.parse_variant(key), (steps, alpha, detail))
        if hasattr(evaluate, "DETAIL_MODE"):  # --detail-mode: the fill alone (7.5) or gains + fill (7.6)
            saved = evaluate.DETAIL_MODE
            try:
                # since the residual (7.7): "gains" is gains + fill, "on" residual + gains + fill
                on = " + residual + gains + fill" if "gains" in evaluate.DETAIL_LABEL else " + gains + fill"
                modes = [("fill", " + detail fill"), ("on", on)]
                if "gains" in evaluate.DETAIL_LABEL:
                    modes.append(("gains", " + gains + fill"))
                for mode, label in modes:
                    evaluate.DETAIL_MODE = mode
                    self.assertEqual(evaluate.variant_label("gic-s2-a0-d"), "gic 2 steps, α=0" + label)
                    self.assertEqual(evaluate.variant_label("gic-s1-a1"), "gic 1 step, α=1")
            finally:
                evaluate.DETAIL_MODE = saved
        else:
            self.assertEqual(evaluate.variant_label("gic-s2-a0-d"), "gic 2 steps, α=0 + detail fill")
        self.assertEqual(evaluate.variant_label("gic-s1-a1"), "gic 1 step, α=1")


if __name__ == "__main__":
    unittest.main()
