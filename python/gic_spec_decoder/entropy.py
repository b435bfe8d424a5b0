"""rANS decoding of gic substreams, written from spec/entropy-coding.md alone.

Two interleaved 64-bit states, 32-bit renormalisation words, escapes coded with 4-bit bypass
nibbles (§3, §5), and every damaged-stream check of §6.
"""
from bisect import bisect_right

import numpy as np

L_STATE = 1 << 31
STATE_LIMIT = 1 << 63
INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1


class DamagedStream(ValueError):
    """A substream that violates spec/entropy-coding.md §6; the message names the byte offset."""


class RansDecoder:
    """Decodes units from one substream (spec/entropy-coding.md §3.2)."""

    def __init__(self, data, base_offset=0, symbol_bits=64):
        self.vmin = -(1 << (symbol_bits - 1))
        self.vmax = (1 << (symbol_bits - 1)) - 1
        self.data = bytes(data)
        self.base = base_offset  # where the substream starts in the file, for error messages
        if len(self.data) < 16:
            raise DamagedStream(f"substream at byte {self.base}: {len(self.data)} bytes, shorter than 16")
        x0 = int.from_bytes(self.data[0:8], "little")
        x1 = int.from_bytes(self.data[8:16], "little")
        for k, x in enumerate((x0, x1)):
            if not L_STATE <= x < STATE_LIMIT:
                raise DamagedStream(f"initial state {k} at byte {self.base + 8 * k} outside [2^31, 2^63)")
        self.x = [x0, x1]
        self.pos = 16
        self.unit = 0

    def _renorm(self, x):
        if x < L_STATE:
            p = self.pos
            if p + 4 > len(self.data):
                raise DamagedStream(
                    f"renormalisation at byte {self.base + p}: fewer than 4 bytes left in the substream")
            x = (x << 32) | int.from_bytes(self.data[p:p + 4], "little")
            self.pos = p + 4
        return x

    def decode_symbol(self, cdf, q):
        """A model unit with the CDF row `cdf` (list of L entries) of precision q; returns s."""
        k = self.unit & 1
        x = self.x[k]
        slot = x & ((1 << q) - 1)
        s = bisect_right(cdf, slot) - 1
        c = cdf[s]
        x = (cdf[s + 1] - c) * (x >> q) + slot - c
        self.x[k] = self._renorm(x)
        self.unit += 1
        return s

    def decode_bypass(self, q):
        k = self.unit & 1
        x = self.x[k]
        slot = x & ((1 << q) - 1)
        x = (x >> q)  # f = 1, c = slot
        self.x[k] = self._renorm(x)
        self.unit += 1
        return slot

    def finish(self):
        """The end checks of §3.2 step 3."""
        if self.x[0] != L_STATE or self.x[1] != L_STATE:
            raise DamagedStream(
                f"substream at byte {self.base}: final states {self.x[0]:#x}, {self.x[1]:#x} are not 2^31"
                f" (read position {self.base + self.pos})")
        if self.pos != len(self.data):
            raise DamagedStream(
                f"substream: {len(self.data) - self.pos} unread bytes at byte {self.base + self.pos}")

    def decode_value(self, offset, cdf, precision):
        """One value with a table row (spec/entropy-coding.md §5): the row's symbols stand for
        offset … offset + L − 3; symbol L − 2 is the escape."""
        n_entries = len(cdf)
        s = self.decode_symbol(cdf, precision)
        esc = n_entries - 2
        if s < esc:
            return offset + s
        at = self.base + self.pos
        lo = offset
        hi = offset + n_entries - 3
        head = self.decode_bypass(5)
        b = head >> 4
        m = (head & 15) + 1
        d = 0
        nib = 0
        for k in range(m):
            nib = self.decode_bypass(4)
            d |= nib << (4 * k)
        if m > 1 and nib == 0:
            raise DamagedStream(f"non-canonical escape payload near byte {at}")
        v = lo - 1 - d if b == 0 else hi + 1 + d
        if not self.vmin <= v <= self.vmax:
            bits = (self.vmax + 1).bit_length()
            raise DamagedStream(f"escape value {v} outside the signed {bits}-bit range near byte {at}")
        return v


def decode_factorized(data, table, channels, count_per_channel, base_offset=0, symbol_bits=64):
    """Substream z (spec/bitstream.md §5): all values of channel c use row c; raster order.
    Returns int64 array (channels, count_per_channel)."""
    if table.n != channels:
        raise ValueError(f"table {table.name!r} has {table.n} rows for {channels} channels")
    dec = RansDecoder(data, base_offset, symbol_bits)
    p = table.precision
    out = np.empty((channels, count_per_channel), dtype=np.int64)
    for c in range(channels):
        offset, cdf = table.row(c)
        dv = dec.decode_value
        out[c] = [dv(offset, cdf, p) for _ in range(count_per_channel)]
    dec.finish()
    return out


def gaussian_indexes(scales, thresholds):
    """index(σ) = number of thresholds T[i] < σ (spec/entropy-coding.md §4.2).  Thresholds are
    non-decreasing, so this is searchsorted with side='left'."""
    t = np.asarray(thresholds, dtype=np.int64)
    if t.size > 1 and np.any(np.diff(t) < 0):
        raise ValueError("scale thresholds are not non-decreasing")
    return np.searchsorted(t, np.asarray(scales, dtype=np.int64).ravel(), side="left").reshape(np.shape(scales))


def decode_gaussian(data, table, indexes, base_offset=0, symbol_bits=64):
    """Substream y: value k (raster order) uses row indexes.flat[k]."""
    dec = RansDecoder(data, base_offset, symbol_bits)
    p = table.precision
    idx = np.asarray(indexes).ravel().tolist()
    rows = [table.row(i) for i in range(table.n)]
    dv = dec.decode_value
    vals = [dv(rows[i][0], rows[i][1], p) for i in idx]
    dec.finish()
    return np.array(vals, dtype=np.int64).reshape(np.shape(indexes))


class RansEncoder:
    """The encoder of spec/entropy-coding.md §3.1 and the escape coding of §5.  Not needed to
    decode; used by the tests to build streams (escapes, damaged streams) that no encoder
    would choose."""

    def __init__(self):
        self.units = []  # (c, f, q)

    def symbol(self, cdf, s, q):
        self.units.append((cdf[s], cdf[s + 1] - cdf[s], q))

    def bypass(self, v, bits):
        assert 0 <= v < 1 << bits
        self.units.append((v, 1, bits))

    def value(self, offset, cdf, precision, v, canonical=True):
        n = len(cdf)
        lo, hi = offset, offset + n - 3
        if lo <= v <= hi:
            self.symbol(cdf, v - offset, precision)
            return
        self.symbol(cdf, n - 2, precision)
        b, d = (0, lo - 1 - v) if v < lo else (1, v - hi - 1)
        assert 0 <= d < 1 << 64
        m = 1
        while d >= 1 << (4 * m):
            m += 1
        if not canonical:
            m += 1  # a payload with a zero top nibble: a decoder must refuse it
        self.bypass((b << 4) | (m - 1), 5)
        for k in range(m):
            self.bypass((d >> (4 * k)) & 15, 4)

    def finish(self):
        x = [L_STATE, L_STATE]
        out = []
        for u in range(len(self.units) - 1, -1, -1):
            c, f, q = self.units[u]
            xs = x[u & 1]
            if xs >= f << (63 - q):
                out.append(xs & 0xFFFFFFFF)
                xs >>= 32
            x[u & 1] = ((xs // f) << q) + (xs % f) + c
        parts = [x[0].to_bytes(8, "little"), x[1].to_bytes(8, "little")]
        parts += [w.to_bytes(4, "little") for w in reversed(out)]
        return b"".join(parts)
