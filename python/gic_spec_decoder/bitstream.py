"""The .gic header of spec/bitstream.md §2."""
import struct

MAGIC = b"\x89GIC"
PROFILES = {1: "bmshj2018-hyperprior", 2: "mbt2018-mean", 3: "gic-v1", 4: "bmshj2018-factorized",
            5: "mbt2018", 6: "cheng2020-anchor", 7: "cheng2020-attn"}


class BitstreamError(ValueError):
    """A .gic file that spec/bitstream.md §2.2 says a decoder must refuse."""


class Header:
    __slots__ = ("major", "minor", "profile", "profile_name", "flags", "grayscale", "has_seed",
                 "digest_prefix", "width", "height", "rate_index", "steps", "seed", "substreams",
                 "substream_offsets", "header_length", "has_detail", "has_gains", "has_residual", "signed_gains")

    def as_dict(self):
        return {
            "version": f"{self.major}.{self.minor}",
            "profile": self.profile_name,
            "grayscale": self.grayscale,
            "model_digest_prefix": self.digest_prefix.hex(),
            "width": self.width,
            "height": self.height,
            "rate_index": self.rate_index,
            "steps": self.steps,
            "seed": self.seed,
            "header_bytes": self.header_length,
            "substream_bytes": [len(s) for s in self.substreams],
            "detail": self.has_detail,
            "gains": self.has_gains,
            "residual": self.has_residual,
            "signed_gains": self.signed_gains,
        }


def _leb128(data, pos, index):
    """Unsigned LEB128, shortest form, ≤ 5 bytes, value ≤ 2^30 (§2.1)."""
    start = pos
    value = 0
    for k in range(5):
        if pos >= len(data):
            raise BitstreamError(f"substream length {index} at byte {start}: file ends inside it")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << (7 * k)
        if not byte & 0x80:
            if byte == 0 and k > 0:
                raise BitstreamError(f"substream length {index} at byte {start}: non-canonical LEB128")
            if value > 1 << 30:
                raise BitstreamError(f"substream length {index} at byte {start}: {value} is over 2^30")
            return value, pos
    raise BitstreamError(f"substream length {index} at byte {start}: longer than 5 bytes")


def parse(data):
    """Parse and check the header and split the substreams (all of §2.2 that needs no model)."""
    data = bytes(data)
    if len(data) < 24:
        raise BitstreamError(f"header: file is {len(data)} bytes, shorter than the 24-byte fixed header")
    if data[0:4] != MAGIC:
        raise BitstreamError("magic at byte 0: not \\x89GIC")
    h = Header()
    h.major, h.minor, h.profile, h.flags = data[4], data[5], data[6], data[7]
    if h.major != 1:
        raise BitstreamError(f"major version at byte 4: {h.major}, only 1 is supported")
    if h.profile not in PROFILES:
        raise BitstreamError(f"profile at byte 6: unknown profile {h.profile}")
    h.profile_name = PROFILES[h.profile]
    # §2, §2.2: bits 3–7 are reserved; bit 2 (signed gains, §7.6) is reserved below minor version 3
    if h.flags & ~7:
        raise BitstreamError(f"flags at byte 7: reserved bits set ({h.flags:#04x}; bits 3–7 must be 0)")
    if h.flags & 4 and h.minor < 3:
        raise BitstreamError(f"flags at byte 7: reserved bit 2 set ({h.flags:#04x}) in a stream of minor version"
                             f" {h.minor} (signed gains, bit 2, need minor version 3, §7.6)")
    h.grayscale = bool(h.flags & 1)
    h.has_seed = bool(h.flags & 2)
    h.signed_gains = bool(h.flags & 4)
    h.digest_prefix = data[8:16]
    w1, h1, h.rate_index = struct.unpack_from("<HHH", data, 16)
    h.width, h.height = w1 + 1, h1 + 1
    h.steps = data[22]
    n = data[23]
    if not 1 <= n <= 16:
        raise BitstreamError(f"substream count at byte 23: {n} outside 1…16")
    pos = 24
    h.seed = None
    if h.has_seed:
        if len(data) < 32:
            raise BitstreamError("seed at byte 24: file ends inside it")
        h.seed = struct.unpack_from("<Q", data, 24)[0]
        pos = 32
    lengths = []
    for k in range(n):
        v, pos = _leb128(data, pos, k)
        lengths.append(v)
    h.header_length = pos
    total = pos + sum(lengths)
    if len(data) != total:
        raise BitstreamError(
            f"file length {len(data)} differs from header ({pos}) + substreams ({sum(lengths)}) = {total}")
    h.substreams = []
    h.substream_offsets = []
    for v in lengths:
        h.substream_offsets.append(pos)
        h.substreams.append(data[pos:pos + v])
        pos += v
    if h.profile in (1, 2, 4, 5, 6, 7):
        if h.rate_index != 0:
            raise BitstreamError(f"rate index at byte 20: {h.rate_index}, must be 0 for profile {h.profile}")
        if h.steps != 0:
            raise BitstreamError(f"steps at byte 22: {h.steps}, must be 0 for profile {h.profile}")
        if h.has_seed:
            raise BitstreamError(f"flags at byte 7: seed present for profile {h.profile}")
    else:
        if h.steps > 4:
            raise BitstreamError(f"steps at byte 22: {h.steps}, more than 4")
    # §2.2, §10.2: profile 4 has the one substream y; §11.3, §12, §13: 5, 6, 7 have z, y; §7, §7.5
    # – §7.7: profile 3 has z, y, from minor version 1 on optionally the detail substream, and from
    # minor version 2 on optionally the gains substream after it and the residual substream after that
    if h.profile == 4:
        need, why = (1,), ""
    elif h.profile == 3 and h.minor >= 2:
        need, why = (2, 3, 4, 5), f" with minor version {h.minor}"
    elif h.profile == 3 and h.minor == 1:
        need, why = (2, 3), " with minor version 1 (gains and residual substreams need minor version 2, §7.6, §7.7)"
    elif h.profile == 3:
        need, why = (2,), " with minor version 0 (a detail substream needs minor version 1, §7.5)"
    else:
        need, why = (2,), ""
    if n not in need:
        want = ", ".join(str(k) for k in need[:-1]) + " or " + str(need[-1]) if len(need) > 1 else str(need[0])
        raise BitstreamError(f"substream count at byte 23: {n}, profile {h.profile} needs {want}{why}")
    # §2.2, §7.6: flags bit 2 (signed gains) only in a profile-3 stream with a gains substream
    # (four or five substreams)
    if h.signed_gains and not (h.profile == 3 and n in (4, 5)):
        raise BitstreamError(
            f"flags at byte 7: bit 2 (signed gains) set in a stream of profile {h.profile} with {n} substreams"
            f" (substream count at byte 23); it needs profile 3 with four or five substreams (§7.6)")
    h.has_detail = h.profile == 3 and n >= 3
    h.has_gains = h.profile == 3 and n >= 4
    h.has_residual = h.profile == 3 and n == 5
    return h
