#!/usr/bin/env python3
"""Regenerate the published conformance vectors in conformance/ (spec/conformance.md).

Run from the repository root after `swift build -c release`:

    python3 scripts/make_conformance.py            # sources, models, vectors, archive hash
    python3 scripts/make_conformance.py --check    # regenerate the vectors from the published
                                                   # sources and models; the archive must hash
                                                   # to conformance/ARCHIVE.sha256
    python3 scripts/make_conformance.py --set gic-v2 [--check]
                                                   # the gic-v2 set, conformance/gic-v2/: the
                                                   # published sources coded with
                                                   # models/gic-v2.gicw (a set of its own, so
                                                   # the first set and its hash stay as published)
    python3 scripts/make_conformance.py --set bmshj2018-factorized [--check]
                                                   # profile 4 (spec/bitstream.md §10),
                                                   # conformance/bmshj2018-factorized/: the
                                                   # published sources coded with
                                                   # models/bmshj2018-factorized-N64-M96.npz
                                                   # converted by gic-convert --no-provenance
    python3 scripts/make_conformance.py --set mbt2018 [--check]
                                                   # profile 5 (spec/bitstream.md §11),
                                                   # conformance/mbt2018/: the published sources
                                                   # coded with
                                                   # models/context/mbt2018-N64-M96.npz
                                                   # converted by gic-convert --no-provenance
    python3 scripts/make_conformance.py --set cheng2020-anchor [--check]
                                                   # profile 6 (spec/bitstream.md §12),
                                                   # conformance/cheng2020-anchor/: the published
                                                   # sources coded with
                                                   # models/context/cheng2020-anchor-N64.npz
                                                   # converted by gic-convert --no-provenance
    python3 scripts/make_conformance.py --set cheng2020-attn [--check]
                                                   # profile 7 (spec/bitstream.md §13),
                                                   # conformance/cheng2020-attn/: the published
                                                   # sources coded with the seeded, untrained
                                                   # models/context/cheng2020-attn-N64.npz
                                                   # (export_compressai.py cheng2020-attn --N 64
                                                   # --seed 0; not shipped) converted by
                                                   # gic-convert --no-provenance

Source pictures (conformance/sources/, made here with NumPy and Pillow from the shipped
photographs, deterministic): 1×1, 17×31, a grayscale, an RGBA, sizes not a multiple of 64, a
flat picture and pure noise. Models: the shipped CompressAI N64 M96 exports converted by
gic-convert, and models/gic-v1.gicw. The vectors are written by `gic-ref vectors`; the
reproducible archive's SHA-256 goes into conformance/ARCHIVE.sha256.
"""
import argparse
import filecmp
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".build", "release")
OUT = os.path.join(ROOT, "conformance")


def sources(directory):
    from PIL import Image

    os.makedirs(directory, exist_ok=True)
    img = lambda n: np.asarray(Image.open(os.path.join(ROOT, "data", "images", n)).convert("RGB"))
    coffee, rocket = img("coffee.png"), img("rocket.png")
    camera = np.asarray(Image.open(os.path.join(ROOT, "data", "images", "camera.png")).convert("L"))
    rng = np.random.default_rng(20261125)
    out = {
        "rgb-1x1.png": Image.fromarray(coffee[200:201, 300:301]),
        "rgb-17x31.png": Image.fromarray(coffee[150:181, 250:267]),
        "gray-40x24.png": Image.fromarray(camera[100:124, 200:240], "L"),
        "rgba-33x20.png": Image.fromarray(np.concatenate(
            [rocket[100:120, 400:433], rng.integers(0, 256, (20, 33, 1), dtype=np.uint8)], axis=2), "RGBA"),
        "rgb-65x67.png": Image.fromarray(coffee[40:107, 60:125]),
        "photo-96x64.png": Image.fromarray(rocket[200:264, 250:346]),
        "flat-64x48.png": Image.fromarray(np.full((48, 64, 3), (120, 80, 200), np.uint8)),
        "noise-48x40.png": Image.fromarray(rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)),
    }
    for name, image in out.items():
        image.save(os.path.join(directory, name), optimize=False)
    return [os.path.join(directory, n) for n in sorted(out)]


def run(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True, cwd=ROOT).stdout


def generate_single(target, archive, name):
    """A set of one shipped model over the published sources (conformance/<name>/); the gic-v2
    set also has the detail-stage vectors (gic-ref vectors --detail: the detail fill of
    spec/bitstream.md §7.5, and band gains + fill, §7.6)."""
    shutil.copytree(os.path.join(OUT, "sources"), os.path.join(target, "sources"))
    src = sorted(os.path.join(target, "sources", n) for n in os.listdir(os.path.join(target, "sources")))
    models = os.path.join(target, "models-in")
    os.makedirs(models, exist_ok=True)
    existing = os.path.join(OUT, name, "models", name + ".gicw")
    dest = os.path.join(models, name + ".gicw")
    shutil.copyfile(existing if os.path.exists(existing) else os.path.join(ROOT, "models", name + ".gicw"), dest)
    detail = ["--detail"] if name == "gic-v2" else []
    print(run(os.path.join(BIN, "gic-ref"), "vectors", "-m", dest, *src, "-o", os.path.join(target, "set"),
              "--archive", archive, *detail).strip())
    shutil.rmtree(models)


def generate_converted(target, archive, name, model, folder="models"):
    """A set of one CompressAI export over the published sources (conformance/<name>/): the
    published model when there is one, else <folder>/<model>.npz converted (--no-provenance, as
    for the first set)."""
    shutil.copytree(os.path.join(OUT, "sources"), os.path.join(target, "sources"))
    src = sorted(os.path.join(target, "sources", n) for n in os.listdir(os.path.join(target, "sources")))
    models = os.path.join(target, "models-in")
    os.makedirs(models, exist_ok=True)
    existing = os.path.join(OUT, name, "models", model + ".gicw")
    dest = os.path.join(models, model + ".gicw")
    if os.path.exists(existing):
        shutil.copyfile(existing, dest)
    else:
        run(os.path.join(BIN, "gic-convert"), os.path.join(folder, model + ".npz"), "-o", dest, "-q",
            "--no-provenance")
    print(run(os.path.join(BIN, "gic-ref"), "vectors", "-m", dest, *src, "-o", os.path.join(target, "set"),
              "--archive", archive).strip())
    shutil.rmtree(models)


def generate(target, archive, regenerate_sources=True):
    if regenerate_sources:
        src = sources(os.path.join(target, "sources"))
    else:  # the published sources (no Pillow needed)
        shutil.copytree(os.path.join(OUT, "sources"), os.path.join(target, "sources"))
        src = sorted(os.path.join(target, "sources", n) for n in os.listdir(os.path.join(target, "sources")))
    models = os.path.join(target, "models-in")
    os.makedirs(models, exist_ok=True)
    paths = []
    for name in ["bmshj2018-hyperprior-N64-M96", "mbt2018-mean-N64-M96"]:
        existing = os.path.join(OUT, "models", name + ".gicw")
        dest = os.path.join(models, name + ".gicw")
        if os.path.exists(existing):  # the published model, not a fresh conversion
            shutil.copyfile(existing, dest)
        else:
            # --no-provenance: the model digest covers metadata, and the published vectors name
            # these models by digest; provenance (converter version, input and calibration
            # SHA-256) would give another digest than the published one.
            run(os.path.join(BIN, "gic-convert"), os.path.join("models", name + ".npz"), "-o", dest, "-q",
                "--no-provenance")
        paths.append(dest)
    existing = os.path.join(OUT, "models", "gic-v1.gicw")
    dest = os.path.join(models, "gic-v1.gicw")
    shutil.copyfile(existing if os.path.exists(existing) else os.path.join(ROOT, "models", "gic-v1.gicw"), dest)
    paths.append(dest)
    args = [os.path.join(BIN, "gic-ref"), "vectors"]
    for p in paths:
        args += ["-m", p]
    args += src + ["-o", os.path.join(target, "set"), "--archive", archive]
    print(run(*args).strip())
    shutil.rmtree(models)


# The sets of one converted CompressAI export: set name -> (model name, folder of its .npz).
CONVERTED = {
    "bmshj2018-factorized": ("bmshj2018-factorized-N64-M96", "models"),
    "mbt2018": ("mbt2018-N64-M96", os.path.join("models", "context")),
    "cheng2020-anchor": ("cheng2020-anchor-N64", os.path.join("models", "context")),
    "cheng2020-attn": ("cheng2020-attn-N64", os.path.join("models", "context")),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--set", choices=["main", "gic-v2", *CONVERTED], default="main")
    ap.add_argument("--bin-dir", help="where gic-ref is (default .build/release)")
    args = ap.parse_args()
    global BIN, OUT
    if args.bin_dir:
        BIN = args.bin_dir
    tmp = tempfile.mkdtemp()
    archive = os.path.join(tmp, "conformance.tar")
    if args.set == "main":
        generate(tmp, archive, regenerate_sources=not args.check)
    elif args.set in CONVERTED:
        model, folder = CONVERTED[args.set]
        generate_converted(tmp, archive, args.set, model, folder=folder)
        OUT = os.path.join(OUT, args.set)
    else:
        generate_single(tmp, archive, args.set)
        OUT = os.path.join(OUT, args.set)
    digest = hashlib.sha256(open(archive, "rb").read()).hexdigest()
    if args.check:
        cmp = filecmp.dircmp(os.path.join(tmp, "set"), OUT)
        published = open(os.path.join(OUT, "ARCHIVE.sha256")).read().split()[0]
        ok = digest == published
        print(f"archive SHA-256 {digest} ({'matches' if ok else 'DIFFERS from'} the published {published})")
        sys.exit(0 if ok else 1)
    for sub in ["models", "streams", "images"]:
        shutil.rmtree(os.path.join(OUT, sub), ignore_errors=True)
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(os.path.join(tmp, "set")):
        src = os.path.join(tmp, "set", name)
        dst = os.path.join(OUT, name)
        if os.path.isdir(src):
            shutil.copytree(src, dst)
        else:
            shutil.copyfile(src, dst)
    if args.set == "main":
        shutil.rmtree(os.path.join(OUT, "sources"), ignore_errors=True)
        shutil.copytree(os.path.join(tmp, "sources"), os.path.join(OUT, "sources"))
    with open(os.path.join(OUT, "ARCHIVE.sha256"), "w") as f:
        f.write(f"{digest}  conformance.tar (gic-ref vectors --archive; see spec/conformance.md)\n")
    print(f"archive SHA-256 {digest}")


if __name__ == "__main__":
    main()
