#!/usr/bin/env python3
"""Regenerate the codec test fixtures in Tests/ReferenceCodecTests/Fixtures/codec.

Run from the repository root after `swift build -c release` (a codec change that alters bits
must regenerate these in the same commit, with the spec and version bump):

    python3 scripts/make_codec_fixtures.py

Writes three small untrained codec models (bmshj2018-hyperprior N=16 M=24 from
models/example-bmshj2018-hyperprior.npz; mbt2018-mean N=16 M=24, seed 0; gic-v1 with that
mbt2018-mean's transforms and a random reverse network, W=16, NumPy seed 0), test images with
odd sizes (RGB, grayscale, RGBA, 1×1), and goldens.json: for every (model, image, coding
parameters) the SHA-256 of the bitstream and of the decoded RGB samples, as the release
binaries produce them.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests/ReferenceCodecTests/Fixtures/codec")
BIN = os.path.join(ROOT, ".build/release")
CALIBRATION = os.path.join(ROOT, "data/images/chelsea.png")


def run(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def make_random_gicv1(mbt_npz, out):
    """A gic-v1 export with mbt2018-mean's transforms and a random reverse network (NumPy)."""
    d = dict(np.load(mbt_npz))
    rng = np.random.default_rng(0)
    m, w = d["g_a.6.weight"].shape[0], 16

    def conv(name, cout, cin, scale):
        d[name + ".weight"] = (rng.standard_normal((cout, cin, 3, 3)) * scale).astype(np.float32)
        d[name + ".bias"] = (rng.standard_normal(cout) * 0.01).astype(np.float32)

    conv("reverse.conv_in", w, m, 0.1)
    conv("reverse.conv_down", w, w, 0.1)
    conv("reverse.conv_mid", w, w, 0.1)
    conv("reverse.conv_up", 4 * w, w, 0.1)
    conv("reverse.conv_out", m, w, 0.05)
    d["reverse.cond.0.weight"] = rng.standard_normal((64, 1)).astype(np.float32)
    d["reverse.cond.0.bias"] = (rng.standard_normal(64) * 0.1).astype(np.float32)
    d["reverse.cond.2.weight"] = (rng.standard_normal((64, 64)) * 0.1).astype(np.float32)
    d["reverse.cond.2.bias"] = np.zeros(64, np.float32)
    for k in range(3):
        d[f"reverse.film{k}.weight"] = (rng.standard_normal((2 * w, 64)) * 0.05).astype(np.float32)
        d[f"reverse.film{k}.bias"] = np.zeros(2 * w, np.float32)
    d["rate.q_max"] = np.array([8.0], np.float32)
    d["rate.q_min"] = np.array([0.5], np.float32)
    d["sampler.alpha"] = np.full((4, 4), 0.5, np.float32)
    d["sampler.extra_levels"] = np.array([128], np.int32)
    np.savez(out, **d)


def main():
    os.makedirs(OUT, exist_ok=True)
    tmp = tempfile.mkdtemp()
    mbt_npz = os.path.join(tmp, "mbt.npz")
    run(sys.executable, os.path.join(ROOT, "python/export_compressai.py"), "mbt2018-mean",
        "--N", "16", "--M", "24", "--seed", "0", "-o", mbt_npz)
    gic_npz = os.path.join(tmp, "gicv1.npz")
    make_random_gicv1(mbt_npz, gic_npz)
    models = {
        "bmshj2018-hyperprior-N16-M24.gicw": os.path.join(ROOT, "models/example-bmshj2018-hyperprior.npz"),
        "mbt2018-mean-N16-M24.gicw": mbt_npz,
        "gic-v1-N16-M24-W16-random.gicw": gic_npz,
    }
    for name, npz in models.items():
        run(os.path.join(BIN, "gic-convert"), npz, "-o", os.path.join(OUT, name),
            "--calibration", CALIBRATION, "-q", "--no-provenance")  # goldens name these digests

    coffee = np.asarray(Image.open(os.path.join(ROOT, "data/images/coffee.png")).convert("RGB"))
    camera = np.asarray(Image.open(os.path.join(ROOT, "data/images/camera.png")).convert("L"))
    rocket = np.asarray(Image.open(os.path.join(ROOT, "data/images/rocket.png")).convert("RGB"))
    Image.fromarray(coffee[100:145, 200:277]).save(os.path.join(OUT, "rgb-77x45.png"))
    Image.fromarray(camera[60:80, 200:233]).save(os.path.join(OUT, "gray-33x20.png"))
    rgba = np.concatenate(
        [rocket[200:217, 300:320], np.full((17, 20, 1), 128, np.uint8)], axis=2)
    Image.fromarray(rgba, "RGBA").save(os.path.join(OUT, "rgba-20x17.png"))
    Image.fromarray(coffee[0:1, 0:1]).save(os.path.join(OUT, "rgb-1x1.png"))

    goldens = []
    cases = []
    for model in sorted(models):
        for image in ["rgb-77x45.png", "gray-33x20.png", "rgba-20x17.png", "rgb-1x1.png"]:
            if model.startswith("gic-v1"):
                for params in ([], ["--rate", "0.9", "--steps", "1"],
                               ["--rate", "0.3", "--steps", "2", "--seed", "7"],
                               ["--rate", "1", "--steps", "4", "--seed", "18446744073709551615"]):
                    cases.append((model, image, params))
            else:
                cases.append((model, image, []))
    for model, image, params in cases:
        if True:
            gic = os.path.join(tmp, "out.gic")
            run(os.path.join(BIN, "gic-ref"), "encode", os.path.join(OUT, image), "-m",
                os.path.join(OUT, model), "-o", gic, "-q", *params)
            stream = open(gic, "rb").read()
            decoded = json.loads(run(os.path.join(BIN, "gic-ref"), "decode", gic, "-m",
                                     os.path.join(OUT, model), "-o",
                                     os.path.join(tmp, "out.png"), "--json"))
            goldens.append({
                "model": model, "image": image, "parameters": params, "bytes": len(stream),
                "bitstream_sha256": hashlib.sha256(stream).hexdigest(),
                "rgb_sha256": decoded["rgb_sha256"],
            })
    with open(os.path.join(OUT, "goldens.json"), "w") as f:
        json.dump({"description": "SHA-256 of gic-ref encode output and of the decoded RGB "
                   "samples; regenerate with scripts/make_codec_fixtures.py",
                   "vectors": goldens}, f, indent=1)
        f.write("\n")
    print(f"wrote {len(goldens)} goldens to {OUT}")


if __name__ == "__main__":
    main()
