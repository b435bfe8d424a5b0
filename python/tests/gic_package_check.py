#!/usr/bin/env python3
"""What an installed gic-codec must do, run with the interpreter it is installed in (the fresh
virtual environment of test_gic_venv.py, or any other):

    pip install ./python && python3 python/tests/gic_package_check.py --root . [--installed]
        [--export]

- `import gic` (with --installed: from site-packages, not from this checkout);
- gic.read of every shipped model (models/*.gicw and the conformance sets' models), and
  gic.write of what it read (tensors, metadata, quantization, CDF tables) giving the same bytes;
- gic.decode of every published conformance vector (conformance/ and conformance/gic-v2/) to
  the manifest's SHA-256 and MD5 of the decoded RGB samples, and gic.info to its parameters;
- with GIC_BIN set: gic.write of a raw container byte-identical to gic-convert's;
- with --export (needs torch and CompressAI): gic.export of a CompressAI mbt2018-mean object to
  .gicw through gic-convert, a picture coded by gic-ref, and gic.decode equal to gic-ref decode.

Prints one line per part and exits 1 on the first failure.
"""
import argparse
import glob
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def check_import(installed):
    import gic

    where = os.path.dirname(os.path.dirname(os.path.abspath(gic.__file__)))
    if installed and os.path.basename(where) not in ("site-packages", "dist-packages"):
        fail(f"gic imported from {where}, not from an installed package")
    print(f"import gic {gic.__version__} from {where}")
    return gic


def check_models(gic, root, tmp):
    paths = sorted(glob.glob(os.path.join(root, "models", "*.gicw")))
    paths += sorted(glob.glob(os.path.join(root, "conformance", "models", "*.gicw")))
    paths += sorted(glob.glob(os.path.join(root, "conformance", "gic-v2", "models", "*.gicw")))
    if len(paths) < 2:
        fail(f"found only {len(paths)} .gicw files under {root}")
    start = time.perf_counter()
    for p in paths:
        meta, tensors = gic.read(p)
        if not tensors or "gic.profile" not in meta:
            fail(f"{p}: {len(tensors)} tensors, metadata {sorted(meta)[:3]}")
        meta, tensors, extras = gic.read(p, extras=True)
        out = os.path.join(tmp, "rewritten.gicw")
        gic.write(out, tensors, meta, **extras)
        with open(p, "rb") as a, open(out, "rb") as b:
            if a.read() != b.read():
                fail(f"{p}: gic.write of what gic.read returned is not byte-identical")
        gic.load_model(p)  # every shipped .gicw is a codec model
    print(f"{len(paths)} .gicw files read, rewritten byte-identically and loaded as codec models "
          f"in {time.perf_counter() - start:.1f} s")


def check_vectors(gic, root):
    total = 0
    start = time.perf_counter()
    for folder in (os.path.join(root, "conformance"), os.path.join(root, "conformance", "gic-v2")):
        with open(os.path.join(folder, "manifest.json"), encoding="utf-8") as f:
            manifest = json.load(f)
        for m in manifest["models"]:
            with open(os.path.join(folder, m["file"]), "rb") as f:
                if hashlib.sha256(f.read()).hexdigest() != m["sha256"]:
                    fail(f"{m['file']}: SHA-256 differs from the manifest")
        for v in manifest["vectors"]:
            stream = os.path.join(folder, v["bitstream"])
            rgb = gic.decode(stream, os.path.join(folder, v["model"]), rgb=True)
            raw = rgb.tobytes()
            if (hashlib.sha256(raw).hexdigest() != v["decoded_rgb_sha256"]
                    or hashlib.md5(raw).hexdigest() != v["decoded_rgb_md5"]):
                fail(f"vector {v['id']}: decoded samples differ from the manifest")
            h = gic.info(stream)
            p = v["parameters"]
            if (h["width"], h["height"], h["grayscale"], h["profile"]) != (
                    p["width"], p["height"], p["grayscale"], p["profile"]):
                fail(f"vector {v['id']}: gic.info {h} differs from the manifest's {p}")
            px = gic.decode(stream, os.path.join(folder, v["model"]))
            if px.shape != ((p["height"], p["width"]) if p["grayscale"] else (p["height"], p["width"], 3)):
                fail(f"vector {v['id']}: gic.decode gave shape {px.shape}")
            total += 1
    if total != 76:
        fail(f"{total} vectors in the two published sets, expected 76 (40 + 36)")
    print(f"{total} published vectors decoded by gic.decode to the manifests' SHA-256 "
          f"in {time.perf_counter() - start:.1f} s")


def raw_arrays():
    import numpy as np

    rng = np.random.default_rng(0)
    return {
        "b.weight": rng.standard_normal((4, 3, 3, 3)).astype(np.float32),
        "a": rng.integers(-100, 100, (5,), dtype=np.int8),
        "A_upper": np.array(3.5, dtype=np.float64),
        "a.b": rng.integers(0, 60000, (2, 3), dtype=np.uint16),
        "a_b": np.array([True, False, True]),
        "half": rng.standard_normal(7).astype(np.float16),
        "i64": np.arange(6, dtype=np.int64).reshape(2, 3),
        "u64": np.arange(3, dtype=np.uint64),
        "i32": np.arange(3, dtype=np.int32),
        "u32": np.arange(3, dtype=np.uint32),
        "i16": np.arange(3, dtype=np.int16),
        "u8": np.arange(3, dtype=np.uint8),
        "empty": np.zeros((0, 3), np.float32),
        "fortran": np.asfortranarray(rng.standard_normal((3, 4))),
        "bigendian": np.arange(5, dtype=">i4"),
    }


def check_raw_write(gic, tmp):
    import numpy as np

    if not os.environ.get("GIC_BIN"):
        print("gic.write against gic-convert: skipped (GIC_BIN not set)")
        return
    arrays = raw_arrays()
    npz = os.path.join(tmp, "raw.npz")
    np.savez(npz, **arrays)
    swift = os.path.join(tmp, "raw-swift.gicw")
    gic.tools.convert(npz, swift, profile="raw")
    meta, back = gic.read(swift)
    mine = os.path.join(tmp, "raw-python.gicw")
    gic.write(mine, arrays, meta)
    with open(swift, "rb") as a, open(mine, "rb") as b:
        if a.read() != b.read():
            fail("gic.write differs from gic-convert --profile raw for the same arrays")
    for k, v in arrays.items():
        if not np.array_equal(back[k], v) or back[k].shape != v.shape:
            fail(f"{k}: read back differently")
    print(f"gic.write byte-identical to gic-convert --profile raw ({len(arrays)} arrays, every dtype)")


def check_export(gic, root, tmp):
    import torch
    from compressai.models import MeanScaleHyperprior

    torch.manual_seed(0)
    model = MeanScaleHyperprior(16, 24).eval()
    gicw = os.path.join(tmp, "mbt.gicw")
    start = time.perf_counter()
    info = gic.export(model, gicw, calibration=[os.path.join(root, "conformance", "sources", "photo-96x64.png")])
    if (info["architecture"], info["N"], info["M"]) != ("mbt2018-mean", 16, 24):
        fail(f"gic.export: {info}")
    if info["convert"]["profile"] != "mbt2018-mean":
        fail(f"gic-convert made a {info['convert']['profile']} model")
    ref = gic.find_tool("gic-ref")
    src = os.path.join(root, "conformance", "sources", "photo-96x64.png")
    stream = os.path.join(tmp, "photo.gic")
    subprocess.run([ref, "encode", src, "-m", gicw, "-o", stream, "--quiet"], check=True)
    out = subprocess.run([ref, "decode", stream, "-m", gicw, "-o", os.path.join(tmp, "photo.png"), "--json",
                          "--quiet"], check=True, capture_output=True, text=True).stdout
    want = json.loads(out)["rgb_sha256"]
    got = hashlib.sha256(gic.decode(stream, gicw, rgb=True).tobytes()).hexdigest()
    if got != want:
        fail("gic.decode of gic-ref's stream with the exported model differs from gic-ref decode")
    print(f"gic.export(MeanScaleHyperprior(16, 24)) -> gic-convert -> gic-ref encode; gic.decode equals "
          f"gic-ref decode ({time.perf_counter() - start:.1f} s)")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", required=True, help="the gic checkout (models/, conformance/)")
    ap.add_argument("--installed", action="store_true", help="gic must come from site-packages")
    ap.add_argument("--export", action="store_true", help="also the CompressAI export (torch, CompressAI)")
    args = ap.parse_args(argv)
    root = os.path.abspath(args.root)
    gic = check_import(args.installed)
    with tempfile.TemporaryDirectory(prefix="gic-check-") as tmp:
        check_models(gic, root, tmp)
        check_vectors(gic, root)
        check_raw_write(gic, tmp)
        if args.export:
            check_export(gic, root, tmp)
    print("gic package check: all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
