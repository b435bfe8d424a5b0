#!/usr/bin/env python3
"""Benchmark: gic's whole `gic-ref decode` / `gic-ref encode` processes side by side with
CompressAI's `decompress()` / `compress()` calls alone, at several picture sizes and thread counts
(issue #16), mbt2018-mean N=128 M=192.

Setup (untimed), as bench/decode_vs_compressai.py does it: the model (by default a seeded,
untrained export, `python/export_compressai.py mbt2018-mean --N 128 --M 192 --seed 0`; --model for
another), `gic-convert`, and per picture one CompressAI `compress()` (its strings pickled) and one
`gic-ref encode`. Pictures: data/images/test-768x512.png and a 512×600 picture made from it
(crop x 150..590, Lanczos-resized to 512 wide, 600 high: photographic content at that size).

Timed, R runs per picture, thread count and direction, alternating gic and CompressAI, every run
in a FRESH process: gic's wall time of the whole process (start-up, model opening with every
digest checked, coding, PNG or .gic writing) against CompressAI's `decompress()` or `compress()`
call alone (torch.set_num_threads(T), under torch.no_grad(); imports, model loading and image
reading untimed). Peak memory: each child's ru_maxrss (os.wait4). Medians are reported. Also
CPU time, which a loaded machine disturbs less than wall time: gic's whole process (user + system
from os.wait4, every thread) against the CPU time of CompressAI's call (time.process_time() around
it, every thread of the process; decompress() as decode_vs_compressai.py's child reports it).

Usage (CompressAI needs the compatibility path):
  PYTHONPATH=python/compat python3 bench/codec_vs_compressai.py [--threads 1,2] [--runs 5]
      [--model MODEL.npz] [--json out.json] [--workdir DIR]
"""
import argparse
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import decode_vs_compressai as dvc  # noqa: E402  (its helpers; imports nothing heavy)

gic_eval, REPO, log, run_child, median = dvc.gic_eval, dvc.REPO, dvc.log, dvc.run_child, dvc.median


def child_compress(npz, image, threads):
    """Imports torch + CompressAI, loads the model and picture, times compress() alone."""
    import torch
    from compressai_env import import_compressai
    import_compressai()
    torch.set_num_threads(threads)
    model, _ = gic_eval.load_model(npz)
    x = gic_eval.pad_replicate(gic_eval.to_tensor(gic_eval.load_rgb_u8(image)))
    with torch.no_grad():
        c0, t0 = time.process_time(), time.perf_counter()
        enc = model.compress(x)
        t1, c1 = time.perf_counter(), time.process_time()
    print(json.dumps({"seconds": t1 - t0, "cpu_seconds": c1 - c0,
                      "bytes": sum(len(s) for g in enc["strings"] for s in g)}))


def run_child_cpu(cmd):
    """dvc.run_child, plus the child's CPU time (user + system, all its threads) from wait4."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        raise gic_eval.GicError(f"command failed (exit {proc.returncode}): {' '.join(cmd)}\n{stderr.strip()[-3000:]}")
    return wall, usage.ru_maxrss / 1024.0, usage.ru_utime + usage.ru_stime, stdout


def make_512x600(path):
    from PIL import Image
    src = Image.open(dvc.DEFAULT_IMAGE).convert("RGB")
    src.crop((150, 0, 590, 512)).resize((512, 600), Image.LANCZOS).save(path)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child-compress":
        return child_compress(argv[1], argv[2], int(argv[3]))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="exported CompressAI model .npz (default: untrained mbt2018-mean N=128 M=192 seed 0)")
    ap.add_argument("--bin-dir", default=gic_eval.DEFAULT_BIN_DIR)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--json", dest="json_out")
    ap.add_argument("--workdir")
    args = ap.parse_args(argv)
    threads = [int(t) for t in args.threads.split(",")]
    gic_convert = gic_eval.find_binary(args.bin_dir, "gic-convert")
    gic_ref = gic_eval.find_binary(args.bin_dir, "gic-ref")
    work = os.path.abspath(args.workdir or tempfile.mkdtemp(prefix="gic-codec-bench-"))
    os.makedirs(work, exist_ok=True)
    py, dvc_script, me = sys.executable, os.path.join(HERE, "decode_vs_compressai.py"), os.path.abspath(__file__)
    rows, load_before = [], os.getloadavg()[0]
    try:
        npz = os.path.abspath(args.model) if args.model else os.path.join(work, "mbt2018-mean-N128-M192-seed0.npz")
        if not os.path.exists(npz):
            run_child([py, os.path.join(REPO, "python", "export_compressai.py"), "mbt2018-mean",
                       "--N", "128", "--M", "192", "--seed", "0", "-o", npz])
        gicw = os.path.join(work, "model.gicw")
        if not os.path.exists(gicw):
            run_child([gic_convert, npz, "-o", gicw, "-q"], cwd=REPO)
        pic600 = os.path.join(work, "test-512x600.png")
        make_512x600(pic600)
        for image in [dvc.DEFAULT_IMAGE, pic600]:
            stem = os.path.splitext(os.path.basename(image))[0]
            pkl, gic = os.path.join(work, stem + ".pkl"), os.path.join(work, stem + ".gic")
            _, _, out, _ = run_child([py, dvc_script, "--child-encode", npz, image, pkl, "1"])
            info = json.loads(out.strip().splitlines()[-1])
            run_child([gic_ref, "encode", image, "-m", gicw, "-o", gic, "-q"])
            for t in threads:
                cmds = {
                    "decode": ([gic_ref, "decode", gic, "-m", gicw, "-o", os.path.join(work, "out.png"),
                                "--threads", str(t), "-q"],
                               [py, dvc_script, "--child-decode", npz, pkl, str(t), "0"], "decompress_seconds",
                               "decompress_cpu_seconds"),
                    "encode": ([gic_ref, "encode", image, "-m", gicw, "-o", os.path.join(work, "out.gic"),
                                "--threads", str(t), "-q"],
                               [py, me, "--child-compress", npz, image, str(t)], "seconds", "cpu_seconds"),
                }
                for op, (gcmd, ccmd, key, cpu_key) in cmds.items():
                    g, c = [], []
                    for i in range(args.runs + 1):  # the first pair warms the page cache, untimed
                        gw, gp, gcpu, _ = run_child_cpu(gcmd)
                        cw, cp, _, out = run_child_cpu(ccmd)
                        result = json.loads(out.strip().splitlines()[-1])
                        if i:
                            g.append((gw, gp, gcpu))
                            c.append((result[key], cp, result.get(cpu_key)))
                    row = {"picture": f"{info['width']}×{info['height']}", "threads": t, "op": op,
                           "gic_s": median([x[0] for x in g]), "gic_peak_mib": median([x[1] for x in g]),
                           "compressai_s": median([x[0] for x in c]), "compressai_peak_mib": median([x[1] for x in c]),
                           "gic_cpu_s": median([x[2] for x in g]), "compressai_cpu_s": median([x[2] for x in c])}
                    row["ratio"] = row["gic_s"] / row["compressai_s"]
                    row["cpu_ratio"] = (row["gic_cpu_s"] / row["compressai_cpu_s"]
                                        if row["compressai_cpu_s"] else None)
                    log(json.dumps(row, ensure_ascii=False))
                    rows.append(row)
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    print(f"Medians of {args.runs} fresh-process runs; {gic_eval.machine_info()['cpu']}; "
          f"load average (1 min) {load_before:.2f} before, {os.getloadavg()[0]:.2f} after.\n")
    print("| picture | threads | | gic whole process (s) | CompressAI call alone (s) | ratio | CPU s: gic / CompressAI | CPU ratio | gic peak (MiB) | CompressAI peak (MiB) |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        call = "decompress()" if r["op"] == "decode" else "compress()"
        cpu = (f"{r['gic_cpu_s']:.3f} / {r['compressai_cpu_s']:.3f} | {r['cpu_ratio']:.2f}×"
               if r["cpu_ratio"] is not None else "— | —")
        print(f"| {r['picture']} | {r['threads']} | {r['op']} vs {call} | {r['gic_s']:.3f} | {r['compressai_s']:.3f} | "
              f"**{r['ratio']:.2f}×** | {cpu} | {r['gic_peak_mib']:.1f} | {r['compressai_peak_mib']:.1f} |")
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as f:
            json.dump(rows, f, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
