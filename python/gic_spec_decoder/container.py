"""Reader for the gic weight container (.gicw), written from spec/container.md alone.

Every check of spec/container.md §9 is made; failures raise ContainerError naming the
offset or object concerned.  Object data is verified against its SHA-256 (§6) the first
time it is handed out.
"""
import hashlib
import struct

import numpy as np

MAGIC = b"\x89GICW\r\n\x1a"
KIND_META, KIND_TENSORS, KIND_CDFS, KIND_DATA = 1, 2, 3, 4

MAX_FILE = 1 << 40
MAX_INDEX_SECTION = 64 << 20
MAX_META_ENTRIES = 4096
MAX_STRING = 1 << 20
MAX_LIST = 65536
MAX_DEPTH = 4
MAX_VALUES = 1_000_000
MAX_OBJECTS = 65536
MAX_NAME = 1024
MAX_RANK = 16
MAX_DIM = 1 << 40
MAX_DATA = 1 << 40

# code: (name, numpy little-endian dtype, itemsize)
DTYPES = {
    1: ("bool", "u1", 1),
    2: ("int8", "<i1", 1),
    3: ("int16", "<i2", 2),
    4: ("int32", "<i4", 4),
    5: ("int64", "<i8", 8),
    6: ("uint8", "<u1", 1),
    7: ("uint16", "<u2", 2),
    8: ("uint32", "<u4", 4),
    9: ("uint64", "<u8", 8),
    10: ("float16", "<f2", 2),
    11: ("float32", "<f4", 4),
    12: ("float64", "<f8", 8),
}
QUANTIZABLE = {
    "int8": (-(1 << 7), (1 << 7) - 1),
    "int16": (-(1 << 15), (1 << 15) - 1),
    "int32": (-(1 << 31), (1 << 31) - 1),
    "uint8": (0, (1 << 8) - 1),
    "uint16": (0, (1 << 16) - 1),
    "uint32": (0, (1 << 32) - 1),
}


class ContainerError(ValueError):
    """A malformed or inconsistent .gicw file (spec/container.md §9)."""


def align64(x):
    return (x + 63) & ~63


class _Reader:
    """Bounded little-endian reader over one section."""

    def __init__(self, buf, start, end, what):
        self.buf, self.pos, self.end, self.what = buf, start, end, what

    def need(self, n, field):
        if n < 0 or self.pos + n > self.end:
            raise ContainerError(f"{self.what}: {field} at offset {self.pos} runs past the section end ({self.end})")

    def u8(self, field):
        self.need(1, field)
        v = self.buf[self.pos]
        self.pos += 1
        return v

    def _fmt(self, fmt, n, field):
        self.need(n, field)
        v = struct.unpack_from(fmt, self.buf, self.pos)[0]
        self.pos += n
        return v

    def u16(self, field):
        return self._fmt("<H", 2, field)

    def u32(self, field):
        return self._fmt("<I", 4, field)

    def i32(self, field):
        return self._fmt("<i", 4, field)

    def i64(self, field):
        return self._fmt("<q", 8, field)

    def u64(self, field):
        return self._fmt("<Q", 8, field)

    def raw(self, n, field):
        self.need(n, field)
        b = bytes(self.buf[self.pos:self.pos + n])
        self.pos += n
        return b

    def string(self, n, field):
        at = self.pos
        b = self.raw(n, field)
        try:
            s = b.decode("utf-8", errors="strict")
        except UnicodeDecodeError as e:
            raise ContainerError(f"{self.what}: {field} at offset {at} is not valid UTF-8") from e
        if "\x00" in s:
            raise ContainerError(f"{self.what}: {field} at offset {at} contains U+0000")
        return s


class TensorRecord:
    __slots__ = ("name", "code", "dtype", "shape", "quantization", "axis", "params", "offset", "length",
                 "sha256", "record_offset")

    def scale_of(self, i=0):
        return self.params[i]


class CdfRecord:
    __slots__ = ("name", "precision", "distributions", "stride", "offset", "length", "sha256",
                 "record_offset")


class CdfTable:
    """A checked CDF table: offsets (n,), lengths (n,), cdf (n, m) as Python-friendly arrays."""

    def __init__(self, name, precision, offsets, lengths, cdf):
        self.name = name
        self.precision = precision
        self.offsets = offsets
        self.lengths = lengths
        self.cdf = cdf
        self._rows = {}

    @property
    def n(self):
        return len(self.offsets)

    def row(self, i):
        """Row i as a tuple (offset, cdf list of L entries)."""
        r = self._rows.get(i)
        if r is None:
            L = int(self.lengths[i])
            r = (int(self.offsets[i]), self.cdf[i, :L].tolist())
            self._rows[i] = r
        return r


def _check_name_order(names, what):
    for a, b in zip(names, names[1:]):
        if not a.encode("utf-8") < b.encode("utf-8"):
            raise ContainerError(f"{what}: names not strictly ascending: {a!r} then {b!r}")


class Container:
    """A parsed and fully checked .gicw file."""

    def __init__(self, data):
        self.buf = memoryview(bytes(data))
        self._verified = set()
        self._parse()

    @classmethod
    def open(cls, path):
        with open(path, "rb") as f:
            return cls(f.read())

    # -- §3, §4 ---------------------------------------------------------------------------
    def _parse(self):
        buf = self.buf
        size = len(buf)
        if size < 64:
            raise ContainerError(f"header: file is {size} bytes, shorter than the 64-byte header")
        if bytes(buf[0:8]) != MAGIC:
            raise ContainerError("header: wrong magic at offset 0")
        major, minor, flags, file_length, section_count, reserved = struct.unpack_from("<HHIQII", buf, 8)
        if major != 1:
            raise ContainerError(f"header: unsupported major version {major} at offset 8")
        self.minor = minor
        if flags != 0:
            raise ContainerError(f"header: reserved flags {flags:#x} at offset 12 are not zero")
        if file_length > MAX_FILE:
            raise ContainerError(f"header: file_length {file_length} at offset 16 is over 2^40")
        if file_length != size:
            raise ContainerError(
                f"header: file_length {file_length} at offset 16 differs from the file size {size}"
                f" ({'truncated' if size < file_length else 'trailing bytes'})")
        if not 4 <= section_count <= 32:
            raise ContainerError(f"header: section_count {section_count} at offset 24 is outside 4…32")
        if reserved != 0:
            raise ContainerError("header: reserved field at offset 28 is not zero")
        self.model_digest = bytes(buf[32:64])
        table_end = 64 + 32 * section_count
        if table_end > size:
            raise ContainerError(f"section table: runs past the end of the file ({size} bytes)")

        sections = []
        expected = align64(table_end)
        prev_end = table_end
        last_kind = 0
        for k in range(section_count):
            at = 64 + 32 * k
            kind, sflags, offset, length, res = struct.unpack_from("<IIQQQ", buf, at)
            if kind == 0:
                raise ContainerError(f"section table entry {k} at offset {at}: kind 0 is invalid")
            if kind <= last_kind:
                raise ContainerError(f"section table entry {k} at offset {at}: kinds not strictly ascending")
            last_kind = kind
            if sflags & ~1:
                raise ContainerError(f"section table entry {k} at offset {at + 4}: reserved flag bits set")
            if res != 0:
                raise ContainerError(f"section table entry {k} at offset {at + 24}: reserved field not zero")
            critical = bool(sflags & 1)
            if kind <= 4 and not critical:
                raise ContainerError(f"section kind {kind} at offset {at}: version-1.0 sections must be critical")
            if 5 <= kind <= 65535 and critical:
                raise ContainerError(f"section kind {kind} at offset {at}: unknown critical section")
            if kind >= 65536 and critical:
                raise ContainerError(f"section kind {kind} at offset {at}: private sections must not be critical")
            if offset % 64:
                raise ContainerError(f"section kind {kind}: offset {offset} is not a multiple of 64")
            if offset != expected:
                raise ContainerError(f"section kind {kind}: offset {offset} is not packed (expected {expected})")
            if kind in (KIND_META, KIND_TENSORS, KIND_CDFS) and length > MAX_INDEX_SECTION:
                raise ContainerError(f"section kind {kind}: length {length} over 64 MiB")
            if offset + length > size:
                raise ContainerError(f"section kind {kind}: [{offset}, {offset + length}) outside the file")
            self._check_zero(prev_end, offset, f"padding before section kind {kind}")
            prev_end = offset + length
            expected = align64(prev_end)
            sections.append((kind, sflags, offset, length))
        if expected != size:
            raise ContainerError(f"file_length {size} is not align64(end of the last section) = {expected}")
        self._check_zero(prev_end, size, "padding after the last section")
        kinds = [s[0] for s in sections]
        for needed in (KIND_META, KIND_TENSORS, KIND_CDFS, KIND_DATA):
            if needed not in kinds:
                raise ContainerError(f"section table: missing version-1.0 section kind {needed}")
        self.sections = {s[0]: s for s in sections}

        # §6 model digest
        h = hashlib.sha256()
        h.update(buf[0:32])
        h.update(buf[64:table_end])
        for kind, _, offset, length in sections:
            if kind != KIND_DATA:
                h.update(buf[offset:offset + length])
        if h.digest() != self.model_digest:
            raise ContainerError("header: model digest at offset 32 does not match the file content")

        self.metadata = self._parse_meta()
        self.tensors = self._parse_tensors()
        self.cdfs = self._parse_cdfs()
        self._check_data_layout()

    def _check_zero(self, start, end, what):
        if end > start and any(bytes(self.buf[start:end])):
            first = next(i for i, b in enumerate(bytes(self.buf[start:end])) if b)
            raise ContainerError(f"{what}: non-zero padding byte at offset {start + first}")

    def _section_reader(self, kind, what):
        _, _, offset, length = self.sections[kind]
        return _Reader(self.buf, offset, offset + length, what)

    # -- §5.1 ----------------------------------------------------------------------------
    def _parse_meta(self):
        r = self._section_reader(KIND_META, "META")
        count = r.u32("count")
        if count > MAX_META_ENTRIES:
            raise ContainerError(f"META: {count} entries, over 4,096")
        self._values = 0
        meta = {}
        keys = []
        for _ in range(count):
            at = r.pos
            klen = r.u16("key_length")
            if not 1 <= klen <= 255:
                raise ContainerError(f"META: key length {klen} at offset {at} outside 1…255")
            key = r.string(klen, "key")
            if keys and not keys[-1].encode() < key.encode():
                raise ContainerError(f"META: key {key!r} at offset {at} is not after {keys[-1]!r}")
            keys.append(key)
            meta[key] = self._value(r, 1)
        if r.pos != r.end:
            raise ContainerError(f"META: {r.end - r.pos} bytes left over at offset {r.pos}")
        return meta

    def _value(self, r, depth):
        if depth > MAX_DEPTH:
            raise ContainerError(f"META: value at offset {r.pos} nested deeper than 4")
        self._values += 1
        if self._values > MAX_VALUES:
            raise ContainerError(f"META: more than 1,000,000 values (offset {r.pos})")
        at = r.pos
        tag = r.u8("tag")
        if tag == 1:
            n = r.u32("string length")
            if n > MAX_STRING:
                raise ContainerError(f"META: string at offset {at} of {n} bytes, over 1 MiB")
            return r.string(n, "string")
        if tag == 2:
            return r.i64("integer")
        if tag == 3:
            n = r.u32("list count")
            if n > MAX_LIST:
                raise ContainerError(f"META: list at offset {at} of {n} elements, over 65,536")
            if depth == MAX_DEPTH and n > 0:
                raise ContainerError(f"META: list at offset {at} at depth 4 has elements (depth 5)")
            return [self._value(r, depth + 1) for _ in range(n)]
        raise ContainerError(f"META: unknown value tag {tag} at offset {at}")

    # -- §5.2 ----------------------------------------------------------------------------
    def _name(self, r, what):
        at = r.pos
        n = r.u16("name_length")
        if not 1 <= n <= MAX_NAME:
            raise ContainerError(f"{what}: name length {n} at offset {at} outside 1…1,024")
        return r.string(n, "name")

    def _parse_tensors(self):
        r = self._section_reader(KIND_TENSORS, "TENSORS")
        count = r.u32("count")
        if count > MAX_OBJECTS:
            raise ContainerError(f"TENSORS: {count} records, over 65,536")
        out = {}
        names = []
        for _ in range(count):
            rec = TensorRecord()
            rec.record_offset = r.pos
            rec.name = self._name(r, "TENSORS")
            what = f"tensor {rec.name!r} (record at offset {rec.record_offset})"
            code = r.u8("dtype")
            rank = r.u8("rank")
            quant = r.u8("quantization")
            res = r.u8("reserved")
            if code not in DTYPES:
                raise ContainerError(f"{what}: unknown dtype code {code}")
            if rank > MAX_RANK:
                raise ContainerError(f"{what}: rank {rank} over 16")
            if quant not in (0, 1, 2):
                raise ContainerError(f"{what}: unknown quantization kind {quant}")
            if res:
                raise ContainerError(f"{what}: reserved byte not zero")
            dims = [r.u64("dims") for _ in range(rank)]
            for d in dims:
                if d > MAX_DIM:
                    raise ContainerError(f"{what}: dimension {d} over 2^40")
            rec.offset = r.u64("data_offset")
            rec.length = r.u64("data_length")
            rec.sha256 = r.raw(32, "sha256")
            dname, dt, itemsize = DTYPES[code]
            rec.dtype = dname
            rec.code = code
            rec.shape = tuple(dims)
            count_el = 1
            for d in dims:
                count_el *= d  # Python ints: no overflow
            if count_el * itemsize > MAX_DATA or rec.length > MAX_DATA:
                raise ContainerError(f"{what}: data over 2^40 bytes")
            if rec.length != count_el * itemsize:
                raise ContainerError(f"{what}: data_length {rec.length} does not match the shape {rec.shape}")
            if rec.offset % 64:
                raise ContainerError(f"{what}: data_offset {rec.offset} not a multiple of 64")
            rec.quantization = quant
            rec.axis = None
            rec.params = []
            if quant:
                if dname not in QUANTIZABLE:
                    raise ContainerError(f"{what}: dtype {dname} cannot be quantized")
                n = 1
                if quant == 2:
                    rec.axis = r.u8("axis")
                    if rec.axis >= rank:
                        raise ContainerError(f"{what}: quantization axis {rec.axis} not below rank {rank}")
                    n = dims[rec.axis]
                    if n < 1:
                        raise ContainerError(f"{what}: quantization axis of length 0")
                    r.need(12 * n, "quantization parameters")
                zlo, zhi = QUANTIZABLE[dname]
                for _ in range(n):
                    m = r.i32("multiplier")
                    s = r.i32("shift")
                    z = r.i32("zero_point")
                    if not 1 <= m <= (1 << 31) - 1:
                        raise ContainerError(f"{what}: multiplier {m} out of range")
                    if not -32 <= s <= 63:
                        raise ContainerError(f"{what}: shift {s} out of range")
                    if not zlo <= z <= zhi:
                        raise ContainerError(f"{what}: zero_point {z} out of the dtype's range")
                    rec.params.append((m, s, z))
            names.append(rec.name)
            out[rec.name] = rec
        if r.pos != r.end:
            raise ContainerError(f"TENSORS: {r.end - r.pos} bytes left over at offset {r.pos}")
        _check_name_order(names, "TENSORS")
        return out

    # -- §5.3 ----------------------------------------------------------------------------
    def _parse_cdfs(self):
        r = self._section_reader(KIND_CDFS, "CDFS")
        count = r.u32("count")
        if count > MAX_OBJECTS:
            raise ContainerError(f"CDFS: {count} records, over 65,536")
        out = {}
        names = []
        for _ in range(count):
            rec = CdfRecord()
            rec.record_offset = r.pos
            rec.name = self._name(r, "CDFS")
            what = f"CDF table {rec.name!r} (record at offset {rec.record_offset})"
            rec.precision = r.u8("precision")
            if r.raw(3, "reserved") != b"\0\0\0":
                raise ContainerError(f"{what}: reserved bytes not zero")
            rec.distributions = r.u32("distributions")
            rec.stride = r.u32("stride")
            rec.offset = r.u64("data_offset")
            rec.length = r.u64("data_length")
            rec.sha256 = r.raw(32, "sha256")
            p, n, m = rec.precision, rec.distributions, rec.stride
            if not 1 <= p <= 16:
                raise ContainerError(f"{what}: precision {p} outside 1…16")
            if not 1 <= n <= 1 << 20:
                raise ContainerError(f"{what}: {n} distributions outside 1…2^20")
            if not 2 <= m <= (1 << p) + 1:
                raise ContainerError(f"{what}: stride {m} outside 2…2^p+1")
            if n * m > 1 << 26:
                raise ContainerError(f"{what}: n·m = {n * m} over 2^26")
            if rec.length != 4 * n + 4 * n + 4 * n * m:
                raise ContainerError(f"{what}: data_length {rec.length} is not 4n + 4n + 4nm")
            if rec.offset % 64:
                raise ContainerError(f"{what}: data_offset {rec.offset} not a multiple of 64")
            if rec.name in self.tensors:
                raise ContainerError(f"{what}: name also names a tensor")
            names.append(rec.name)
            out[rec.name] = rec
        if r.pos != r.end:
            raise ContainerError(f"CDFS: {r.end - r.pos} bytes left over at offset {r.pos}")
        _check_name_order(names, "CDFS")
        return out

    # -- §5.4 ----------------------------------------------------------------------------
    def _check_data_layout(self):
        _, _, doff, dlen = self.sections[KIND_DATA]
        objects = sorted(list(self.tensors.values()) + list(self.cdfs.values()),
                         key=lambda o: o.name.encode("utf-8"))
        pos = 0
        for o in objects:
            if o.offset != pos:
                raise ContainerError(
                    f"object {o.name!r}: data_offset {o.offset} is not where §5.4 places it ({pos})")
            end = pos + o.length
            if end > dlen:
                raise ContainerError(f"object {o.name!r}: data [{o.offset}, {end}) outside DATA ({dlen} bytes)")
            nxt = align64(end)
            self._check_zero(doff + end, doff + min(nxt, dlen), f"DATA padding after {o.name!r}")
            pos = nxt
        if dlen != pos:
            raise ContainerError(f"DATA: length {dlen} is not align64(end of the last object) = {pos}")
        self.data_offset = doff

    # -- access ---------------------------------------------------------------------------
    def _object_bytes(self, rec):
        start = self.data_offset + rec.offset
        data = self.buf[start:start + rec.length]
        if rec.name not in self._verified:
            if hashlib.sha256(data).digest() != rec.sha256:
                raise ContainerError(f"object {rec.name!r}: SHA-256 of its data does not match its record")
            self._verified.add(rec.name)
        return data

    def has_tensor(self, name):
        return name in self.tensors

    def tensor(self, name):
        """The tensor's integer/float values as a NumPy array (native byte order, a copy)."""
        rec = self.tensors.get(name)
        if rec is None:
            raise ContainerError(f"tensor {name!r} not found")
        data = self._object_bytes(rec)
        dt = np.dtype(DTYPES[rec.code][1])
        arr = np.frombuffer(data, dtype=dt).reshape(rec.shape)
        return arr.astype(dt.newbyteorder("="), copy=True)

    def tensor_record(self, name):
        rec = self.tensors.get(name)
        if rec is None:
            raise ContainerError(f"tensor {name!r} not found")
        return rec

    def cdf_table(self, name):
        rec = self.cdfs.get(name)
        if rec is None:
            raise ContainerError(f"CDF table {name!r} not found")
        data = self._object_bytes(rec)
        n, m, p = rec.distributions, rec.stride, rec.precision
        offsets = np.frombuffer(data, dtype="<i4", count=n, offset=0).astype(np.int64)
        lengths = np.frombuffer(data, dtype="<u4", count=n, offset=4 * n).astype(np.int64)
        cdf = np.frombuffer(data, dtype="<u4", count=n * m, offset=8 * n).astype(np.int64).reshape(n, m)
        top = 1 << p
        for i in range(n):
            L = int(lengths[i])
            what = f"CDF table {name!r} row {i}"
            if not 2 <= L <= m:
                raise ContainerError(f"{what}: length {L} outside 2…{m}")
            row = cdf[i]
            if row[0] != 0:
                raise ContainerError(f"{what}: cdf[0] = {row[0]} is not 0")
            if row[L - 1] != top:
                raise ContainerError(f"{what}: cdf[L-1] = {row[L - 1]} is not 2^{p}")
            if L > 1 and not np.all(np.diff(row[:L]) > 0):
                raise ContainerError(f"{what}: not strictly increasing")
            if np.any(row[L:] != 0):
                raise ContainerError(f"{what}: entries after L-1 are not zero")
        return CdfTable(name, p, offsets, lengths, cdf)

    def verify_all(self):
        """Check every object digest (what `gic-convert verify` does)."""
        for rec in list(self.tensors.values()) + list(self.cdfs.values()):
            self._object_bytes(rec)


# ---------------------------------------------------------------------------------------------
# Writer (canonical form, §7).  Not needed to decode; the tests use it to check that the reader's
# understanding of the layout reproduces real files byte for byte, and to build variants.

DTYPE_CODES = {v[0]: k for k, v in DTYPES.items()}


def _enc_value(v):
    if isinstance(v, str):
        b = v.encode("utf-8")
        return b"\x01" + struct.pack("<I", len(b)) + b
    if isinstance(v, bool):
        raise TypeError("metadata values are strings, integers or lists")
    if isinstance(v, int):
        return b"\x02" + struct.pack("<q", v)
    if isinstance(v, list):
        return b"\x03" + struct.pack("<I", len(v)) + b"".join(_enc_value(e) for e in v)
    raise TypeError(f"unsupported metadata value {v!r}")


def write_container(metadata, tensors, cdfs, extra_sections=(), major=1, minor=0):
    """Serialize in canonical form.

    metadata: {key: str | int | list}; tensors: {name: (array, dtype name, quant)} with quant
    None, ("tensor", [(m, s, z)]) or ("axis", axis, [(m, s, z), …]); cdfs: {name: (precision,
    offsets, lengths, cdf (n, m))}; extra_sections: [(kind, flags, bytes)] with kind ≥ 5."""
    def key(s):
        return s.encode("utf-8")

    meta = struct.pack("<I", len(metadata))
    for k in sorted(metadata, key=key):
        kb = key(k)
        meta += struct.pack("<H", len(kb)) + kb + _enc_value(metadata[k])

    names = sorted(list(tensors) + list(cdfs), key=key)
    blobs, offsets = {}, {}
    pos = 0
    for n in names:
        if n in tensors:
            arr, dname, _ = tensors[n]
            b = np.ascontiguousarray(arr, dtype=np.dtype(DTYPES[DTYPE_CODES[dname]][1])).tobytes()
        else:
            p, offs, lens, cdf = cdfs[n]
            b = (np.asarray(offs, "<i4").tobytes() + np.asarray(lens, "<u4").tobytes()
                 + np.ascontiguousarray(cdf, "<u4").tobytes())
        blobs[n] = b
        offsets[n] = pos
        pos = align64(pos + len(b))
    data = bytearray(pos)
    for n in names:
        data[offsets[n]:offsets[n] + len(blobs[n])] = blobs[n]

    tens = struct.pack("<I", len(tensors))
    for n in sorted(tensors, key=key):
        arr, dname, quant = tensors[n]
        nb = key(n)
        shape = np.shape(arr)
        qk = 0 if quant is None else (1 if quant[0] == "tensor" else 2)
        tens += struct.pack("<H", len(nb)) + nb + bytes([DTYPE_CODES[dname], len(shape), qk, 0])
        tens += b"".join(struct.pack("<Q", d) for d in shape)
        tens += struct.pack("<QQ", offsets[n], len(blobs[n])) + hashlib.sha256(blobs[n]).digest()
        if qk == 1:
            tens += b"".join(struct.pack("<iii", *t) for t in quant[1])
        elif qk == 2:
            tens += bytes([quant[1]]) + b"".join(struct.pack("<iii", *t) for t in quant[2])
    cd = struct.pack("<I", len(cdfs))
    for n in sorted(cdfs, key=key):
        p, offs, lens, cdf = cdfs[n]
        nb = key(n)
        nn, mm = np.shape(cdf)
        cd += struct.pack("<H", len(nb)) + nb + bytes([p, 0, 0, 0]) + struct.pack("<II", nn, mm)
        cd += struct.pack("<QQ", offsets[n], len(blobs[n])) + hashlib.sha256(blobs[n]).digest()

    sections = [(KIND_META, 1, meta), (KIND_TENSORS, 1, tens), (KIND_CDFS, 1, cd), (KIND_DATA, 1, bytes(data))]
    sections += list(extra_sections)
    sections.sort(key=lambda s: s[0])
    S = len(sections)
    pos = align64(64 + 32 * S)
    table = b""
    body = bytearray()
    placed = []
    for kind, flags, content in sections:
        table += struct.pack("<IIQQQ", kind, flags, pos, len(content), 0)
        placed.append((pos, content))
        pos = align64(pos + len(content))
    file_length = pos
    head = MAGIC + struct.pack("<HHIQII", major, minor, 0, file_length, S, 0)
    h = hashlib.sha256()
    h.update(head)
    h.update(table)
    for kind, _, content in sections:
        if kind != KIND_DATA:
            h.update(content)
    out = bytearray(file_length)
    out[0:32] = head
    out[32:64] = h.digest()
    out[64:64 + len(table)] = table
    for p0, content in placed:
        out[p0:p0 + len(content)] = content
    return bytes(out)


def contents(c):
    """The logical content of a Container, in the form write_container takes."""
    tensors = {}
    for n, rec in c.tensors.items():
        if rec.quantization == 0:
            q = None
        elif rec.quantization == 1:
            q = ("tensor", list(rec.params))
        else:
            q = ("axis", rec.axis, list(rec.params))
        tensors[n] = (c.tensor(n), rec.dtype, q)
    cdfs = {}
    for n in c.cdfs:
        t = c.cdf_table(n)
        cdfs[n] = (t.precision, t.offsets, t.lengths, t.cdf)
    return dict(c.metadata), tensors, cdfs
