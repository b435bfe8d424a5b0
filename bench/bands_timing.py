#!/usr/bin/env python3
"""Benchmark (issue #17): two gic-ref builds side by side on one picture, to show that running the
transforms in bands costs nothing where they run whole (768 × 512) and to measure what it saves
where they do not (8192 × 8192).

    python3 bench/bands_timing.py BEFORE_GIC_REF AFTER_GIC_REF [--picture P] [--runs R] [--memory]

For each shipped model (conformance/models' two CompressAI models, models/gic-v1.gicw,
models/gic-v2.gicw, the bmshj2018-factorized set's model) the picture is encoded once (untimed,
with BEFORE); then R rounds, alternating which build goes first, each build encodes the picture
and decodes that one stream in FRESH processes, `--threads 1`. Reported: medians of the wall time
(perf_counter around the process) and of its CPU time (user + system from os.wait4), the median
peak RSS (ru_maxrss), and whether the two builds' streams and decoded PNGs are byte-identical.
With --memory, one round and only the peak RSS matter (use it for 8192 × 8192 pictures).
"""
import argparse
import filecmp
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = [
    "conformance/models/bmshj2018-hyperprior-N64-M96.gicw",
    "conformance/models/mbt2018-mean-N64-M96.gicw",
    "models/gic-v1.gicw",
    "models/gic-v2.gicw",
    "conformance/bmshj2018-factorized/models/bmshj2018-factorized-N64-M96.gicw",
]


def run(cmd):
    """Wall seconds, CPU seconds and peak RSS (KiB) of one fresh process."""
    start = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        sys.exit(f"failed: {' '.join(cmd)}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def main():
    p = argparse.ArgumentParser()
    p.add_argument("before")
    p.add_argument("after")
    p.add_argument("--picture", default=os.path.join(ROOT, "data/images/test-768x512.png"))
    p.add_argument("--runs", type=int, default=15)
    p.add_argument("--memory", action="store_true")
    a = p.parse_args()
    runs = 1 if a.memory else a.runs
    work = tempfile.mkdtemp(prefix="gic-bands-")
    builds = {"before": a.before, "after": a.after}
    for rel in MODELS:
        model = os.path.join(ROOT, rel)
        name = os.path.basename(model)[: -len(".gicw")]
        stream = os.path.join(work, f"{name}.gic")
        run([a.before, "encode", a.picture, "--model", model, "--threads", "1", "-o", stream])
        results = {(b, w): [] for b in builds for w in ("encode", "decode")}
        for i in range(runs):
            order = ["before", "after"] if i % 2 == 0 else ["after", "before"]
            for b in order:
                out = os.path.join(work, f"{name}-{b}")
                results[(b, "encode")].append(run([builds[b], "encode", a.picture, "--model", model,
                                                   "--threads", "1", "-o", out + ".gic"]))
                results[(b, "decode")].append(run([builds[b], "decode", stream, "--model", model,
                                                   "--threads", "1", "-o", out + ".png"]))
        same = all(filecmp.cmp(os.path.join(work, f"{name}-before{e}"),
                               os.path.join(work, f"{name}-after{e}"), shallow=False)
                   for e in (".gic", ".png"))
        for w in ("encode", "decode"):
            med = {b: [statistics.median(r[k] for r in results[(b, w)]) for k in range(3)]
                   for b in builds}
            (bw, bc, bm), (aw, ac, am) = med["before"], med["after"]
            print(f"{name:30s} {w}  runs {runs}  wall {bw * 1e3:8.1f} -> {aw * 1e3:8.1f} ms "
                  f"({(aw / bw - 1) * 100:+5.1f} %)  cpu {bc * 1e3:8.1f} -> {ac * 1e3:8.1f} ms "
                  f"({(ac / bc - 1) * 100:+5.1f} %)  peak RSS {bm:,.0f} -> {am:,.0f} KiB  "
                  f"outputs {'identical' if same else 'DIFFER'}", flush=True)


if __name__ == "__main__":
    main()
