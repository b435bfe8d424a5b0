#!/usr/bin/env python3
"""Writes small valid .gicw seeds for FuzzWeightFile (spec/container.md), standard library only.

The shipped models are megabytes; these seeds cover the same record kinds in a few hundred bytes:
every metadata tag with nested lists, per-tensor and per-axis quantization, 0-d and empty
tensors, CDF tables, and (in minor version 1) a private non-critical section.

    python3 FuzzTesting/Tools/make_weightfile_seeds.py FuzzTesting/Corpus/weightfile
"""
import hashlib
import struct
import sys


def align64(n):
    return (n + 63) // 64 * 64


def name(s):
    b = s.encode()
    return struct.pack("<H", len(b)) + b


def value(v):
    if isinstance(v, str):
        b = v.encode()
        return b"\x01" + struct.pack("<I", len(b)) + b
    if isinstance(v, int):
        return b"\x02" + struct.pack("<q", v)
    return b"\x03" + struct.pack("<I", len(v)) + b"".join(value(x) for x in v)


ITEMSIZE = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 2, 8: 4, 9: 8, 10: 2, 11: 4, 12: 8}


def container(metadata, tensors, cdfs, private=None):
    """metadata: {key: value}; tensors: [(name, dtype, shape, quant, bytes)] where quant is None,
    ('t', (mult, shift, zp)) or ('a', axis, [(mult, shift, zp), ...]); cdfs: [(name, precision,
    [(offset, [cdf...]), ...])]; private: bytes of a kind-65536 non-critical section."""
    objects = {}
    for t in tensors:
        objects[t[0].encode()] = t[4]
    cdf_data = {}
    for n, p, rows in cdfs:
        m = max(len(c) for _, c in rows)
        data = b"".join(struct.pack("<i", o) for o, _ in rows)
        data += b"".join(struct.pack("<I", len(c)) for _, c in rows)
        data += b"".join(struct.pack("<%dI" % m, *(list(c) + [0] * (m - len(c)))) for _, c in rows)
        cdf_data[n] = (p, len(rows), m, data)
        objects[n.encode()] = data
    offsets = {}
    data_section = b""
    for key in sorted(objects):
        data_section += b"\0" * (align64(len(data_section)) - len(data_section))
        offsets[key] = len(data_section)
        data_section += objects[key]
    data_section += b"\0" * (align64(len(data_section)) - len(data_section))

    meta = struct.pack("<I", len(metadata))
    for k in sorted(metadata, key=lambda s: s.encode()):
        meta += name(k) + value(metadata[k])
    tens = struct.pack("<I", len(tensors))
    for n, dtype, shape, quant, data in sorted(tensors, key=lambda t: t[0].encode()):
        qkind = 0 if quant is None else (1 if quant[0] == "t" else 2)
        tens += name(n) + struct.pack("<BBBB", dtype, len(shape), qkind, 0)
        tens += b"".join(struct.pack("<Q", d) for d in shape)
        tens += struct.pack("<QQ", offsets[n.encode()], len(data)) + hashlib.sha256(data).digest()
        if qkind == 1:
            tens += struct.pack("<iii", *quant[1])
        elif qkind == 2:
            tens += struct.pack("<B", quant[1]) + b"".join(struct.pack("<iii", *q) for q in quant[2])
    cdfsec = struct.pack("<I", len(cdfs))
    for n in sorted(cdf_data, key=lambda s: s.encode()):
        p, count, m, data = cdf_data[n]
        cdfsec += name(n) + struct.pack("<BBBBII", p, 0, 0, 0, count, m)
        cdfsec += struct.pack("<QQ", offsets[n.encode()], len(data)) + hashlib.sha256(data).digest()

    sections = [(1, 1, meta), (2, 1, tens), (3, 1, cdfsec), (4, 1, data_section)]
    if private is not None:
        sections.append((65536, 0, private))
    count = len(sections)
    at = align64(64 + 32 * count)
    table = b""
    body = b""
    for kind, flags, content in sections:
        table += struct.pack("<IIQQQ", kind, flags, at, len(content), 0)
        body += b"\0" * (at - (align64(64 + 32 * count) + len(body))) + content
        at = align64(at + len(content))
    file_length = at
    minor = 1 if private is not None else 0
    head = b"\x89GICW\r\n\x1a" + struct.pack("<HHIQII", 1, minor, 0, file_length, count, 0)
    digest = hashlib.sha256()
    digest.update(head)
    digest.update(table)
    for kind, _, content in sections:
        if kind != 4:
            digest.update(content)
    out = head + digest.digest() + table
    out += b"\0" * (align64(64 + 32 * count) - len(out)) + body
    return out + b"\0" * (file_length - len(out))


def main(directory):
    prior = [(-1, [0, 100, 256]), (0, [0, 1, 255, 256])]
    seeds = {
        "records.gicw": container(
            {"gic.profile": "raw", "ka": -5, "kb": "hello", "list": [1, ["x", [2]]]},
            [
                ("enc/bias", 11, [4], None, bytes(range(16))),
                ("enc/gain", 6, [5], ("t", (3, 4, 128)), bytes([1, 2, 3, 4, 5])),
                ("enc/kern", 2, [2, 3], ("a", 0, [(5, 7, -3), (9, -2, 4)]), bytes(range(6))),
                ("enc/zero", 3, [3, 0, 2], None, b""),
                ("scalar", 12, [], None, struct.pack("<d", 1.5)),
            ],
            [("enc/zeta", 8, prior), ("enc/zetb", 16, [(-3, [0, 1, 65535, 65536])])],
        ),
        "private-section-minor-1.gicw": container(
            {"gic.profile": "raw"},
            [("w", 4, [2, 2], ("a", 1, [(1, 0, 0), (2147483647, 63, -2147483648)]), bytes(16))],
            [("t", 1, [(0, [0, 1, 2])])],
            private=b"private data",
        ),
        "empty.gicw": container({}, [], []),
    }
    for n, b in seeds.items():
        with open("%s/%s" % (directory, n), "wb") as f:
            f.write(b)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
