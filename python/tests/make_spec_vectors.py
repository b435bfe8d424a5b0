"""Regenerate python/tests/spec_vectors/ (committed test streams for gic_spec_decoder).

Every expected SHA-256 comes from the reference decoder (gic-ref decode --json, "rgb_sha256"),
never from gic_spec_decoder itself, except the `spec_only` vectors: streams with symbols outside
the signed 32-bit range, which spec/entropy-coding.md §5 says decode and the reference refuses
(SPEC_NOTES.md).  Their expected picture is the reference's picture of the same stream with the
out-of-range symbols replaced by ±(2^31 − 1): after the bitstream's clamp to ±2^20 (§6.2, §6.3)
both decode to the same samples.

Run from the repository root:  python3 python/tests/make_spec_vectors.py [--gic-ref PATH]
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
from gic_spec_decoder import Model, bitstream, craft  # noqa: E402

OUT = os.path.join(ROOT, "python", "tests", "spec_vectors")
FIX = "Tests/ReferenceCodecTests/Fixtures/codec"
BMSHJ = f"{FIX}/bmshj2018-hyperprior-N16-M24.gicw"
MBT = f"{FIX}/mbt2018-mean-N16-M24.gicw"
GICV1 = f"{FIX}/gic-v1-N16-M24-W16-random.gicw"
GICV1_REAL = "models/gic-v1.gicw"
CTX = "Tests/ReferenceCodecTests/Fixtures/context/mbt2018-N16-M24.gicw"   # profile 5, mbt2018
CTX_REAL = "models/context/mbt2018-N64-M96.gicw"

ENCODED = [
    ("bmshj-rgb-77x45", BMSHJ, f"{FIX}/rgb-77x45.png", []),
    ("bmshj-gray-33x20", BMSHJ, f"{FIX}/gray-33x20.png", []),
    ("bmshj-rgba-20x17", BMSHJ, f"{FIX}/rgba-20x17.png", []),
    ("bmshj-rgb-1x1", BMSHJ, f"{FIX}/rgb-1x1.png", []),
    ("mbt-rgb-77x45", MBT, f"{FIX}/rgb-77x45.png", []),
    ("mbt-gray-33x20", MBT, f"{FIX}/gray-33x20.png", []),
    ("gicv1-77x45-r0.3-s0", GICV1, f"{FIX}/rgb-77x45.png", ["--rate", "0.3", "--steps", "0"]),
    ("gicv1-77x45-r0.9-s1-seed7", GICV1, f"{FIX}/rgb-77x45.png", ["--rate", "0.9", "--steps", "1", "--seed", "7"]),
    ("gicv1-77x45-r0.5-s2", GICV1, f"{FIX}/rgb-77x45.png", ["--rate", "0.5", "--steps", "2"]),
    ("gicv1-77x45-r0.9-s4-seedmax", GICV1, f"{FIX}/rgb-77x45.png",
     ["--rate", "0.9", "--steps", "4", "--seed", str(2**64 - 1)]),
    ("gicv1-gray-33x20-r0.3-s3-seed123", GICV1, f"{FIX}/gray-33x20.png",
     ["--rate", "0.3", "--steps", "3", "--seed", "123"]),
    ("gicv1real-77x45-r1-s4-seed1", GICV1_REAL, f"{FIX}/rgb-77x45.png",
     ["--rate", "1", "--steps", "4", "--seed", "1"]),
    ("gicv1real-chelsea-r0.2-s2-seed5", GICV1_REAL, "data/images/chelsea.png",
     ["--rate", "0.2", "--steps", "2", "--seed", "5"]),
    ("mbt2018-rgb-77x45", CTX, f"{FIX}/rgb-77x45.png", []),
    ("mbt2018-gray-33x20", CTX, f"{FIX}/gray-33x20.png", []),
    ("mbt2018-rgba-20x17", CTX, f"{FIX}/rgba-20x17.png", []),
    ("mbt2018-rgb-1x1", CTX, f"{FIX}/rgb-1x1.png", []),
    ("mbt2018real-rgb-77x45", CTX_REAL, f"{FIX}/rgb-77x45.png", []),
    ("mbt2018real-chelsea", CTX_REAL, "data/images/chelsea.png", []),
]


def ref_decode(gic_ref, data, model):
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "x.gic")
        with open(p, "wb") as f:
            f.write(data)
        r = subprocess.run([gic_ref, "decode", p, "-m", os.path.join(ROOT, model), "-o",
                            os.path.join(d, "x.rgb"), "--json"], capture_output=True, text=True)
        if r.returncode:
            return None, r.stderr.strip().replace(p, "x.gic")
        return json.loads(r.stdout)["rgb_sha256"], None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gic-ref", default=os.path.join(ROOT, ".build", "release", "gic-ref"))
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    vectors = []

    def add(name, data, model, expect, **extra):
        with open(os.path.join(OUT, name + ".gic"), "wb") as f:
            f.write(data)
        v = {"file": name + ".gic", "model": model}
        v.update(expect)
        v.update(extra)
        vectors.append(v)

    for name, model, image, opts in ENCODED:
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "x.gic")
            subprocess.run([args.gic_ref, "encode", os.path.join(ROOT, image), "-m", os.path.join(ROOT, model),
                            "-o", p, "-q"] + opts, check=True)
            data = open(p, "rb").read()
        sha, err = ref_decode(args.gic_ref, data, model)
        assert err is None, err
        add(name, data, model, {"rgb_sha256": sha}, source=image, options=opts)

    # Streams coded from chosen symbols: escapes with 1…8 nibbles, the ±2^20 clamps, int32 limits.
    rng = np.random.default_rng(2024)
    extremes = [0, 1, -1, 9, -9, 17, -17, 300, -300, 2**20 - 1, 2**20, 2**20 + 1, -2**20, -2**20 - 1,
                2**31 - 1, -2**31, 123456789, -987654321]
    for tag, model, kw in [("bmshj", BMSHJ, {}), ("mbt", MBT, {}),
                           ("gicv1", GICV1, dict(rate_index=37, steps=2, seed=2**63 + 11)),
                           ("mbt2018", CTX, {})]:
        m = Model(os.path.join(ROOT, model))
        W, H = 100, 70
        hz, wz = -(-H // 64), -(-W // 64)
        z = rng.choice(extremes, size=(m.N, hz, wz)).astype(object)
        y = rng.integers(-30, 31, size=(m.M, hz * 4, wz * 4)).astype(object)
        mask = rng.random(y.shape) < 0.3
        y[mask] = rng.choice(extremes, size=int(mask.sum()))
        data = craft.build(m, W, H, z, y, **kw)
        sha, err = ref_decode(args.gic_ref, data, model)
        assert err is None, err
        add(f"crafted-escapes-{tag}", data, model, {"rgb_sha256": sha},
            note="symbols chosen to exercise escapes, nibble counts and the ±2^20 clamps")
        # Same picture with symbols beyond 32 bits: the specification decodes them, the reference refuses.
        z2, y2 = z.copy(), y.copy()
        big = {2**31 - 1: 2**62, -2**31: -2**63}
        z2 = np.vectorize(lambda v: big.get(v, v), otypes=[object])(z2)
        y2 = np.vectorize(lambda v: big.get(v, v), otypes=[object])(y2)
        assert (z2 != z).any() or (y2 != y).any()
        y3 = y2.copy()
        y3.flat[0] = 2**63 - 1
        y_ref = y.copy()
        y_ref.flat[0] = 2**31 - 1
        ref_data = craft.build(m, W, H, z, y_ref, **kw)
        sha_ref, err = ref_decode(args.gic_ref, ref_data, model)
        assert err is None, err
        data = craft.build(m, W, H, z2, y3, **kw)
        sha_direct, err = ref_decode(args.gic_ref, data, model)
        # a reference that accepts 64-bit symbols (SPEC_NOTES.md E) must give the same picture
        assert err is not None or sha_direct == sha_ref, tag
        add(f"spec-only-int64-symbols-{tag}", data, model, {"rgb_sha256": sha_ref}, spec_only=True,
            reference_error=err,
            note="symbols of ±2^62, −2^63 and 2^63−1: valid by spec/entropy-coding.md §5, refused by the"
                 " reference before SPEC_NOTES.md E (reference_error null: it now decodes them to the"
                 " expected picture); expected = the reference's picture with them replaced by ±(2^31−1)")

    # Damaged or refused streams: the expected error class.
    base = open(os.path.join(OUT, "mbt-rgb-77x45.gic"), "rb").read()
    m = Model(os.path.join(ROOT, MBT))
    z = np.zeros((m.N, 1, 2), dtype=object)
    y = np.zeros((m.M, 4, 8), dtype=object)
    y[0, 0, 0] = 5000
    bad = {
        "err-trailing-byte": (base + b"\0", "BitstreamError"),
        "err-truncated": (base[:-1], "BitstreamError"),
        "err-digest-prefix": (base[:8] + bytes([base[8] ^ 1]) + base[9:], "BitstreamError"),
        "err-noncanonical-escape": (craft.build(m, 70, 50, z, y, noncanonical_at=(1, 0)), "DamagedStream"),
    }
    # a z substream with its last word removed and the length fixed: a renormalisation runs out
    zlen = base[24]
    assert zlen < 128 and base[25] < 128
    zs = base[26:26 + zlen]
    ys = base[26 + zlen:]
    bad["err-z-short"] = (craft.header(2, base[8:16], 77, 45, lengths=(zlen - 4, len(ys))) + zs[:-4] + ys,
                          "DamagedStream")
    bad["err-y-state"] = (craft.header(2, base[8:16], 77, 45, lengths=(zlen, len(ys))) + zs
                          + b"\xff" * 8 + ys[8:], "DamagedStream")
    for name, (data, cls) in bad.items():
        sha, err = ref_decode(args.gic_ref, data, MBT)
        assert sha is None, f"{name}: the reference accepted it"
        add(name, data, MBT, {"error": cls}, reference_error=err)

    # Profile 5 (mbt2018, spec/bitstream.md §11): its y substream is decoded position by position.
    small = open(os.path.join(OUT, "mbt2018-rgb-77x45.gic"), "rb").read()
    real = open(os.path.join(OUT, "mbt2018real-rgb-77x45.gic"), "rb").read()
    h = bitstream.parse(real)
    zs, ys = h.substreams
    assert len(ys) > 64, "the y substream should renormalise"
    m = Model(os.path.join(ROOT, CTX))
    z = np.zeros((m.N, 1, 2), dtype=object)
    y = np.zeros((m.M, 4, 8), dtype=object)
    y[5, 1, 3] = 5000
    bad = {
        "err-mbt2018-y-short": (craft.header(5, h.digest_prefix, 77, 45, lengths=(len(zs), len(ys) - 4))
                                + zs + ys[:-4], CTX_REAL, "DamagedStream"),
        "err-mbt2018-y-extra-word": (craft.header(5, h.digest_prefix, 77, 45, lengths=(len(zs), len(ys) + 4))
                                     + zs + ys + b"\0\0\0\0", CTX_REAL, "DamagedStream"),
        "err-mbt2018-rate-index": (small[:20] + b"\1" + small[21:], CTX, "BitstreamError"),
        "err-mbt2018-one-substream": (craft.header(5, small[8:16], 77, 45, lengths=(small[24],))
                                      + small[26:26 + small[24]], CTX, "BitstreamError"),
        "err-mbt2018-noncanonical-escape": (craft.build(m, 70, 50, z, y, noncanonical_at=(1, (1 * 8 + 3) * m.M + 5)),
                                            CTX, "DamagedStream"),
    }
    for name, (data, model, cls) in bad.items():
        sha, err = ref_decode(args.gic_ref, data, model)
        assert sha is None, f"{name}: the reference accepted it"
        add(name, data, model, {"error": cls}, reference_error=err)

    with open(os.path.join(OUT, "vectors.json"), "w") as f:
        json.dump({"description": "gic_spec_decoder test streams; see python/tests/make_spec_vectors.py",
                   "vectors": vectors}, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"{len(vectors)} vectors in {OUT}")


if __name__ == "__main__":
    main()
