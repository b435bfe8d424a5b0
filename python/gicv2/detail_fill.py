"""The encoder's side of the detail stages (spec/bitstream.md §7.5 the detail fill, §7.6 the band
gains, §7.7 the low-pass residual) in integers: the reference rules that choose the codes, the
derivation of the spec's constants, and the DETAIL, GAIN and RESIDUAL tables from decodes. The decoder's side (the bands, the noise, the fill) is the NumPy spec decoder's
(python/gic_spec_decoder), used here rather than written again.

    python3 python/gicv2/detail_fill.py constants          # the spec's derived constants
    python3 python/gicv2/detail_fill.py table DECODED...    # code statistics -> the CDF rows
    python3 python/gicv2/detail_fill.py table --gain DECODED...      # the GAIN rows (§7.6)
    python3 python/gicv2/detail_fill.py table --signed-gain DECODED...  # the SIGNED_GAIN rows (1.3)
    python3 python/gicv2/detail_fill.py table --residual DECODED...  # the RESIDUAL rows (§7.7)

Where the codec has dropped detail, the decoder adds luma noise of the band energy that was
lost, per 32x32 block and per band (the finest two bands of an undecimated binomial pyramid),
as CELT preserves band energies, AAC substitutes noise and AV1 synthesises film grain. The
encoder measures, per block and band, the energy of the original's band and of the decoded
picture's band and sends the half-octave code of the missing amplitude sqrt(E_o - E_d).
The gains amplify the decoded picture's own two finest bands where they are too weak (the
half-octave code of sqrt(E_o / E_d)), before the fill; the residual corrects each 32x32 block's
mean colour (rdiv(E, 2N) per channel), interpolated smoothly, before the gains.
Everything here is integer arithmetic, the encoder's threshold comparisons included; the Swift
encoder (Sources/ReferenceCodec/Codec/DetailFill.swift, BandGains.swift, LowpassResidual.swift)
follows the same rules to the bit.
"""
import argparse
import math
import os
import sys

import numpy as np

_PYTHON = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _PYTHON not in sys.path:
    sys.path.insert(0, _PYTHON)

from gic_spec_decoder.decoder import (  # noqa: E402  (spec/bitstream.md §7.5, the decoder's side)
    DETAIL_AMPLITUDE, DETAIL_BLOCK, DETAIL_CODES, binomial, detail_bands, detail_fill, detail_grid)
from gic_spec_decoder.graph import rshift  # noqa: E402  (spec/integer-ops.md §2.1)
from pmf_to_cdf import pmf_to_cdf_reference  # noqa: E402  (spec/entropy-coding.md §7)

BLOCK = DETAIL_BLOCK
BANDS = 2
CODES = DETAIL_CODES
SHIFT = 48
fill = detail_fill          # fill(rgb, codes, seed): the decoder's stage, for the probes and tests


def derived_amplitudes():
    """A[k] = round(256 * 2^((k - 4) / 2)) for k >= 1 (A[0] = 0)."""
    return [0] + [int(math.floor(256 * 2.0 ** ((k - 4) / 2) + 0.5)) for k in range(1, CODES)]


def band_kernels():
    """The 2-D impulse responses of beta_0 and beta_1 (away from edges)."""
    d = np.zeros((17, 17), dtype=np.int64)
    d[8, 8] = 1
    return detail_bands(d)


def derived_multipliers():
    """M_b = round(2^48 / (256 RMS(beta_b))) for the white noise of §7.3 (uniform on -32768 ... 32767)."""
    var = (65536.0 ** 2 - 1) / 12.0
    out = []
    for k in band_kernels():
        rms = math.sqrt(float((k * k).sum()) * var)
        out.append(int(math.floor(2.0 ** SHIFT / (256.0 * rms) + 0.5)))
    return out


def block_sums(x, h, w):
    nby, nbx = detail_grid(h, w)
    s = np.zeros((nby * BLOCK, nbx * BLOCK), dtype=np.int64)
    c = np.zeros_like(s)
    s[:h, :w], c[:h, :w] = x, 1
    return (s.reshape(nby, BLOCK, nbx, BLOCK).sum((1, 3)),
            c.reshape(nby, BLOCK, nbx, BLOCK).sum((1, 3)))


def energies(rgb):
    """Per band, per block: (sum of squares of the band of R + G + B in units of 2^-8, count)."""
    h, w = rgb.shape[:2]
    y3 = rgb.astype(np.int64).sum(axis=2)
    b0, b1 = detail_bands(y3)
    b1 = rshift(b1, 8)
    out = []
    for b in (b0, b1):
        out.append(block_sums(b * b, h, w))
    return out


def signed_energies(rgb):
    """The three bands of the signed gains (spec/bitstream.md §7.6, bitstream 1.3): per band, per
    block, (sum of squares, count) of beta_0(Y), rshift(beta_1(Y), 8) and rshift(beta_2(Y), 16),
    Y = R + G + B, beta_2 = 256 P_2(P_1(Y)) - P_4(P_2(P_1(Y)))."""
    h, w = rgb.shape[:2]
    p21 = binomial(binomial(rgb.astype(np.int64).sum(axis=2), 1), 2)
    b2 = rshift(256 * p21 - binomial(p21, 4), 16)
    return energies(rgb) + [block_sums(b2 * b2, h, w)]


def code_of(d, c):
    """The reference rule for one block in exact integers: D = the missing energy, C = 9 * 65536
    * N. Code 0 when 400 D < 49 C (amplitude sqrt(D / C) below 0.35), else 1 + the number of
    j = 1 ... 14 with 128 D^2 >= C^2 4^j (D / C >= 2^(j - 3.5))."""
    if 400 * d < 49 * c:
        return 0
    return 1 + sum(1 for j in range(1, CODES - 1) if 128 * d * d >= c * c * 4 ** j)


SPARSE_KURTOSIS = 6


def sparse_bands(original):
    """The edge gate of the reference rule (spec/bitstream.md §7.5, revision 1.8): (2, nby, nbx)
    booleans, True where the source's band is sparse in the block. With b = rshift(beta_0(Y), 6)
    and rshift(beta_1(Y), 14) (quarter samples of Y = R + G + B), S2 = sum b^2 and S4 = sum b^4
    over the block's N pixels: N * S4 > 6 * S2^2 (a kurtosis above 6: edges and lines, which
    noise cannot reproduce, rather than texture; S2 = 0 is not sparse). Exact Python integers."""
    h, w = original.shape[:2]
    y3 = original.astype(np.int64).sum(axis=2)
    b0, b1 = detail_bands(y3)
    out = []
    for b in (rshift(b0, 6), rshift(b1, 14)):
        s2, count = block_sums(b * b, h, w)
        s4, _ = block_sums(b ** 4, h, w)
        sparse = np.zeros(s2.shape, dtype=bool)
        for idx in np.ndindex(s2.shape):
            sparse[idx] = int(count[idx]) * int(s4[idx]) > SPARSE_KURTOSIS * int(s2[idx]) ** 2
        out.append(sparse)
    return np.stack(out)


def codes_for(original, decoded, gate=True):
    """The reference encoder's codes (2, nby, nbx): per block and band the half-octave code of
    the amplitude `original` has and `decoded` lacks (code_of on exact Python integers), 0 where
    the source's band is sparse (sparse_bands; gate=False: the rule of revisions 1.6 and 1.7)."""
    eo, ed = energies(original), energies(decoded)
    out = []
    for (so, count), (sd, _) in zip(eo, ed):
        d = np.maximum(so - sd, 0)
        k = np.zeros(d.shape, dtype=np.int64)
        for idx in np.ndindex(d.shape):
            k[idx] = code_of(int(d[idx]), 9 * 65536 * int(count[idx]))
        out.append(k)
    k = np.stack(out)
    if gate:
        k[sparse_bands(original)] = 0
    return k


GAIN_CODES = 5


def derived_gains():
    """G[k] = round(2^16 (2^(k / 2) - 1)): the band gain 2^(k / 2) less one, in units of 2^-16."""
    return [int(math.floor(65536 * (2.0 ** (k / 2) - 1) + 0.5)) for k in range(GAIN_CODES)]


def gain_code_of(eo, ed):
    """The reference rule for one block's gain code (spec/bitstream.md §7.6) in exact integers:
    0 when E_d = 0, else the number of j = 1 ... 4 with 2 E_o^2 >= 4^j E_d^2, i.e. the
    half-octave code round(log2(E_o / E_d)) of the amplitude ratio sqrt(E_o / E_d), in 0 ... 4."""
    if ed == 0:
        return 0
    return sum(1 for j in range(1, GAIN_CODES) if 2 * eo * eo >= 4 ** j * ed * ed)


def _rule_codes(eo, ed, rule):
    """rule(E_o, E_d) per block of every band, on exact Python integers: (bands, nby, nbx)."""
    out = []
    for (so, _), (sd, _) in zip(eo, ed):
        k = np.zeros(so.shape, dtype=np.int64)
        for idx in np.ndindex(so.shape):
            k[idx] = rule(int(so[idx]), int(sd[idx]))
        out.append(k)
    return np.stack(out)


def gain_codes_for(original, decoded):
    """The reference encoder's gain codes (2, nby, nbx): per block and band, the half-octave
    code of the ratio of the original's band amplitude to the decoded picture's, capped at 4."""
    return _rule_codes(energies(original), energies(decoded), gain_code_of)


SIGNED_GAIN_OFFSET = -1    # with the header's signed-gains flag (bitstream 1.3): codes -1 ... 4
SIGNED_GAIN_BANDS = 3


def signed_gain_code_of(eo, ed):
    """The reference rule of the signed gains (spec/bitstream.md §7.6, bitstream 1.3) for one
    block and band in exact integers: gain_code_of when it is above 0; otherwise -1 (the band
    removed) when E_d > 0 and 2 E_d^2 >= 4 E_o^2 (E_d >= sqrt(2) E_o: the decoded band has at
    least twice the original's energy, half an octave of amplitude or more), else 0. Together:
    round(log2(E_o / E_d)) clamped to -1 ... 4."""
    k = gain_code_of(eo, ed)
    if k == 0 and ed > 0 and 2 * ed * ed >= 4 * eo * eo:
        return -1
    return k


def signed_gain_codes_for(original, decoded):
    """The reference encoder's signed gain codes (3, nby, nbx) in -1 ... 4, bands 0, 1 and 2."""
    return _rule_codes(signed_energies(original), signed_energies(decoded), signed_gain_code_of)


RESIDUAL_STEP = 2
RESIDUAL_RANGE = 31         # codes -31 ... 31


def residual_codes_for(original, decoded):
    """The reference encoder's low-pass residual codes (3, nby, nbx) (spec/bitstream.md §7.7):
    per block and channel, rdiv(E, 2 N) of the block's sum E of original - decoded over its N
    pixels (rounding half away from zero), clamped to -31 ... 31."""
    h, w = original.shape[:2]
    out = []
    for ch in range(3):
        e, count = block_sums(original[:, :, ch].astype(np.int64) - decoded[:, :, ch].astype(np.int64), h, w)
        d = RESIDUAL_STEP * count
        k = np.sign(e) * ((2 * np.abs(e) + d) // (2 * d))
        out.append(np.clip(k, -RESIDUAL_RANGE, RESIDUAL_RANGE))
    return np.stack(out)


def quantized_cdf(masses, precision=16):
    """spec/entropy-coding.md §7 (CompressAI's pmf_to_quantized_cdf) on float64 masses."""
    return pmf_to_cdf_reference(masses, precision)


def read_png(path):
    from PIL import Image
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def table_rows(pairs, rule=None, codes=CODES, offset=0, bands=BANDS):
    """The DETAIL rows (or, with rule=gain_codes_for and codes=GAIN_CODES, the GAIN rows; with
    signed_gain_codes_for, GAIN_CODES + 1 codes and offset -1, the SIGNED_GAIN rows): per
    band, the code frequencies of the reference rule over (original, decoded) picture pairs,
    every code counted once more (no zero mass), the escape 2^-16."""
    rule = rule or codes_for
    counts = np.ones((bands, codes), dtype=np.int64)
    for original, decoded in pairs:
        k = rule(original, decoded)
        for b in range(bands):
            counts[b] += np.bincount(k[b].ravel() - offset, minlength=codes)
    rows = []
    for b in range(bands):
        p = counts[b] / counts[b].sum() * (1 - 2.0 ** -16)
        rows.append(quantized_cdf(list(p) + [2.0 ** -16]))
    return rows, counts


def residual_table_rows(pairs):
    """The RESIDUAL rows (spec/bitstream.md §7.7): per channel, the frequencies of the values
    -31 ... 31 of the reference rule over (original, decoded) pairs, every value counted once
    more, the escape 2^-16; offset -31."""
    n = 2 * RESIDUAL_RANGE + 1
    counts = np.ones((3, n), dtype=np.int64)
    for original, decoded in pairs:
        k = residual_codes_for(original, decoded)
        for ch in range(3):
            counts[ch] += np.bincount(k[ch].ravel() + RESIDUAL_RANGE, minlength=n)
    rows = []
    for ch in range(3):
        p = counts[ch] / counts[ch].sum() * (1 - 2.0 ** -16)
        rows.append(quantized_cdf(list(p) + [2.0 ** -16]))
    return rows, counts


def _table(args):
    pairs = []
    for path in args.decoded:
        stem = os.path.basename(path).rsplit("-", 1)[0]
        pairs.append((read_png(os.path.join(args.originals, stem + ".png")), read_png(path)))
    if args.residual:
        rows, counts = residual_table_rows(pairs)
        for ch in range(3):
            bits = -(counts[ch] * np.log2(np.diff(rows[ch])[:counts.shape[1]] / 65536.0)).sum() / counts[ch].sum()
            print(f"channel {ch}: counts {counts[ch].tolist()}\n  cdf {rows[ch]}\n  {bits:.2f} bits per code")
        return
    bands = BANDS
    if args.signed_gain:
        codes, rule, offset = GAIN_CODES + 1, signed_gain_codes_for, SIGNED_GAIN_OFFSET
        bands = SIGNED_GAIN_BANDS
    elif args.gain:
        codes, rule, offset = GAIN_CODES, gain_codes_for, 0
    else:
        codes, rule, offset = CODES, codes_for, 0
    rows, counts = table_rows(pairs, rule, codes, offset, bands)
    for b in range(bands):
        bits = -(counts[b] * np.log2(np.diff(rows[b])[:codes] / 65536.0)).sum() / counts[b].sum()
        print(f"band {b}: counts {counts[b].tolist()}\n  cdf {rows[b]}\n  {bits:.2f} bits per code")


def _constants(_args):
    k0, k1 = band_kernels()
    print("A", derived_amplitudes(), "(spec: %s)" % DETAIL_AMPLITUDE.tolist())
    print("G", derived_gains())
    print("M", derived_multipliers(), "sum g0^2", int((k0 * k0).sum()), "sum g1^2", int((k1 * k1).sum()))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("constants").set_defaults(run=_constants)
    t = sub.add_parser("table", help="the DETAIL rows from decodes named <photo>-<anything>.png")
    t.add_argument("decoded", nargs="+")
    t.add_argument("--originals", default="data/photos/train")
    t.add_argument("--gain", action="store_true", help="the GAIN rows of §7.6 instead of DETAIL")
    t.add_argument("--signed-gain", action="store_true",
                   help="the SIGNED_GAIN rows of §7.6 (bitstream 1.3: codes -1 ... 4)")
    t.add_argument("--residual", action="store_true", help="the RESIDUAL rows of §7.7 instead of DETAIL")
    t.set_defaults(run=_table)
    args = p.parse_args(argv)
    args.run(args)


if __name__ == "__main__":
    main()
