#!/usr/bin/env python3
"""Generate the .npy / .npz test fixtures for the Swift NumPy reader.

Usage:  python3 python/make_fixtures.py

Regenerates Tests/ConvertersTests/Fixtures/{valid,malformed}/ from scratch.
The output is deterministic (fixed seeds, fixed 1980-01-01 zip timestamps),
so running the script twice yields byte-identical files.

valid/expected.json maps file name ->
    .npy: {"dtype": <numpy dtype name, e.g. "float32">, "shape": [...],
           "sha256": <hex sha256 of the array as little-endian C-order bytes>}
    .npz: {"members": {<member name without ".npy">: {same fields}}}
malformed/expected.json maps file name -> expected error code string.

The script also contains a small *reference* strict checker (check_npy /
check_npz) that implements the intended parse order; every malformed file is
asserted to produce exactly its expected code with it, and every valid file
to pass it (and to load with numpy.load and match expected.json).
"""

import ast
import hashlib
import io
import json
import os
import shutil
import struct
import sys
import warnings
import zipfile
import zlib
from collections import Counter

import numpy as np

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
FIXTURES = os.path.join(ROOT, "Tests", "ConvertersTests", "Fixtures")
VALID = os.path.join(FIXTURES, "valid")
MALFORMED = os.path.join(FIXTURES, "malformed")

MAGIC = b"\x93NUMPY"
MAX_HEADER = 10000
RATIO_LIMIT = 1100
RATIO_SLACK = 4096
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def le_bytes(a):
    a = np.asarray(a)
    return np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes()


def describe(a):
    a = np.asarray(a)
    return {
        "dtype": a.dtype.name,
        "shape": list(a.shape),
        "sha256": hashlib.sha256(le_bytes(a)).hexdigest(),
    }


def npy_bytes(a, version=None):
    f = io.BytesIO()
    np.lib.format.write_array(f, np.asanyarray(a), version=version, allow_pickle=False)
    return f.getvalue()


def raw_npy(header, data=b"", version=(1, 0), align=64, hlen=None, pad=True):
    """Hand-craft an .npy file.

    header: str (encoded latin1, or utf8 for v3) or bytes, the dict literal.
    It is padded with spaces and a final '\\n' so that the preamble + header is
    a multiple of `align` (unless pad=False).  `hlen` overrides the header
    length field.
    """
    if isinstance(header, str):
        header = header.encode("utf8" if version[0] == 3 else "latin1")
    pre = 10 if version[0] == 1 else 12
    if pad:
        total = pre + len(header) + 1
        header = header + b" " * ((-total) % align) + b"\n"
    n = len(header) if hlen is None else hlen
    lenfield = struct.pack("<H", n) if version[0] == 1 else struct.pack("<I", n)
    return MAGIC + bytes(version) + lenfield + header + data


def hdr(descr="'<f4'", fortran="False", shape="(2,)"):
    return "{'descr': %s, 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shape)


F4x2 = np.array([1.5, -2.25], dtype="<f4").tobytes()


class NonSeekable(io.RawIOBase):
    """Write-only stream without seek/tell, forcing zipfile data descriptors."""

    def __init__(self):
        super().__init__()
        self.buf = io.BytesIO()

    def writable(self):
        return True

    def seekable(self):
        return False

    def tell(self):
        raise OSError("not seekable")

    def seek(self, *args):
        raise OSError("not seekable")

    def write(self, b):
        return self.buf.write(b)


def savez_bytes(compressed=False, **arrays):
    f = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(f, **arrays)
    return f.getvalue()


def zinfo(name, method=zipfile.ZIP_STORED, external_attr=0o644 << 16):
    zi = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    zi.compress_type = method
    zi.create_system = 3
    zi.external_attr = external_attr
    return zi


def make_zip(members, method=zipfile.ZIP_STORED):
    """members: list of (ZipInfo-or-name, bytes). No zip64 (small data)."""
    f = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names
        with zipfile.ZipFile(f, "w", compression=method) as zf:
            for zi, data in members:
                if isinstance(zi, str):
                    zi = zinfo(zi, method)
                zf.writestr(zi, data)
    return f.getvalue()


# ----- minimal zip structure parsing/patching ------------------------------

EOCD_SIG = b"PK\x05\x06"
CEN_SIG = b"PK\x01\x02"
LOC_SIG = b"PK\x03\x04"


def find_eocd(buf):
    start = max(0, len(buf) - (22 + 0xFFFF))
    pos = buf.rfind(EOCD_SIG, start)
    if pos < 0 or pos + 22 > len(buf):
        return None
    return pos


def zip_entries(buf):
    eocd = find_eocd(buf)
    assert eocd is not None
    (_, _, _, _, n, cd_size, cd_off, _) = struct.unpack_from("<IHHHHIIH", buf, eocd)
    out = []
    p = cd_off
    for _ in range(n):
        f = struct.unpack_from("<IHHHHHHIIIHHHHHII", buf, p)
        assert f[0] == 0x02014B50
        nlen, xlen, clen = f[10], f[11], f[12]
        out.append({
            "cd": p, "local": f[16], "flag": f[3], "method": f[4], "crc": f[7],
            "csize": f[8], "usize": f[9], "name": bytes(buf[p + 46:p + 46 + nlen]),
            "xlen": xlen, "eattr": f[15], "sys": f[1] >> 8,
        })
        p += 46 + nlen + xlen + clen
    return eocd, cd_off, cd_size, out


# field offsets: (local header offset, central header offset, struct fmt)
FIELDS = {
    "flag": (6, 8, "<H"),
    "method": (8, 10, "<H"),
    "crc": (14, 16, "<I"),
    "csize": (18, 20, "<I"),
    "usize": (22, 24, "<I"),
}


def patch_field(buf, entry, field, value):
    lo, co, fmt = FIELDS[field]
    struct.pack_into(fmt, buf, entry["local"] + lo, value)
    struct.pack_into(fmt, buf, entry["cd"] + co, value)


def local_xlen(buf, entry):
    return struct.unpack_from("<H", buf, entry["local"] + 28)[0]


# ---------------------------------------------------------------------------
# reference strict checker (mirrors the intended Swift parse order)
# ---------------------------------------------------------------------------

SUPPORTED = {}
for _name in ["bool", "int8", "uint8"]:
    SUPPORTED["|" + np.dtype(_name).str[1:]] = _name
for _name in ["int16", "int32", "int64", "uint16", "uint32", "uint64",
              "float16", "float32", "float64"]:
    _s = np.dtype(_name).str[1:]
    SUPPORTED["<" + _s] = _name
    SUPPORTED[">" + _s] = _name
ITEMSIZE = {k: int(k[2:]) for k in SUPPORTED}


class Fail(Exception):
    pass


def _literal(node):
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Tuple):
        return tuple(_literal(e) for e in node.elts)
    if isinstance(node, ast.List):
        return [_literal(e) for e in node.elts]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) \
            and isinstance(node.operand, ast.Constant) \
            and type(node.operand.value) in (int, float):
        return -node.operand.value
    raise Fail("npy.headerNotDictLiteral")


def check_npy(b):
    """Return the expected error code for an .npy byte string, or None."""
    try:
        if len(b) < 6:
            raise Fail("npy.tooShort")
        if b[:6] != MAGIC:
            raise Fail("npy.badMagic")
        if len(b) < 8:
            raise Fail("npy.tooShort")
        ver = (b[6], b[7])
        if ver not in ((1, 0), (2, 0), (3, 0)):
            raise Fail("npy.unsupportedVersion")
        pre = 10 if ver[0] == 1 else 12
        if len(b) < pre:
            raise Fail("npy.tooShort")
        hlen = struct.unpack_from("<H" if ver[0] == 1 else "<I", b, 8)[0]
        if pre + hlen > len(b):
            raise Fail("npy.headerBeyondFile")
        if hlen > MAX_HEADER:
            raise Fail("npy.headerTooLong")
        raw = b[pre:pre + hlen]
        try:
            text = raw.decode("utf8" if ver[0] == 3 else "latin1")
        except UnicodeDecodeError:
            raise Fail("npy.invalidHeaderEncoding")
        try:
            tree = ast.parse(text.strip(), mode="eval").body
        except SyntaxError:
            raise Fail("npy.headerNotDictLiteral")
        if not isinstance(tree, ast.Dict) or any(k is None for k in tree.keys):
            raise Fail("npy.headerNotDictLiteral")
        keys = [_literal(k) for k in tree.keys]
        vals = [_literal(v) for v in tree.values]
        if any(type(k) is not str for k in keys):
            raise Fail("npy.headerNotDictLiteral")
        if len(set(keys)) != len(keys):
            raise Fail("npy.headerDuplicateKey")
        d = dict(zip(keys, vals))
        for k in ("descr", "fortran_order", "shape"):
            if k not in d:
                raise Fail("npy.headerMissingKey")
        if set(d) - {"descr", "fortran_order", "shape"}:
            raise Fail("npy.headerUnexpectedKey")
        descr = d["descr"]
        if isinstance(descr, list):
            raise Fail("npy.structuredDtype")
        if not isinstance(descr, str):
            raise Fail("npy.unsupportedDtype")
        if descr == "|O":
            raise Fail("npy.objectDtype")
        if descr not in SUPPORTED:
            if descr[:1] == "=" and ("<" + descr[1:]) in SUPPORTED:
                raise Fail("npy.nativeByteOrder")
            raise Fail("npy.unsupportedDtype")
        if type(d["fortran_order"]) is not bool:
            raise Fail("npy.fortranOrderNotBool")
        shape = d["shape"]
        if type(shape) is not tuple or any(type(x) is not int or x < 0 for x in shape):
            raise Fail("npy.invalidShape")
        n = ITEMSIZE[descr]
        for x in shape:
            n *= x
        if n > 2**63 - 1:
            raise Fail("npy.sizeOverflow")
        have = len(b) - pre - hlen
        if have < n:
            raise Fail("npy.truncatedData")
        if have > n:
            raise Fail("npy.trailingBytes")
        return None
    except Fail as e:
        return e.args[0]


def check_npz(b):
    """Return the expected error code for an .npz byte string, or None."""
    try:
        eocd = find_eocd(b)
        if not b.startswith(LOC_SIG):
            if eocd == 0 and len(b) == 22:
                return None  # empty archive
            if eocd is not None and b.find(LOC_SIG) > 0:
                raise Fail("npz.junkBeforeFirstMember")
            raise Fail("npz.notZip")
        if eocd is None:
            if b.find(CEN_SIG) >= 0:
                raise Fail("npz.truncatedCentralDirectory")
            raise Fail("npz.missingCentralDirectory")
        (_, _, _, _, n, cd_size, cd_off, _) = struct.unpack_from("<IHHHHIIH", b, eocd)
        if cd_off + cd_size > eocd:
            raise Fail("npz.truncatedCentralDirectory")
        _, _, _, entries = zip_entries(b)
        seen = set()
        for e in entries:
            name = e["name"].decode("utf8")
            if name in seen:
                raise Fail("npz.duplicateMember")
            seen.add(name)
            parts = name.split("/")
            if (name.startswith("/") or "\\" in name or "\x00" in name
                    or any(p in ("..", ".", "") for p in parts[:-1]) or parts[-1] == ".."):
                raise Fail("npz.unsafeMemberName")
            # NumPy writes unix mode 0o600 with no file-type bits: treat type 0 as regular.
            ftype = (e["eattr"] >> 16) & 0o170000
            if name.endswith("/") or (e["eattr"] & 0x10) or \
                    (e["sys"] == 3 and ftype not in (0, 0o100000)):
                raise Fail("npz.notRegularFile")
            if not name.endswith(".npy"):
                raise Fail("npz.notNpyMember")
            if e["flag"] & 1:
                raise Fail("npz.encryptedMember")
            if e["method"] not in (0, 8):
                raise Fail("npz.unsupportedCompression")
            csize, usize = e["csize"], e["usize"]
            if usize > RATIO_LIMIT * csize + RATIO_SLACK:
                raise Fail("npz.compressionRatioTooHigh")
            lo = e["local"]
            nlen, xlen = struct.unpack_from("<HH", b, lo + 26)
            start = lo + 30 + nlen + xlen
            comp = b[start:start + csize]
            if e["method"] == 0:
                data = comp
                if len(data) > usize:
                    raise Fail("npz.memberTooLarge")
            else:
                dobj = zlib.decompressobj(-15)
                data = dobj.decompress(comp, usize + 1)
                if len(data) > usize:
                    raise Fail("npz.memberTooLarge")
            if zlib.crc32(data) != e["crc"]:
                raise Fail("npz.crcMismatch")
            if check_npy(data) is not None:
                raise Fail("npz.invalidMember")
        return None
    except Fail as e:
        return e.args[0]


# ---------------------------------------------------------------------------
# valid fixtures
# ---------------------------------------------------------------------------


def gen_array(rng, dtype, shape):
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return rng.integers(0, 2, size=shape).astype(dt)
    if dt.kind in "iu":
        info = np.iinfo(dt)
        return rng.integers(info.min, info.max, size=shape, dtype=dt.newbyteorder("=").type,
                            endpoint=True).astype(dt)
    return (rng.standard_normal(size=shape) * 100).astype(dt)


def build_valid():
    rng = np.random.default_rng(20240611)
    files = {}  # name -> bytes
    expected = {}

    def add_npy(name, arr, data=None, version=None):
        arr = np.asanyarray(arr)
        files[name] = npy_bytes(arr, version) if data is None else data
        expected[name] = describe(arr)

    def add_npz(name, data, arrays):
        files[name] = data
        expected[name] = {"members": {k: describe(v) for k, v in arrays.items()}}

    le = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
          "uint64", "float16", "float32", "float64"]
    for dt in le:
        a = gen_array(rng, np.dtype(dt).newbyteorder("<") if np.dtype(dt).itemsize > 1 else dt,
                      (3, 4, 5))
        add_npy(f"npy_le_{dt}.npy", a)
    for dt in ["int16", "int32", "int64", "uint16", "uint32", "uint64",
               "float16", "float32", "float64"]:
        a = gen_array(rng, np.dtype(dt).newbyteorder(">"), (4, 6))
        assert a.dtype.byteorder == ">"
        add_npy(f"npy_be_{dt}.npy", a)

    # special float values
    sp = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, 1.0, -1.0]
    add_npy("npy_le_float32_special.npy", np.array(sp, dtype="<f4"))
    add_npy("npy_le_float16_special.npy",
            np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 6e-8, 65504.0, -1.0], dtype="<f2"))
    add_npy("npy_be_float64_special.npy", np.array(sp[:-3] + [5e-324, 1.0, -1.0], dtype=">f8"))
    add_npy("npy_le_int64_extremes.npy",
            np.array([np.iinfo(np.int64).min, -1, 0, 1, np.iinfo(np.int64).max], dtype="<i8"))
    add_npy("npy_le_uint64_extremes.npy",
            np.array([0, 1, 2**63, 2**64 - 1], dtype="<u8"))

    # Fortran order
    for dt, shape in [("<f4", (3, 5)), ("<i2", (4, 3)), ("<f8", (2, 3, 4)),
                      ("|u1", (3, 4, 2)), ("|b1", (5, 2))]:
        a = np.asfortranarray(gen_array(rng, dt, shape))
        assert a.flags.f_contiguous and not a.flags.c_contiguous
        add_npy(f"npy_fortran_{np.dtype(dt).name}_{len(shape)}d.npy", a)
    a = np.asfortranarray(gen_array(rng, ">f8", (3, 4)))
    add_npy("npy_fortran_be_float64_2d.npy", a)
    a = np.asfortranarray(gen_array(rng, ">i4", (2, 3, 2)))
    add_npy("npy_fortran_be_int32_3d.npy", a)

    # 0-d and empty
    add_npy("npy_0d_float64.npy", np.array(3.5))
    add_npy("npy_0d_be_int32.npy", np.array(-7, dtype=">i4"))
    add_npy("npy_0d_bool.npy", np.array(True))
    add_npy("npy_empty_1d.npy", np.zeros((0,), dtype="<f4"))
    add_npy("npy_empty_3d.npy", np.zeros((3, 0, 2), dtype="<i8"))
    add_npy("npy_empty_fortran.npy", np.asfortranarray(np.zeros((0, 4), dtype=">f2")))

    # format versions
    a = gen_array(rng, "<f4", (5, 7))
    add_npy("npy_v1_0.npy", a, version=(1, 0))
    add_npy("npy_v2_0.npy", a, version=(2, 0))
    add_npy("npy_v3_0.npy", gen_array(rng, "<i4", (2, 3)), version=(3, 0))
    assert files["npy_v2_0.npy"][6:8] == b"\x02\x00"
    assert files["npy_v3_0.npy"][6:8] == b"\x03\x00"

    # hand-crafted headers
    a = np.array([1.0, 2.0, 3.0], dtype="<f4")
    h = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }"
    d = raw_npy(h, a.tobytes(), align=16)
    assert (len(d) - a.nbytes) % 16 == 0 and (len(d) - a.nbytes) % 64 != 0
    add_npy("npy_header_pad16.npy", a, data=d)
    d = raw_npy(h, a.tobytes(), align=256)
    assert len(d) - a.nbytes == 256
    add_npy("npy_header_pad256.npy", a, data=d)
    b2 = np.array([4.0, -5.0], dtype="<f4")
    d = raw_npy("{'shape': (2,), 'fortran_order': False, 'descr': '<f4', }", b2.tobytes())
    add_npy("npy_header_key_order.npy", b2, data=d)
    d = raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", b2.tobytes())
    add_npy("npy_header_no_trailing_comma.npy", b2, data=d)
    # header length just under the 10000 limit (v1, total preamble+header 10000)
    d = raw_npy(h, a.tobytes(), hlen=9990, pad=False)
    d = d[:10] + (h.encode() + b" " * (9990 - len(h) - 1) + b"\n") + a.tobytes()
    add_npy("npy_header_len_9990.npy", a, data=d)
    # header exactly 10000 bytes (v2) - the limit itself is allowed
    hb = h.encode() + b" " * (10000 - len(h) - 1) + b"\n"
    d = MAGIC + b"\x02\x00" + struct.pack("<I", 10000) + hb + a.tobytes()
    add_npy("npy_header_len_10000.npy", a, data=d)

    # large-ish
    add_npy("npy_large_300x301_float32.npy", gen_array(rng, "<f4", (300, 301)))

    # ---- npz ----
    arrs = {
        "g_a/0.weight": gen_array(rng, "<f4", (4, 3, 3, 3)),
        "g_a/0.bias": gen_array(rng, "<f4", (4,)),
        "h_s/2.weight": gen_array(rng, "<f2", (2, 5)),
        "entropy_bottleneck._quantiles": gen_array(rng, "<f8", (3, 1, 3)),
        "counts": gen_array(rng, "<i8", (6,)),
        "mask": gen_array(rng, "|b1", (2, 2)),
    }
    add_npz("npz_savez.npz", savez_bytes(**arrs), arrs)
    arrs2 = {
        "a": gen_array(rng, "<f4", (10, 10)),
        "b/weight": gen_array(rng, ">i2", (3, 4)),
        "c": np.asfortranarray(gen_array(rng, "<f8", (3, 4))),
        "zeros": np.zeros((64, 64), dtype="<f4"),
    }
    add_npz("npz_savez_compressed.npz", savez_bytes(True, **arrs2), arrs2)

    arrs3 = {"w": gen_array(rng, "<f4", (5, 5)), "x/y": gen_array(rng, "<u2", (7,))}
    s = NonSeekable()
    np.savez(s, **arrs3)
    d = s.buf.getvalue()
    _, _, _, ents = zip_entries(d)
    for e in ents:
        lflag = struct.unpack_from("<H", d, e["local"] + 6)[0]
        assert lflag & 0x08, "expected data descriptor (flag bit 3) in local header"
        assert e["flag"] & 0x08
    add_npz("npz_data_descriptor.npz", d, arrs3)

    s = NonSeekable()
    np.savez_compressed(s, **arrs3)
    d = s.buf.getvalue()
    _, _, _, ents = zip_entries(d)
    assert all(struct.unpack_from("<H", d, e["local"] + 6)[0] & 0x08 for e in ents)
    add_npz("npz_data_descriptor_compressed.npz", d, arrs3)

    add_npz("npz_empty_archive.npz", savez_bytes(), {})
    assert len(files["npz_empty_archive.npz"]) == 22

    arrs4 = {"scalar": np.array(7, dtype="<i4"), "empty": np.zeros((0, 3), dtype="<f4"),
             "empty3d": np.zeros((2, 0, 0), dtype=">f8")}
    add_npz("npz_0d_and_empty_members.npz", savez_bytes(**arrs4), arrs4)

    arrs5 = {"a/b/c": gen_array(rng, "<f4", (2, 2)), "a/b/d": gen_array(rng, "<i4", (3,)),
             "a/e": np.array(1.25, dtype="<f8")}
    add_npz("npz_nested_names.npz", savez_bytes(**arrs5), arrs5)

    # 1 MB of zeros compressed: ratio ~1000:1 must be accepted.
    arrs6 = {"zeros": np.zeros(1 << 20, dtype="|u1")}
    d = savez_bytes(True, **arrs6)
    _, _, _, ents = zip_entries(d)
    (e,) = ents
    ratio = e["usize"] / e["csize"]
    assert e["usize"] <= RATIO_LIMIT * e["csize"] + RATIO_SLACK, ratio
    assert ratio > 900, ratio
    add_npz("npz_compressed_1mb_zeros.npz", d, arrs6)
    zeros_ratio = (e["usize"], e["csize"], ratio)

    return files, expected, zeros_ratio


# ---------------------------------------------------------------------------
# malformed fixtures
# ---------------------------------------------------------------------------


def build_malformed():
    rng = np.random.default_rng(777)
    files = {}
    expected = {}

    def add(name, data, code):
        assert name not in files, name
        files[name] = bytes(data)
        expected[name] = code

    good = npy_bytes(np.array([1.5, -2.25], dtype="<f4"))
    assert good == raw_npy(hdr(), F4x2)

    # ---- npy ----
    add("npy_empty_file.npy", b"", "npy.tooShort")
    add("npy_5_bytes.npy", MAGIC[:5], "npy.tooShort")
    add("npy_magic_only.npy", MAGIC, "npy.tooShort")
    add("npy_cut_in_v1_preamble.npy", good[:9], "npy.tooShort")
    add("npy_cut_in_v2_preamble.npy", npy_bytes(np.zeros(2, "<f4"), (2, 0))[:11], "npy.tooShort")

    add("npy_bad_magic.npy", b"\x93NUMPZ" + good[6:], "npy.badMagic")
    add("npy_bad_magic_lowercase.npy", b"\x93numpy" + good[6:], "npy.badMagic")
    add("npy_bad_magic_zip.npy", savez_bytes(a=np.zeros(2, "<f4")), "npy.badMagic")

    add("npy_version_4_0.npy", MAGIC + b"\x04\x00" + good[8:], "npy.unsupportedVersion")
    add("npy_version_0_9.npy", MAGIC + b"\x00\x09" + good[8:], "npy.unsupportedVersion")
    add("npy_version_1_1.npy", MAGIC + b"\x01\x01" + good[8:], "npy.unsupportedVersion")

    add("npy_header_beyond_file.npy", raw_npy(hdr(), b"", hlen=200)[:60], "npy.headerBeyondFile")
    add("npy_header_beyond_file_v2.npy",
        raw_npy(hdr(), F4x2, version=(2, 0), hlen=500), "npy.headerBeyondFile")

    long_h = hdr().encode()
    for ver, pre in (((2, 0), 12), ((1, 0), 10)):
        hlen = 10112 - pre  # > 10000, preamble+header is 64-aligned
        hb = long_h + b" " * (hlen - len(long_h) - 1) + b"\n"
        lf = struct.pack("<I" if ver[0] == 2 else "<H", hlen)
        add(f"npy_header_too_long_v{ver[0]}.npy", MAGIC + bytes(ver) + lf + hb + F4x2,
            "npy.headerTooLong")

    ndl = "npy.headerNotDictLiteral"
    add("npy_header_list.npy", raw_npy("[1, 2]", F4x2), ndl)
    add("npy_header_unterminated_dict.npy",
        raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), ", F4x2), ndl)
    add("npy_header_garbage.npy", raw_npy("hello world !@#", F4x2), ndl)
    add("npy_header_blank.npy", raw_npy("", F4x2), ndl)
    add("npy_header_nonstring_key.npy",
        raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 1: 2, }", F4x2), ndl)
    add("npy_header_call_value.npy", raw_npy(hdr(descr="np.dtype('<f4')"), F4x2), ndl)
    add("npy_header_name_value.npy", raw_npy(hdr(descr="np.float32"), F4x2), ndl)
    add("npy_header_call_shape.npy", raw_npy(hdr(shape="tuple([2])"), F4x2), ndl)
    add("npy_header_dict_splat.npy", raw_npy("{**{'descr': '<f4'}, 'fortran_order': False, "
                                             "'shape': (2,), }", F4x2), ndl)

    add("npy_missing_shape.npy",
        raw_npy("{'descr': '<f4', 'fortran_order': False, }", F4x2), "npy.headerMissingKey")
    add("npy_missing_descr.npy",
        raw_npy("{'fortran_order': False, 'shape': (2,), }", F4x2), "npy.headerMissingKey")
    add("npy_missing_fortran_order.npy",
        raw_npy("{'descr': '<f4', 'shape': (2,), }", F4x2), "npy.headerMissingKey")
    add("npy_unexpected_key.npy",
        raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'foo': 1, }", F4x2),
        "npy.headerUnexpectedKey")
    add("npy_duplicate_descr.npy",
        raw_npy("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,), }",
                F4x2), "npy.headerDuplicateKey")

    add("npy_fortran_order_int.npy", raw_npy(hdr(fortran="0"), F4x2), "npy.fortranOrderNotBool")
    add("npy_fortran_order_string.npy", raw_npy(hdr(fortran="'False'"), F4x2),
        "npy.fortranOrderNotBool")

    ish = "npy.invalidShape"
    add("npy_shape_negative.npy", raw_npy(hdr(shape="(-1,)"), F4x2), ish)
    add("npy_shape_float.npy", raw_npy(hdr(shape="(2.5,)"), F4x2), ish)
    add("npy_shape_string.npy", raw_npy(hdr(shape="'2'"), F4x2), ish)
    add("npy_shape_paren_int.npy", raw_npy(hdr(shape="(2)"), F4x2), ish)
    add("npy_shape_list.npy", raw_npy(hdr(shape="[2]"), F4x2), ish)

    add("npy_size_overflow_count.npy",
        raw_npy(hdr(descr="'<f8'", shape="(1099511627776, 1099511627776)")),
        "npy.sizeOverflow")
    add("npy_size_overflow_bytes.npy",
        raw_npy(hdr(descr="'<f8'", shape="(2147483648, 2147483648)")),  # 2**62 el * 8 B
        "npy.sizeOverflow")

    add("npy_truncated_data.npy", good[:-1], "npy.truncatedData")
    add("npy_no_data.npy", good[:-8], "npy.truncatedData")
    add("npy_trailing_bytes.npy", good + b"\x00", "npy.trailingBytes")
    add("npy_0d_trailing_bytes.npy", npy_bytes(np.array(3.5)) + b"\x00" * 8, "npy.trailingBytes")

    add("npy_object_descr.npy", raw_npy(hdr(descr="'|O'"), b"\x00" * 16), "npy.objectDtype")
    f = io.BytesIO()
    np.save(f, np.array([1, "two", None], dtype=object), allow_pickle=True)
    add("npy_object_pickle.npy", f.getvalue(), "npy.objectDtype")

    add("npy_structured_descr.npy", raw_npy(hdr(descr="[('a', '<i4')]"), b"\x00" * 8),
        "npy.structuredDtype")
    f = io.BytesIO()
    np.save(f, np.zeros(3, dtype=[("x", "<f4"), ("y", "<i2")]))
    add("npy_structured_real.npy", f.getvalue(), "npy.structuredDtype")

    ud = "npy.unsupportedDtype"
    add("npy_dtype_complex64.npy", raw_npy(hdr(descr="'<c8'"), b"\x00" * 16), ud)
    add("npy_dtype_unicode.npy", raw_npy(hdr(descr="'<U5'"), b"\x00" * 40), ud)
    add("npy_dtype_bytes.npy", raw_npy(hdr(descr="'|S3'"), b"\x00" * 6), ud)
    add("npy_dtype_timedelta.npy", raw_npy(hdr(descr="'<m8'"), b"\x00" * 16), ud)
    add("npy_dtype_unknown.npy", raw_npy(hdr(descr="'xyz'"), F4x2), ud)
    f = io.BytesIO()
    np.save(f, np.array([1 + 2j, 3 - 4j], dtype="<c16"))
    add("npy_dtype_complex128_real.npy", f.getvalue(), ud)

    add("npy_native_byte_order.npy", raw_npy(hdr(descr="'=f4'"), F4x2), "npy.nativeByteOrder")
    add("npy_native_byte_order_i8.npy", raw_npy(hdr(descr="'=i8'"), b"\x00" * 16),
        "npy.nativeByteOrder")

    bad = b"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), '\xff\xfe': 0, }"
    add("npy_v3_invalid_utf8.npy", raw_npy(bad, F4x2, version=(3, 0)),
        "npy.invalidHeaderEncoding")
    hb = hdr().encode() + b" \xc3"  # truncated 2-byte sequence in the padding
    add("npy_v3_truncated_utf8.npy", raw_npy(hb, F4x2, version=(3, 0)),
        "npy.invalidHeaderEncoding")

    # ---- npz ----
    base_arrs = {"a": np.arange(6, dtype="<f4").reshape(2, 3), "b": np.arange(4, dtype="<i8")}
    base = savez_bytes(**base_arrs)
    base_c = savez_bytes(True, **base_arrs)
    a_npy = npy_bytes(base_arrs["a"])
    b_npy = npy_bytes(base_arrs["b"])

    nz = "npz.notZip"
    junk = rng.integers(0, 256, size=4096, dtype=np.uint8).tobytes()
    assert b"PK" not in junk[:2] and EOCD_SIG not in junk and LOC_SIG not in junk
    add("npz_random_bytes.npz", junk, nz)
    add("npz_plain_text.npz", b"This is not a zip archive.\nJust some text.\n" * 4, nz)
    add("npz_is_npy.npz", npy_bytes(base_arrs["a"]), nz)

    junk100 = bytes((i * 37 + 11) % 251 for i in range(100))
    assert b"PK" not in junk100
    add("npz_junk_before_first_member.npz", junk100 + base, "npz.junkBeforeFirstMember")

    eocd, cd_off, cd_size, ents = zip_entries(base)
    assert CEN_SIG not in base[:cd_off]
    add("npz_missing_central_directory.npz", base[:cd_off], "npz.missingCentralDirectory")
    add("npz_cut_inside_central_directory.npz", base[:cd_off + cd_size // 2],
        "npz.truncatedCentralDirectory")
    d = bytearray(base)
    struct.pack_into("<I", d, eocd + 16, len(base) + 1000)  # cd offset beyond the file
    add("npz_eocd_cd_offset_beyond_file.npz", d, "npz.truncatedCentralDirectory")
    d = bytearray(base)
    struct.pack_into("<I", d, eocd + 12, len(base) * 2)  # cd size beyond the file
    add("npz_eocd_cd_size_beyond_file.npz", d, "npz.truncatedCentralDirectory")

    d = bytearray(base)
    for e in ents:
        patch_field(d, e, "flag", e["flag"] | 1)
    add("npz_encrypted_member.npz", d, "npz.encryptedMember")

    add("npz_bzip2_member.npz", make_zip([("a.npy", a_npy)], zipfile.ZIP_BZIP2),
        "npz.unsupportedCompression")
    add("npz_lzma_member.npz", make_zip([("a.npy", a_npy)], zipfile.ZIP_LZMA),
        "npz.unsupportedCompression")

    d = bytearray(base)
    e = ents[0]
    patch_field(d, e, "crc", e["crc"] ^ 0xFFFFFFFF)
    add("npz_crc_mismatch_stored.npz", d, "npz.crcMismatch")
    d = bytearray(base_c)
    _, _, _, ents_c = zip_entries(base_c)
    e = ents_c[1]
    assert e["method"] == 8
    patch_field(d, e, "crc", e["crc"] ^ 0x00000100)
    add("npz_crc_mismatch_deflated.npz", d, "npz.crcMismatch")
    # stored member: data byte corrupted, CRC intact
    d = bytearray(base)
    e = ents[1]
    pos = e["local"] + 30 + len(e["name"]) + local_xlen(d, e) + len(b_npy) - 1
    d[pos] ^= 0x40
    add("npz_crc_mismatch_corrupt_data.npz", d, "npz.crcMismatch")

    big = npy_bytes(np.arange(200, dtype="<f4"))
    z = bytearray(make_zip([("a.npy", big)], zipfile.ZIP_DEFLATED))
    _, _, _, (e,) = zip_entries(z)
    assert e["xlen"] == 0 and local_xlen(z, e) == 0 and e["usize"] == len(big)
    patch_field(z, e, "usize", len(big) - 100)
    assert len(big) - 100 <= RATIO_LIMIT * e["csize"] + RATIO_SLACK
    add("npz_member_too_large.npz", z, "npz.memberTooLarge")
    z = bytearray(make_zip([("a.npy", big)], zipfile.ZIP_DEFLATED))
    patch_field(z, e, "usize", 0)
    add("npz_member_too_large_declared_zero.npz", z, "npz.memberTooLarge")

    zeros = npy_bytes(np.zeros(1000, dtype="<f4"))
    z = bytearray(make_zip([("a.npy", zeros)], zipfile.ZIP_DEFLATED))
    _, _, _, (e,) = zip_entries(z)
    assert e["xlen"] == 0 and local_xlen(z, e) == 0
    patch_field(z, e, "usize", 2_000_000_000)
    add("npz_compression_ratio_2gb.npz", z, "npz.compressionRatioTooHigh")
    z = bytearray(make_zip([("a.npy", zeros)], zipfile.ZIP_DEFLATED))
    patch_field(z, e, "usize", RATIO_LIMIT * e["csize"] + RATIO_SLACK + 1)  # just over
    add("npz_compression_ratio_just_over.npz", z, "npz.compressionRatioTooHigh")

    add("npz_duplicate_member.npz", make_zip([("a.npy", a_npy), ("a.npy", b_npy)]),
        "npz.duplicateMember")
    add("npz_duplicate_member_deflated.npz",
        make_zip([("w/x.npy", a_npy), ("w/y.npy", a_npy), ("w/x.npy", a_npy)],
                 zipfile.ZIP_DEFLATED), "npz.duplicateMember")

    un = "npz.unsafeMemberName"
    for fname, mname in [("npz_name_dotdot.npz", "../evil.npy"),
                         ("npz_name_absolute.npz", "/abs.npy"),
                         ("npz_name_backslash.npz", "a\\b.npy"),
                         ("npz_name_inner_dotdot.npz", "a/../b.npy")]:
        z = make_zip([("ok.npy", b_npy), (mname, a_npy)])
        assert zip_entries(z)[3][1]["name"] == mname.encode()
        add(fname, z, un)
    # NUL byte: zipfile truncates names at NUL, so write a placeholder and patch.
    z = bytearray(make_zip([("evil.npy#.npy", a_npy)]))
    _, _, _, (e,) = zip_entries(z)
    for off in (e["local"] + 30, e["cd"] + 46):
        i = z.index(b"#", off)
        assert i < off + len(e["name"])
        z[i] = 0
    assert zip_entries(z)[3][0]["name"] == b"evil.npy\x00.npy"
    add("npz_name_nul_byte.npz", z, un)

    add("npz_member_readme_txt.npz", make_zip([("a.npy", a_npy), ("readme.txt", b"hello\n")]),
        "npz.notNpyMember")
    add("npz_member_npy_bak.npz", make_zip([("weights.npy.bak", a_npy)]), "npz.notNpyMember")

    dir_zi = zinfo("dir/", external_attr=(0o40755 << 16) | 0x10)
    add("npz_directory_entry.npz", make_zip([(dir_zi, b""), ("dir/a.npy", a_npy)]),
        "npz.notRegularFile")
    link_zi = zinfo("link.npy", external_attr=0o120777 << 16)
    add("npz_symlink_entry.npz", make_zip([("a.npy", a_npy), (link_zi, b"a.npy")]),
        "npz.notRegularFile")

    add("npz_member_bad_magic.npz", make_zip([("x.npy", b"\x93NUMPZ" + a_npy[6:])]),
        "npz.invalidMember")
    add("npz_member_truncated_npy.npz",
        make_zip([("b.npy", b_npy), ("x.npy", a_npy[:-3])], zipfile.ZIP_DEFLATED),
        "npz.invalidMember")
    add("npz_member_trailing_bytes.npz", make_zip([("x.npy", a_npy + b"\x00")]),
        "npz.invalidMember")

    return files, expected


# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------


def write_dir(path, files, expected):
    if os.path.isdir(path):
        shutil.rmtree(path)
    os.makedirs(path)
    for name in sorted(files):
        with open(os.path.join(path, name), "wb") as f:
            f.write(files[name])
    with open(os.path.join(path, "expected.json"), "w") as f:
        json.dump(expected, f, indent=2, sort_keys=True)
        f.write("\n")


def verify_valid(path, expected):
    for name, exp in sorted(expected.items()):
        fp = os.path.join(path, name)
        with open(fp, "rb") as f:
            raw = f.read()
        if name.endswith(".npy"):
            a = np.load(fp, allow_pickle=False)
            assert describe(a) == exp, (name, describe(a), exp)
            assert check_npy(raw) is None, (name, check_npy(raw))
        else:
            with np.load(fp, allow_pickle=False) as z:
                got = {k: describe(z[k]) for k in z.files}
            assert got == exp["members"], (name, got, exp)
            assert check_npz(raw) is None, (name, check_npz(raw))


def verify_malformed(path, expected):
    for name, code in sorted(expected.items()):
        with open(os.path.join(path, name), "rb") as f:
            raw = f.read()
        got = check_npy(raw) if name.endswith(".npy") else check_npz(raw)
        assert got == code, (name, got, code)


def main(argv=None):
    import argparse
    ap = argparse.ArgumentParser(description="Regenerate the .npy/.npz reader fixtures.")
    ap.add_argument("--out", default=FIXTURES, help="fixtures folder (default: the committed one)")
    args = ap.parse_args(argv)
    valid_dir = os.path.join(args.out, "valid")
    malformed_dir = os.path.join(args.out, "malformed")
    vfiles, vexp, (zu, zc, zr) = build_valid()
    mfiles, mexp = build_malformed()
    write_dir(valid_dir, vfiles, vexp)
    write_dir(malformed_dir, mfiles, mexp)
    verify_valid(valid_dir, vexp)
    verify_malformed(malformed_dir, mexp)

    total = sum(len(v) for v in vfiles.values()) + sum(len(v) for v in mfiles.values())
    print(f"valid: {len(vfiles)} files, malformed: {len(mfiles)} files, {total} bytes total")
    print(f"npz_compressed_1mb_zeros.npz: declared {zu} / compressed {zc} = {zr:.1f}:1 "
          f"(limit {RATIO_LIMIT}*{zc}+{RATIO_SLACK} = {RATIO_LIMIT * zc + RATIO_SLACK})")
    print("malformed files per code:")
    for code, n in sorted(Counter(mexp.values()).items()):
        print(f"  {code:32s} {n}")


if __name__ == "__main__":
    sys.exit(main())
