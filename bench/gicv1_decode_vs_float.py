#!/usr/bin/env python3
r"""Benchmark: decoding a 768x512 image with a rate-variable gic model (gic-v1 by default; gic-v2
through bench/gicv2_decode_vs_float.py, or --model/--gicw), 2 reverse-process steps, with
`gic-ref decode` (integer) side by side with the PyTorch float decoder of the same model
(python/gicv1/float_codec.py `decode_symbols`, or --float-codec), same thread count, in one run.

Setup (untimed): the image is encoded once with `gic-ref encode --rate R --steps 2 [--seed S]
--detail on|gains|fill|off` (--detail; the detail stages of spec/bitstream.md 7.5-7.7 are
gic-ref's only: the float decoder decodes the same symbols without them);
`gic-ref decode --dump-symbols` writes the decoded symbols, which the float decoder takes (the
same bitstream). Timed, alternating, R repetitions, each in a fresh process:
  (a) `gic-ref decode --threads T -o x.rgb`: the whole process, measured here (start-up, model
      loading with digest checks, entropy decoding, h_s, two reverse steps, g_s, writing the raw
      RGB samples — the float decoder returns an array and writes nothing), and the in-process
      decoding time it reports; `--png` writes a PNG instead (libpng at zlib's default level adds
      about 0.15 s for 768x512);
  (b) a Python process that imports torch, sets torch.set_num_threads(T), loads the model and the
      symbols, and times `decode_symbols(...)` alone (h_s, sampler, g_s, under no_grad).
Peak memory: each child's ru_maxrss (os.wait4). Medians are reported.

    python3 bench/gicv1_decode_vs_float.py --model models/gic-v1.npz --gicw models/gic-v1.gicw \
        [--image data/images/test-768x512.png] [--threads 1,2] [--runs 5] [--json out.json] \
        [--float-codec python/gicv1/float_codec.py] [--bin-dir .build/release]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "python"))

import gic_eval  # noqa: E402

CHILD = r"""
import importlib.util, sys, time, json
import torch
torch.set_num_threads({threads})
import numpy as np
spec = importlib.util.spec_from_file_location("float_codec", {float_codec!r})
float_codec = importlib.util.module_from_spec(spec)
spec.loader.exec_module(float_codec)
model = float_codec.load_model({model!r})
d = np.load({dump!r})
args = (d["z_symbols"], d["y_symbols"], int(d["rate_index"]), int(d["steps"]),
        None if int(d["seed"]) < 0 else int(d["seed"]), int(d["height"]), int(d["width"]))
t0 = time.perf_counter()
with torch.no_grad():
    img = float_codec.decode_symbols(model, *args)
t = time.perf_counter() - t0
print(json.dumps({{"seconds": t, "shape": list(img.shape)}}))
"""


def run_child(cmd):
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"command failed: {' '.join(cmd)}\n{stderr[-2000:]}")
    return wall, usage.ru_maxrss / 1024.0, stdout


def median(v):
    v = sorted(v)
    return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2


def main(argv=None, model="gic-v1", doc=None):
    ap = argparse.ArgumentParser(description=doc or __doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=os.path.join(ROOT, "models", f"{model}.npz"),
                    help=f"the float export (default models/{model}.npz)")
    ap.add_argument("--gicw", default=os.path.join(ROOT, "models", f"{model}.gicw"),
                    help=f"the converted model gic-ref decodes with (default models/{model}.gicw)")
    ap.add_argument("--float-codec", default=os.path.join(ROOT, "python", "gicv1", "float_codec.py"),
                    help="module with load_model(path) and decode_symbols(...) (default python/gicv1/float_codec.py)")
    ap.add_argument("--image", default=os.path.join(ROOT, "data", "images", "test-768x512.png"))
    ap.add_argument("--bin-dir", default=os.path.join(ROOT, ".build", "release"))
    ap.add_argument("--rate", default="0.5")
    ap.add_argument("--seed", default="1", help="noise seed ('none' for no noise)")
    ap.add_argument("--detail", choices=["on", "gains", "fill", "off"], default="off",
                    help="encode with the detail stages (gic-ref encode --detail; spec/bitstream.md 7.5-7.7; "
                         "gic-ref decodes them, the float decoder has none and decodes the same symbols "
                         "without them)")
    ap.add_argument("--threads", default="1")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--png", action="store_true", help="gic-ref writes a PNG (default: raw .rgb)")
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    gic_ref = os.path.join(args.bin_dir, "gic-ref")
    tmp = tempfile.mkdtemp()
    gic, dump, png = (os.path.join(tmp, n) for n in ("x.gic", "x.npz", "x.png"))
    seed = [] if args.seed == "none" else ["--seed", args.seed]
    enc = json.loads(subprocess.run(
        [gic_ref, "encode", args.image, "-m", args.gicw, "-o", gic, "--rate", args.rate,
         "--steps", "2", "--detail", args.detail, "--json", *seed], check=True, capture_output=True, text=True).stdout)
    subprocess.run([gic_ref, "decode", gic, "-m", args.gicw, "-o", png, "--dump-symbols", dump, "-q"],
                   check=True)
    results = []
    for threads in [int(t) for t in args.threads.split(",")]:
        gic_runs, float_runs = [], []
        child = CHILD.format(float_codec=os.path.abspath(args.float_codec), threads=threads,
                             model=os.path.abspath(args.model), dump=dump)
        for k in range(args.runs + 1):  # the first pair warms the page cache, untimed
            target = png if args.png else os.path.join(tmp, "x.rgb")
            wall, peak, out = run_child([gic_ref, "decode", gic, "-m", args.gicw, "-o", target,
                                         "--threads", str(threads), "--json"])
            g = (wall, peak, json.loads(out)["decode_seconds"])
            wall, peak, out = run_child([sys.executable, "-c", child])
            f = (wall, peak, json.loads(out)["seconds"])
            if k:
                gic_runs.append(g)
                float_runs.append(f)
                print(f"T={threads} run {k}: gic {g[0]:.3f} s whole ({g[2]:.3f} s decoding), "
                      f"{g[1]:.1f} MiB; float decode_symbols {f[2]:.3f} s, {f[1]:.1f} MiB", file=sys.stderr)
        r = {
            "threads": threads,
            "gic_whole_s": median([g[0] for g in gic_runs]), "gic_decode_s": median([g[2] for g in gic_runs]),
            "gic_peak_mib": median([g[1] for g in gic_runs]),
            "float_decode_s": median([f[2] for f in float_runs]), "float_whole_s": median([f[0] for f in float_runs]),
            "float_peak_mib": median([f[1] for f in float_runs]),
        }
        r["time_ratio"] = r["gic_whole_s"] / r["float_decode_s"]
        r["decode_ratio"] = r["gic_decode_s"] / r["float_decode_s"]
        results.append(r)
    info = gic_eval.machine_info()
    import torch  # noqa: E402  (only for the version string, after the children ran)
    header = (f"Model `{os.path.basename(args.gicw)}`; image `{os.path.basename(args.image)}`, rate {args.rate} (index {enc['rate_index']}), "
              f"{enc['bytes']} bytes, 2 steps, noise {'seed ' + args.seed if seed else 'off'}, "
              f"detail stages {args.detail}{' (gic only)' if args.detail != 'off' else ''}; "
              f"{info['cpu']}, {info['usable_cpus']} usable CPUs; torch {torch.__version__}; "
              f"medians of {args.runs} fresh-process runs; gic-ref writes {'a PNG' if args.png else 'raw RGB'}.")
    lines = [header, "", "| threads | gic-ref decode, whole process (s) | gic decoding to pixels (s) | float `decode_symbols` (s) | ratio: whole process / float | ratio: decoding / float | gic peak RSS (MiB) | float process peak RSS (MiB) |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        lines.append(f"| {r['threads']} | {r['gic_whole_s']:.3f} | {r['gic_decode_s']:.3f} | {r['float_decode_s']:.3f} | "
                     f"**{r['time_ratio']:.2f}×** | **{r['decode_ratio']:.2f}×** | {r['gic_peak_mib']:.1f} | {r['float_peak_mib']:.1f} |")
    print("\n".join(lines))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"header": header, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
