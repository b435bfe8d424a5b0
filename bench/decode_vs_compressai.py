#!/usr/bin/env python3
"""Benchmark: decoding a 768x512 image with `gic-ref decode` side by side with CompressAI's
`decompress()`, mbt2018-mean N=128 M=192, time and peak memory.

Setup (untimed):
  1. the model: by default a seeded, *untrained* mbt2018-mean N=128 M=192
     (`python/export_compressai.py mbt2018-mean --N 128 --M 192 --seed 0`), or `--model NPZ`;
  2. `gic-convert` converts it; `gic-ref encode` codes the image (data/images/test-768x512.png);
  3. CompressAI's `compress()` codes the same image (replicate-padded to a multiple of 64, as gic
     does) and its strings and shape are pickled.

Timed, R repetitions (default 5) per thread count T, alternating (gic, CompressAI, gic, ...), every
run in a FRESH process so that its peak memory is its own:
  (a) `gic-ref decode --threads T --json`: wall time of the whole process measured here (start-up,
      reading the model, entropy decoding, synthesis, PNG writing), and the "seconds" it reports;
  (b) a Python process that imports torch and CompressAI, calls torch.set_num_threads(T), loads the
      model and the pickled strings, and times `model.decompress(strings, shape)` alone (under
      torch.no_grad(), as CompressAI's own evaluation does); its whole-process wall time is
      reported too.
Peak memory is each child's ru_maxrss from os.wait4. On Linux a child's ru_maxrss starts from
the parent's high-water RSS at fork/exec, so this parent stays lean (no torch/NumPy imported
while timing; all CompressAI work runs in children) and its own peak is printed: a child figure
at or below it would be the parent's (flagged). The CompressAI child also reports its RSS right
before decompress() (interpreter + torch + model + strings) and its own VmHWM after it.

Reported: medians over the R runs; ratios ours/theirs: time = gic whole process / CompressAI
decompress() alone (the strict comparison; gic's in-process seconds and CompressAI's whole process
are shown as well), memory = process peaks. One untimed warm-up pair runs first (page cache,
.pyc files); --warmup 0 disables it.

Usage:
  python3 bench/decode_vs_compressai.py [--threads 1,2] [--runs 5] [--bin-dir .build/release]
      [--model MODEL.npz] [--image IMG.png] [--json out.json] [--workdir DIR]
  python3 bench/decode_vs_compressai.py --compressai-only      # the CompressAI half only
"""
import argparse
import json
import os
import pickle
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "python"))
import gic_eval  # noqa: E402  (imports nothing heavy at module level)

DEFAULT_IMAGE = os.path.join(REPO, "data", "images", "test-768x512.png")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# child processes (this script re-invoked with --child-encode / --child-decode)

def child_encode(npz, image, pkl, threads):
    """CompressAI compress(); pickles strings + shape; prints model/version info and sizes."""
    import torch
    torch.set_num_threads(threads)
    model, info = gic_eval.load_model(npz)
    rgb = gic_eval.load_rgb_u8(image)
    h, w = rgb.shape[:2]
    x = gic_eval.to_tensor(rgb)
    with torch.no_grad():
        enc = model.compress(gic_eval.pad_replicate(x))
        x_hat = gic_eval.crop(model.decompress(enc["strings"], enc["shape"])["x_hat"], h, w)
    with open(pkl, "wb") as f:
        pickle.dump({"strings": enc["strings"], "shape": tuple(int(s) for s in enc["shape"]),
                     "width": w, "height": h}, f)
    # the reference reconstruction (8-bit), to check gic's decode against
    from PIL import Image
    out = (x_hat[0].clamp(0, 1).permute(1, 2, 0) * 255.0).round().to(torch.uint8).numpy()
    Image.fromarray(out).save(os.path.splitext(pkl)[0] + ".png")
    info.update({"width": w, "height": h, "bytes": sum(len(s) for g in enc["strings"] for s in g),
                 "psnr_8bit": gic_eval.psnr_u8(rgb, out)[0]})
    print(json.dumps(info))


def child_decode(npz, pkl, threads, second_call):
    """Imports torch + CompressAI, loads model and strings, times decompress() alone."""
    t_start = time.perf_counter()
    import torch
    from compressai_env import import_compressai
    import_compressai()
    torch.set_num_threads(threads)
    t_import = time.perf_counter()
    model, _ = gic_eval.load_model(npz)
    with open(pkl, "rb") as f:
        data = pickle.load(f)
    t_loaded = time.perf_counter()
    before = gic_eval.proc_status_mib("VmRSS", "VmHWM")
    with torch.no_grad():
        c0, t0 = time.process_time(), time.perf_counter()
        out = model.decompress(data["strings"], data["shape"])
        t1, c1 = time.perf_counter(), time.process_time()
    after = gic_eval.proc_status_mib("VmRSS", "VmHWM")
    result = {"decompress_seconds": t1 - t0, "decompress_cpu_seconds": c1 - c0,
              "import_seconds": t_import - t_start,
              "load_seconds": t_loaded - t_import, "rss_before_mib": before["VmRSS"],
              "hwm_before_mib": before["VmHWM"], "hwm_after_mib": after["VmHWM"],
              "x_hat_shape": list(out["x_hat"].shape), "torch_threads": torch.get_num_threads()}
    if second_call:
        del out
        with torch.no_grad():
            t0 = time.perf_counter()
            model.decompress(data["strings"], data["shape"])
            result["second_decompress_seconds"] = time.perf_counter() - t0
    print(json.dumps(result))


# --------------------------------------------------------------------------------------------
# parent

def run_child(cmd, cwd=None):
    """Runs cmd in a fresh process; returns (wall s, peak RSS MiB from wait4, stdout, stderr)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        raise gic_eval.GicError(f"command failed (exit {proc.returncode}): {' '.join(cmd)}\n{stderr.strip()[-3000:]}")
    return wall, usage.ru_maxrss / 1024.0, stdout, stderr  # ru_maxrss is in KiB on Linux


def parent_peak_mib():
    return gic_eval.proc_status_mib("VmHWM")["VmHWM"]


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarize(runs, keys):
    return {k: median([r.get(k) for r in runs]) for k in keys}


def fmt(v, spec=".3f"):
    return "—" if v is None else format(v, spec)


def markdown(result):
    m = result["model"]
    mach = result["machine"]
    lines = [
        f"Image `{os.path.basename(result['image'])}` ({m['width']}×{m['height']}); model {m['architecture']} "
        f"N={m['N']} M={m['M']}, {result['model_source']}. CompressAI {m['compressai']}, torch {m['torch']}; "
        f"{mach['cpu']}, {mach['logical_cpus']} logical CPUs ({mach['usable_cpus']} usable), {mach['system']}. "
        f"Medians of {result['runs']} runs each, fresh processes, alternating. Stream sizes: CompressAI "
        f"{m['bytes']} bytes" + (f", gic {result['gic_encode']['bytes']} bytes (payload "
                                 f"{result['gic_encode']['payload_bytes']})" if result.get("gic_encode") else "") + ".",
        "",
        "| threads | decoder | timed (s) | whole process (s) | peak RSS (MiB) | RSS before decompress (MiB) |",
        "|---|---|---|---|---|---|",
    ]
    for t in result["threads"]:
        g, c = t.get("gic"), t["compressai"]
        if g:
            lines.append(f"| {t['threads']} | gic-ref decode (in-process \"seconds\" / whole process) | "
                         f"{fmt(g['seconds'])} | {fmt(g['wall'])} | {fmt(g['peak_rss_mib'], '.1f')} | — |")
        lines.append(f"| {t['threads']} | CompressAI decompress() | {fmt(c['decompress_seconds'])} | {fmt(c['wall'])} | "
                     f"{fmt(c['peak_rss_mib'], '.1f')} | {fmt(c['rss_before_mib'], '.1f')} |")
        if c.get("second_decompress_seconds") is not None:
            lines.append(f"| {t['threads']} | CompressAI decompress(), second call in the same process | "
                         f"{fmt(c['second_decompress_seconds'])} | — | — | — |")
    if any(t.get("ratios") for t in result["threads"]):
        lines += ["", "| threads | time: gic whole process / decompress() | gic in-process / decompress() | "
                      "gic whole process / CompressAI whole process | peak RSS: gic / CompressAI process | "
                      "gic peak / CompressAI (peak − before decompress) |",
                  "|---|---|---|---|---|---|"]
        for t in result["threads"]:
            r = t.get("ratios")
            if r:
                lines.append(f"| {t['threads']} | {fmt(r['time_strict'], '.2f')} | {fmt(r['time_in_process'], '.2f')} | "
                             f"{fmt(r['time_whole_process'], '.2f')} | {fmt(r['peak_rss'], '.2f')} | "
                             f"{fmt(r['peak_rss_vs_increment'], '.2f')} |")
    notes = [f"This benchmark process's own peak RSS while timing: {result['parent_peak_rss_mib']:.1f} MiB "
             "(a child's wait4 peak cannot read below it)."]
    if result["contaminated"]:
        notes.append("**Warning**: some child peaks are at or below it; those are the parent's, not the child's.")
    if result.get("check"):
        ck = result["check"]
        notes.append(f"Check: gic's decoded PNG vs CompressAI's (8-bit) {fmt(ck['psnr_gic_vs_compressai'], '.2f')} dB; "
                     f"vs the original: gic {fmt(ck['psnr_gic'], '.2f')} dB, CompressAI "
                     f"{fmt(ck['psnr_compressai'], '.2f')} dB.")
    lines += [""] + notes
    return "\n".join(lines)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child-encode":
        return child_encode(argv[1], argv[2], argv[3], int(argv[4]))
    if argv and argv[0] == "--child-decode":
        return child_decode(argv[1], argv[2], int(argv[3]), argv[4] == "1")

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="exported CompressAI model .npz (default: untrained mbt2018-mean N=128 M=192 seed 0)")
    ap.add_argument("--image", default=DEFAULT_IMAGE)
    ap.add_argument("--bin-dir", default=gic_eval.DEFAULT_BIN_DIR,
                    help="directory of gic-convert and gic-ref (default: the repository's .build/release)")
    ap.add_argument("--runs", type=int, default=5, help="timed repetitions per decoder and thread count")
    ap.add_argument("--warmup", type=int, default=1, help="untimed pairs before the timed runs")
    ap.add_argument("--threads", default="1", help="comma-separated thread counts, e.g. 1,2")
    ap.add_argument("--compressai-only", action="store_true", help="skip gic (no binaries needed)")
    ap.add_argument("--second-call", action="store_true",
                    help="also time a second decompress() in the same CompressAI process (warm); "
                         "its memory then counts in that process's peak")
    ap.add_argument("--json", dest="json_out", help="write the full results as JSON here")
    ap.add_argument("--workdir", help="keep the model, streams and outputs here (default: a temp dir, removed)")
    args = ap.parse_args(argv)
    threads = [int(t) for t in args.threads.split(",") if t.strip()]
    if not threads or min(threads) < 1:
        ap.error("--threads: positive integers, comma-separated")
    if not os.path.isfile(args.image):
        ap.error(f"no such image: {args.image}")

    gic_convert = gic_ref = None
    if not args.compressai_only:
        try:
            gic_convert = gic_eval.find_binary(args.bin_dir, "gic-convert")
            gic_ref = gic_eval.find_binary(args.bin_dir, "gic-ref")
        except gic_eval.GicError as e:
            sys.exit(f"error: {e}\n(--compressai-only runs the CompressAI half alone.)")

    work = os.path.abspath(args.workdir or tempfile.mkdtemp(prefix="gic-decode-bench-"))
    os.makedirs(work, exist_ok=True)
    me = os.path.abspath(__file__)
    py = sys.executable
    try:
        # 1. model
        if args.model:
            npz = os.path.abspath(args.model)
            model_source = f"given ({args.model})"
        else:
            npz = os.path.join(work, "mbt2018-mean-N128-M192-seed0-untrained.npz")
            model_source = "seeded untrained model (export_compressai.py mbt2018-mean --N 128 --M 192 --seed 0)"
            if not os.path.exists(npz):
                log(f"exporting {npz}")
                run_child([py, os.path.join(REPO, "python", "export_compressai.py"), "mbt2018-mean",
                           "--N", "128", "--M", "192", "--seed", "0", "-o", npz])

        # 2. CompressAI encode (in a child: this process stays lean)
        pkl = os.path.join(work, "compressai-strings.pkl")
        log("CompressAI compress()")
        _, _, out, _ = run_child([py, me, "--child-encode", npz, os.path.abspath(args.image), pkl, str(threads[0])])
        model_info = json.loads(out.strip().splitlines()[-1])
        log(f"  {model_info['architecture']} N={model_info['N']} M={model_info['M']}: {model_info['bytes']} bytes")

        # 3. gic convert + encode
        gicw = os.path.join(work, "model.gicw")
        gic_file = os.path.join(work, "image.gic")
        gic_png = os.path.join(work, "gic-decoded.png")
        gic_encode = convert_info = None
        if gic_ref:
            log("gic-convert")
            wall, peak, out, _ = run_child([gic_convert, npz, "-o", gicw, "--json", "-q"], cwd=REPO)
            convert_info = {"wall": wall, "peak_rss_mib": peak,
                            "report": gic_eval.parse_json_output(out, [gic_convert])}
            log("gic-ref encode")
            _, _, out, _ = run_child([gic_ref, "encode", os.path.abspath(args.image), "-m", gicw, "-o", gic_file,
                                      "--threads", str(threads[0]), "--json"])
            gic_encode = gic_eval.parse_json_output(out, [gic_ref, "encode"])
            log(f"  {gic_encode['bytes']} bytes (payload {gic_encode['payload_bytes']})")

        # 4. timed decodes
        per_threads = []
        contaminated = False
        floor_max = parent_peak_mib()
        for t in threads:
            gic_cmd = [gic_ref, "decode", gic_file, "-m", gicw, "-o", gic_png, "--threads", str(t), "--json"]
            cai_cmd = [py, me, "--child-decode", npz, pkl, str(t), "1" if args.second_call else "0"]
            gic_runs, cai_runs = [], []
            for i in range(args.warmup + args.runs):
                timed = i >= args.warmup
                label = f"T={t} run {i - args.warmup + 1}/{args.runs}" if timed else f"T={t} warm-up"
                floor = parent_peak_mib()
                floor_max = max(floor_max, floor)
                if gic_ref:
                    wall, peak, out, _ = run_child(gic_cmd)
                    rep = gic_eval.parse_json_output(out, gic_cmd)
                    if (rep.get("width"), rep.get("height")) != (model_info["width"], model_info["height"]):
                        raise gic_eval.GicError(f"gic-ref decode reported {rep.get('width')}x{rep.get('height')}")
                    g = {"wall": wall, "seconds": rep.get("seconds"), "peak_rss_mib": peak}
                    contaminated |= peak <= floor
                    log(f"{label}: gic wall {wall:.3f} s (reports {fmt(g['seconds'])} s), peak {peak:.1f} MiB")
                    if timed:
                        gic_runs.append(g)
                wall, peak, out, _ = run_child(cai_cmd)
                c = json.loads(out.strip().splitlines()[-1])
                c.update({"wall": wall, "peak_rss_mib": peak})
                contaminated |= peak <= floor
                log(f"{label}: CompressAI decompress {c['decompress_seconds']:.3f} s (process {wall:.3f} s), "
                    f"peak {peak:.1f} MiB (before decompress {c['rss_before_mib']:.1f})")
                if timed:
                    cai_runs.append(c)
            entry = {"threads": t,
                     "compressai": summarize(cai_runs, ["decompress_seconds", "second_decompress_seconds", "wall",
                                                        "import_seconds", "load_seconds", "peak_rss_mib",
                                                        "rss_before_mib", "hwm_after_mib"]),
                     "compressai_runs": cai_runs}
            if gic_ref:
                g, c = summarize(gic_runs, ["wall", "seconds", "peak_rss_mib"]), entry["compressai"]
                entry["gic"], entry["gic_runs"] = g, gic_runs
                increment = c["peak_rss_mib"] - c["rss_before_mib"] if c["rss_before_mib"] is not None else None
                entry["ratios"] = {
                    "time_strict": g["wall"] / c["decompress_seconds"],
                    "time_in_process": g["seconds"] / c["decompress_seconds"] if g["seconds"] is not None else None,
                    "time_whole_process": g["wall"] / c["wall"],
                    "peak_rss": g["peak_rss_mib"] / c["peak_rss_mib"],
                    "peak_rss_vs_increment": g["peak_rss_mib"] / increment if increment else None,
                }
            per_threads.append(entry)

        # 5. sanity check of the outputs (after timing: NumPy/PIL may now grow this process)
        check = None
        if gic_ref:
            orig = gic_eval.load_rgb_u8(args.image)
            ours = gic_eval.load_rgb_u8(gic_png)
            theirs = gic_eval.load_rgb_u8(os.path.splitext(pkl)[0] + ".png")
            check = {"psnr_gic": gic_eval.psnr_u8(orig, ours)[0],
                     "psnr_compressai": gic_eval.psnr_u8(orig, theirs)[0],
                     "psnr_gic_vs_compressai": gic_eval.psnr_u8(theirs, ours)[0]}

        result = {
            "image": os.path.abspath(args.image), "model": model_info, "model_source": model_source,
            "runs": args.runs, "warmup": args.warmup, "threads": per_threads, "gic_encode": gic_encode,
            "gic_convert": convert_info, "check": check, "parent_peak_rss_mib": floor_max,
            "contaminated": contaminated, "machine": gic_eval.machine_info(),
            "bin_dir": os.path.abspath(args.bin_dir) if gic_ref else None,
        }
    except gic_eval.GicError as e:
        sys.exit(f"error: {e}")
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)

    print(markdown(result))
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1)
        log(f"wrote {args.json_out}")


if __name__ == "__main__":
    main()
