"""Build .gic streams from chosen symbols (for conformance tests, not an image encoder).

An encoder conforming to spec/bitstream.md §8 derives its symbols from a picture with g_a and
h_a; any other symbols still decode to a valid picture ("Encoders MAY choose other symbols").
This module codes given z and y symbols, so tests can reach escapes, clamps and extreme
values that real pictures never produce.
"""
import struct

import numpy as np

from . import bitstream
from .decoder import (CONTEXT_PROFILES, DETAIL_OFFSET, DETAIL_PRECISION, DETAIL_TABLE, GAIN_OFFSET, GAIN_PRECISION,
                      GAIN_TABLE, RESIDUAL_OFFSET, RESIDUAL_PRECISION, RESIDUAL_TABLE, SIGNED_GAIN_OFFSET,
                      SIGNED_GAIN_PRECISION, SIGNED_GAIN_TABLE, Z_CLAMP, _load_model, context_latent)
from .entropy import RansEncoder, gaussian_indexes

MAGIC = b"\x89GIC"


def leb128(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def header(profile, digest, width, height, rate_index=0, steps=0, seed=None, grayscale=False,
           lengths=(), minor=0, signed_gains=False):
    """The header of spec/bitstream.md §2; signed_gains sets flags bit 2 (§7.6; whatever `minor`
    and the substream count, so that tests can craft streams a decoder must refuse)."""
    flags = (1 if grayscale else 0) | (2 if seed is not None else 0) | (4 if signed_gains else 0)
    h = MAGIC + bytes([1, minor, profile, flags]) + bytes(digest[:8])
    h += struct.pack("<HHHBB", width - 1, height - 1, rate_index, steps, len(lengths))
    if seed is not None:
        h += struct.pack("<Q", seed)
    return h + b"".join(leb128(n) for n in lengths)


def _block_substream(codes, table, offset, precision):
    codes = np.asarray(codes, dtype=object)
    if len(codes) != len(table):
        raise ValueError(f"{len(codes)} planes of codes for a table of {len(table)} rows")
    enc = RansEncoder()
    for b in range(len(table)):
        cdf = table[b]
        for v in codes[b].ravel():
            enc.value(offset, cdf, precision, int(v))
    return enc.finish()


def detail_substream(codes):
    """The detail substream of spec/bitstream.md §7.5 for codes (2, n_y, n_x): band 0's values in
    block raster order, then band 1's, band b with row b of DETAIL.  Values outside 0…15 are
    coded as escapes (a stream a decoder must refuse)."""
    return _block_substream(codes, DETAIL_TABLE, DETAIL_OFFSET, DETAIL_PRECISION)


def gains_substream(codes, signed=False):
    """The gains substream of spec/bitstream.md §7.6: for codes (2, n_y, n_x) band 0's values in
    block raster order, then band 1's, band b with row b of GAIN; with signed=True (flags bit 2,
    bitstream version 1.3) codes (3, n_y, n_x), bands 0, 1 and 2 in that order, band b with row b
    of SIGNED_GAIN (offset −1).  Values outside 0…4 (−1…4 signed) are coded as escapes (a stream a
    decoder must refuse); another number of planes is a ValueError."""
    if signed:
        return _block_substream(codes, SIGNED_GAIN_TABLE, SIGNED_GAIN_OFFSET, SIGNED_GAIN_PRECISION)
    return _block_substream(codes, GAIN_TABLE, GAIN_OFFSET, GAIN_PRECISION)


def residual_substream(codes):
    """The residual substream of spec/bitstream.md §7.7 for codes (3, n_y, n_x): red's values in
    block raster order, then green's, then blue's, channel m with row m of RESIDUAL (offset −31).
    Values outside −31…31 are coded as escapes (a stream a decoder must refuse)."""
    return _block_substream(codes, RESIDUAL_TABLE, RESIDUAL_OFFSET, RESIDUAL_PRECISION)


def with_detail(stream, codes, minor=None, gains=None, residual=None, signed=False):
    """A profile-3 stream of two substreams (as build() makes) with the detail substream of
    `codes` appended as the third, with `gains` (2, n_y, n_x), or (3, n_y, n_x) with signed gains,
    the gains substream of §7.6 as the fourth and with `residual` (3, n_y, n_x) the residual
    substream of §7.7 as the fifth (needs gains); the header's minor version set to `minor`
    (default 1, or 2 with gains, or 3 with signed gains).  signed: flags bit 2 set and the gains,
    three bands, coded with table SIGNED_GAIN (codes −1…4, bitstream version 1.3); needs gains."""
    if residual is not None and gains is None:
        raise ValueError("a residual substream comes only after a gains substream (spec/bitstream.md §7.7)")
    if signed and gains is None:
        raise ValueError("signed gains need a gains substream (spec/bitstream.md §2.2, §7.6)")
    h = bitstream.parse(stream)
    extra = [detail_substream(codes)]
    if gains is not None:
        extra.append(gains_substream(gains, signed=signed))
    if residual is not None:
        extra.append(residual_substream(residual))
    if minor is None:
        minor = 1 if gains is None else 3 if signed else 2
    z, y = h.substreams
    subs = [z, y] + extra
    return (header(h.profile, h.digest_prefix, h.width, h.height, h.rate_index, h.steps, h.seed, h.grayscale,
                   tuple(len(s) for s in subs), minor=minor, signed_gains=signed) + b"".join(subs))


def with_gains(stream, detail, gains, minor=None, signed=False):
    """A profile-3 stream of two substreams with the detail substream of `detail` and the gains
    substream of `gains` appended (four substreams, minor version 2, or 3 with signed gains,
    unless `minor` says).  signed: flags bit 2 and table SIGNED_GAIN (three bands, codes −1…4)."""
    return with_detail(stream, detail, minor=minor, gains=gains, signed=signed)


def with_residual(stream, detail, gains, residual, minor=None, signed=False):
    """A profile-3 stream of two substreams with the detail, gains and residual substreams of
    `detail`, `gains` (2, n_y, n_x), or (3, n_y, n_x) signed, and `residual` (3, n_y, n_x) appended
    (five substreams, minor version 2, or 3 with signed gains, unless `minor` says).  signed: flags
    bit 2 and table SIGNED_GAIN (three bands, codes −1…4)."""
    return with_detail(stream, detail, minor=minor, gains=gains, residual=residual, signed=signed)


def build(model, width, height, z_symbols, y_symbols, rate_index=0, steps=0, seed=None,
          grayscale=False, noncanonical_at=None, detail=None, gains=None, residual=None, signed_gains=False):
    """A complete .gic stream coding the given symbol arrays (z: (N, h_z, w_z), y: (M, h_y, w_y)).
    noncanonical_at: (substream, index in coding order) of one escape to code with a superfluous
    zero nibble (profile 5 codes y position-major, spec/bitstream.md §11.3).  detail: profile 3's
    detail codes (2, ⌈H/32⌉, ⌈W/32⌉), a third substream in a stream of minor version 1 (§7.5).
    gains: profile 3's gain codes (same shape), a fourth substream after the detail substream in
    a stream of minor version 2 (§7.6); needs detail.  residual: profile 3's residual codes
    (3, ⌈H/32⌉, ⌈W/32⌉), a fifth substream after the gains substream (§7.7); needs gains.
    signed_gains: the gains signed (codes −1…4 of three bands, shape (3, ⌈H/32⌉, ⌈W/32⌉), table
    SIGNED_GAIN, flags bit 2, minor version 3; §7.6, bitstream version 1.3); needs gains."""
    if gains is not None and detail is None:
        raise ValueError("a gains substream comes only after a detail substream (spec/bitstream.md §7.6)")
    if residual is not None and gains is None:
        raise ValueError("a residual substream comes only after a gains substream (spec/bitstream.md §7.7)")
    if signed_gains and gains is None:
        raise ValueError("signed gains need a gains substream (spec/bitstream.md §2.2, §7.6)")
    model = _load_model(model)
    s_z, s_y = model.s_z, model.s_y
    wp, hp = -(-width // s_z) * s_z, -(-height // s_z) * s_z
    z_symbols = np.asarray(z_symbols, dtype=object)
    y_symbols = np.asarray(y_symbols, dtype=object)
    assert z_symbols.shape == (model.N, hp // s_z, wp // s_z)
    assert y_symbols.shape == (model.M, hp // s_y, wp // s_y)

    enc = RansEncoder()
    p = model.eb.precision
    for c in range(model.N):
        off, cdf = model.eb.row(c)
        for k, v in enumerate(z_symbols[c].ravel()):
            nc = noncanonical_at == (0, c * z_symbols[c].size + k)
            enc.value(off, cdf, p, int(v), canonical=not nc)
    z_stream = enc.finish()

    zc = np.clip(z_symbols.astype(object), -Z_CLAMP, Z_CLAMP).astype(np.int64)
    lo, hi = model.hs_range
    z_hat = np.clip(zc * (1 << model.e_z) + model.medians[:, None, None], lo, hi)
    enc = RansEncoder()
    p = model.gc.precision
    if model.profile in CONTEXT_PROFILES:
        # spec/bitstream.md §11.3: position-major order; each position's rows come from the
        # context model on ŷ of the positions before it
        M, w_y = model.M, wp // s_y

        def code_position(i, j, rows):
            out = []
            for c, r in enumerate(rows):
                v = int(y_symbols[c, i, j])
                off, cdf = model.gc.row(int(r))
                enc.value(off, cdf, p, v, canonical=noncanonical_at != (1, (i * w_y + j) * M + c))
                out.append(v)
            return out

        context_latent(model, z_hat, hp, wp, code_position)
        y_stream = enc.finish()
        return header(model.profile, model.digest, width, height, rate_index, steps, seed, grayscale,
                      (len(z_stream), len(y_stream))) + z_stream + y_stream
    sigma = model.h_s.run({model.h_s.inputs[0]: z_hat})[model.scales_name]
    thresholds = model.thresholds if model.profile != 3 else model.thresholds_by_rate[rate_index]
    idx = gaussian_indexes(sigma, thresholds).ravel()
    for k, (i, v) in enumerate(zip(idx, y_symbols.ravel())):
        off, cdf = model.gc.row(int(i))
        enc.value(off, cdf, p, int(v), canonical=noncanonical_at != (1, k))
    y_stream = enc.finish()
    out = header(model.profile, model.digest, width, height, rate_index, steps, seed, grayscale,
                 (len(z_stream), len(y_stream))) + z_stream + y_stream
    return out if detail is None else with_detail(out, detail, gains=gains, residual=residual, signed=signed_gains)
