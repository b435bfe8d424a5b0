#!/usr/bin/env python3
"""Benchmark: `gic-convert` on a 200 MB float32 .npz, side by side with `numpy.load`.

Runs both on the same file, alternating, and reports median wall times, their ratio and the peak
resident memory of each, against the issue's bounds:
  - conversion speed >= 0.5x NumPy's read speed (gic time <= 2x NumPy's time);
  - gic-convert peak memory <= output size + 2x the largest tensor.

NumPy's time is measured inside its process (after `import numpy`), so it excludes interpreter
start-up; gic-convert's is the whole process (under /usr/bin/time), start-up, fsync and rename
included. Peak memory is GNU time's maximum resident set size for each. Both read a
file that is in the page cache (one warm-up run each). Every gic-convert run writes a fresh
output file.

Usage: python3 bench/convert_vs_numpy.py [--binary .build/release/gic-convert] [--runs 7]
       [--compressed] [--workdir DIR]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

NUMPY_READ = r"""
import sys, time, json
import numpy as np
t = time.perf_counter()
with np.load(sys.argv[1]) as z:
    arrays = {k: z[k] for k in z.files}
print(json.dumps({"seconds": time.perf_counter() - t, "arrays": len(arrays)}))
"""


def run_measured(cmd):
    """Runs cmd under GNU time; returns (wall seconds, peak RSS in bytes, stdout).

    Peak RSS comes from /usr/bin/time (a small process) rather than from this interpreter's
    wait4: on Linux a child's ru_maxrss can carry over its parent's at fork time.
    """
    with tempfile.NamedTemporaryFile("r") as rss_file:
        start = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss_file.name, *cmd],
                              capture_output=True, text=True)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            sys.exit(f"command failed: {' '.join(cmd)}\n{proc.stderr}")
        rss_kb = int(rss_file.read().strip().splitlines()[-1])
    return wall, rss_kb * 1024, proc.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=".build/release/gic-convert")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--compressed", action="store_true", help="use np.savez_compressed")
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args()

    work = args.workdir or tempfile.mkdtemp(prefix="gic-bench-")
    npz = os.path.join(work, "big-compressed.npz" if args.compressed else "big.npz")
    out = os.path.join(work, "big.gicw")
    largest = 1250 * 1000 * 4
    if not os.path.exists(npz):
        rng = np.random.default_rng(0)
        arrays = {f"layer{i}.weight": rng.standard_normal((1250, 1000), dtype=np.float32) for i in range(40)}
        (np.savez_compressed if args.compressed else np.savez)(npz, **arrays)

    numpy_times, numpy_rss, gic_times, gic_rss = [], [], [], []
    for i in range(args.runs + 1):  # the first pair warms the page cache
        _, rss, text = run_measured([sys.executable, "-c", NUMPY_READ, npz])
        t = json.loads(text)["seconds"]
        if os.path.exists(out):
            os.unlink(out)
        wall, grss, _ = run_measured([args.binary, npz, "-o", out, "--quiet"])
        if i > 0:
            numpy_times.append(t)
            numpy_rss.append(rss)
            gic_times.append(wall)
            gic_rss.append(grss)

    output_size = os.path.getsize(out)
    bound = output_size + 2 * largest
    t_np, t_gic = statistics.median(numpy_times), statistics.median(gic_times)
    result = {
        "input": os.path.basename(npz),
        "input_bytes": os.path.getsize(npz),
        "runs": args.runs,
        "numpy_load_median_s": round(t_np, 4),
        "gic_convert_median_s": round(t_gic, 4),
        "speed_ratio_gic_vs_numpy": round(t_np / t_gic, 3),
        "numpy_peak_rss_mb": round(max(numpy_rss) / 1e6, 1),
        "gic_peak_rss_mb": round(max(gic_rss) / 1e6, 1),
        "memory_bound_mb": round(bound / 1e6, 1),
        "output_bytes": output_size,
    }
    print(json.dumps(result, indent=2))
    ok = result["speed_ratio_gic_vs_numpy"] >= 0.5 and max(gic_rss) <= bound
    print("PASS" if ok else "FAIL", file=sys.stderr)


if __name__ == "__main__":
    main()
