#!/usr/bin/env python3
"""Rate and PSNR of CompressAI's float codec on an exported model, and optionally gic's, per image.

The model .npz (python/export_compressai.py output) is loaded into the CompressAI model its
weight shapes describe (mbt2018-mean, bmshj2018-hyperprior, or bmshj2018-factorized when it
has no hyperprior; N and M from g_a; mbt2018 / cheng2020-anchor / cheng2020-attn when it has a
context model), CDF tables included. Each image (RGB; grayscale
replicated) is padded to a multiple of 64 by replicating its last column / row to the right / bottom (as gic does), coded with CompressAI's `compress()` /
`decompress()` on the CPU, and the reconstruction is cropped back. Reported per image:

  - CompressAI bytes (sum of the lengths of all strings: y and z) and bpp = bytes*8/(W*H) of the
    original size;
  - PSNR of the float reconstruction (clamped to [0, 1]) and of the reconstruction rounded to
    8 bits (the PNG a user gets), against the original, RGB, peak 1 (= 255 in 8 bits).

With --gic the model is converted with `gic-convert` (or --gicw is used) and each image is coded
with `gic-ref encode` / `gic-ref decode`; the table adds gic's bpp (whole .gic file, and the
entropy-coded payload alone), gic's PSNR (decoded PNG against the original, computed here),
dPSNR = gic - CompressAI(8-bit), dbpp% = (gic/CompressAI - 1)*100 for file and payload bpp, and
whether |dPSNR| <= 0.1 dB and |dbpp| <= 1 % hold.

Usage:
  python3 python/compare_compressai.py models/mbt2018-mean-N64-M96.npz
  python3 python/compare_compressai.py models/mbt2018-mean-N64-M96.npz --gic \
      [--bin-dir .build/release] [--gicw model.gicw] [--threads 1] [--json out.json] [--keep DIR]
  python3 python/compare_compressai.py MODEL.npz img1.png img2.png ...

Default images: the test split (coffee.png, rocket.png) and the bench image (test-768x512.png)
from data/images/manifest.json. The Markdown table goes to stdout, progress to stderr.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gic_eval  # noqa: E402

PSNR_TOLERANCE_DB = 0.1
BPP_TOLERANCE_PCT = 1.0


def log(msg):
    print(msg, file=sys.stderr, flush=True)


@torch.no_grad()
def compressai_row(model, path):
    """CompressAI's figures for one image (and the original as uint8, for gic's PSNR)."""
    rgb = gic_eval.load_rgb_u8(path)
    h, w = rgb.shape[:2]
    x = gic_eval.to_tensor(rgb)
    xp = gic_eval.pad_replicate(x)
    t0 = time.perf_counter()
    enc = model.compress(xp)
    t1 = time.perf_counter()
    dec = model.decompress(enc["strings"], enc["shape"])
    t2 = time.perf_counter()
    nbytes = sum(len(s) for group in enc["strings"] for s in group)
    x_hat = gic_eval.crop(dec["x_hat"], h, w).clamp(0, 1)
    x_u8 = torch.round(x_hat * 255.0) / 255.0
    row = {
        "image": os.path.basename(path),
        "path": os.path.abspath(path),
        "width": w,
        "height": h,
        "padded": [int(xp.shape[-1]), int(xp.shape[-2])],
        "compressai_bytes": nbytes,
        "compressai_bytes_y": sum(len(s) for s in enc["strings"][0]),
        # bmshj2018-factorized has no z string
        "compressai_bytes_z": sum(len(s) for s in enc["strings"][1]) if len(enc["strings"]) > 1 else 0,
        "compressai_bpp": nbytes * 8.0 / (w * h),
        "compressai_psnr_float": gic_eval.psnr_unit(x, x_hat),
        "compressai_psnr_8bit": gic_eval.psnr_unit(x, x_u8),
        "compressai_encode_s": t1 - t0,
        "compressai_decode_s": t2 - t1,
    }
    return row, rgb


def gic_row(row, rgb, gic_ref, gicw, work, threads):
    """Adds gic's figures for one image to `row` (codes it with gic-ref into `work`)."""
    stem = os.path.splitext(row["image"])[0]
    coded = os.path.join(work, stem + ".gic")
    decoded = os.path.join(work, stem + ".gic.png")
    thread_args = ["--threads", str(threads)] if threads else []
    enc = gic_eval.run_json([gic_ref, "encode", row["path"], "-m", gicw, "-o", coded, *thread_args, "--json"])
    dec = gic_eval.run_json([gic_ref, "decode", coded, "-m", gicw, "-o", decoded, *thread_args, "--json"])
    w, h = row["width"], row["height"]
    file_bytes = os.path.getsize(coded)
    if enc.get("bytes") != file_bytes:
        log(f"warning: gic-ref encode reported bytes={enc.get('bytes')} but {coded} has {file_bytes}")
    if (enc.get("width"), enc.get("height")) != (w, h) or (dec.get("width"), dec.get("height")) != (w, h):
        raise gic_eval.GicError(f"{row['image']}: gic-ref reported size encode {enc.get('width')}x{enc.get('height')}"
                                f", decode {dec.get('width')}x{dec.get('height')}; expected {w}x{h}")
    out = gic_eval.load_rgb_u8(decoded)
    psnr, mse = gic_eval.psnr_u8(rgb, out)
    payload = int(enc["payload_bytes"])
    bpp_file = file_bytes * 8.0 / (w * h)
    bpp_payload = payload * 8.0 / (w * h)
    d_psnr = psnr - row["compressai_psnr_8bit"]
    d_file = (bpp_file / row["compressai_bpp"] - 1.0) * 100.0
    d_payload = (bpp_payload / row["compressai_bpp"] - 1.0) * 100.0
    row.update({
        "gic_bytes": file_bytes,
        "gic_payload_bytes": payload,
        "gic_bpp_file": bpp_file,
        "gic_bpp_payload": bpp_payload,
        "gic_psnr": psnr,
        "gic_mse": mse,
        "gic_encode_s": enc.get("seconds"),
        "gic_decode_s": dec.get("seconds"),
        "delta_psnr_db": d_psnr,
        "delta_bpp_file_pct": d_file,
        "delta_bpp_payload_pct": d_payload,
        "psnr_ok": abs(d_psnr) <= PSNR_TOLERANCE_DB,
        "bpp_file_ok": abs(d_file) <= BPP_TOLERANCE_PCT,
        "bpp_payload_ok": abs(d_payload) <= BPP_TOLERANCE_PCT,
    })
    row["ok_file"] = row["psnr_ok"] and row["bpp_file_ok"]
    row["ok_payload"] = row["psnr_ok"] and row["bpp_payload_ok"]


def convert(gic_convert, npz, gicw, calibration):
    """Runs gic-convert (from the repository root, so its default calibration set is found)."""
    cmd = [gic_convert, os.path.abspath(npz), "-o", gicw, "--json", "-q"]
    if calibration:
        cmd += ["--calibration", os.path.abspath(calibration)]
    t0 = time.perf_counter()
    report = gic_eval.run_json(cmd, cwd=gic_eval.REPO)
    report["wall_seconds"] = time.perf_counter() - t0
    return report


def mean_row(rows, gic):
    keys = ["compressai_bpp", "compressai_psnr_float", "compressai_psnr_8bit"]
    if gic:
        keys += ["gic_bpp_file", "gic_bpp_payload", "gic_psnr", "delta_psnr_db",
                 "delta_bpp_file_pct", "delta_bpp_payload_pct"]
    return {k: sum(r[k] for r in rows) / len(rows) for k in keys}


def yes_no(ok):
    return "yes" if ok else "**no**"


def markdown(result):
    rows, gic = result["images"], result["gic"] is not None
    m = result["model"]
    lines = [f"Model: `{os.path.basename(m['npz'])}` ({m['architecture']}, N={m['N']}, M={m['M']}, "
             f"CDF tables from {m['cdf']}); CompressAI {m['compressai']}, torch {m['torch']}, "
             f"{result['threads']} thread(s); replicate padding to a multiple of 64 (right/bottom).", ""]
    head = ["image", "W×H", "CompressAI bytes", "CompressAI bpp", "PSNR float (dB)", "PSNR 8-bit (dB)"]
    if gic:
        head += ["gic bytes (file / payload)", "gic bpp file", "gic bpp payload", "gic PSNR (dB)",
                 "ΔPSNR (dB)", "Δbpp file %", "Δbpp payload %", "within bounds (file / payload)"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["image"], f"{r['width']}×{r['height']}", str(r["compressai_bytes"]),
                 f"{r['compressai_bpp']:.4f}", f"{r['compressai_psnr_float']:.3f}",
                 f"{r['compressai_psnr_8bit']:.3f}"]
        if gic:
            cells += [f"{r['gic_bytes']} / {r['gic_payload_bytes']}", f"{r['gic_bpp_file']:.4f}",
                      f"{r['gic_bpp_payload']:.4f}", f"{r['gic_psnr']:.3f}", f"{r['delta_psnr_db']:+.3f}",
                      f"{r['delta_bpp_file_pct']:+.2f}", f"{r['delta_bpp_payload_pct']:+.2f}",
                      f"{yes_no(r['ok_file'])} / {yes_no(r['ok_payload'])}"]
        lines.append("| " + " | ".join(cells) + " |")
    mean = result["mean"]
    cells = ["**mean**", "", "", f"{mean['compressai_bpp']:.4f}", f"{mean['compressai_psnr_float']:.3f}",
             f"{mean['compressai_psnr_8bit']:.3f}"]
    if gic:
        cells += ["", f"{mean['gic_bpp_file']:.4f}", f"{mean['gic_bpp_payload']:.4f}", f"{mean['gic_psnr']:.3f}",
                  f"{mean['delta_psnr_db']:+.3f}", f"{mean['delta_bpp_file_pct']:+.2f}",
                  f"{mean['delta_bpp_payload_pct']:+.2f}",
                  f"{yes_no(result['all_ok_file'])} / {yes_no(result['all_ok_payload'])}"]
    lines.append("| " + " | ".join(cells) + " |")
    if gic:
        lines += ["", f"Bounds: |ΔPSNR| ≤ {PSNR_TOLERANCE_DB} dB (gic 8-bit output vs CompressAI rounded to 8 bits) "
                      f"and |Δbpp| ≤ {BPP_TOLERANCE_PCT} % (file: whole .gic; payload: entropy-coded substreams "
                      "only; CompressAI: y + z strings). gic-convert: " + result["gic"]["gicw_source"] + "."]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="exported CompressAI model (.npz from python/export_compressai.py)")
    ap.add_argument("images", nargs="*", help="images (default: test split + bench image)")
    ap.add_argument("--gic", action="store_true", help="also code every image with gic-ref")
    ap.add_argument("--bin-dir", default=gic_eval.DEFAULT_BIN_DIR,
                    help="directory of gic-convert and gic-ref (default: the repository's .build/release)")
    ap.add_argument("--gicw", help="use this converted model instead of running gic-convert")
    ap.add_argument("--calibration", help="gic-convert --calibration DIR (default: gic-convert's own)")
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads and gic-ref --threads")
    ap.add_argument("--json", dest="json_out", help="write the full results as JSON here")
    ap.add_argument("--keep", help="write gic's files (.gicw, .gic, decoded .png) here and keep them")
    args = ap.parse_args(argv)

    images = args.images or gic_eval.default_images()
    for p in images:
        if not os.path.isfile(p):
            ap.error(f"no such image: {p}")

    gic_convert = gic_ref = None
    if args.gic:  # fail before the (slow) CompressAI half if the binaries are missing
        try:
            gic_ref = gic_eval.find_binary(args.bin_dir, "gic-ref")
            if not args.gicw:
                gic_convert = gic_eval.find_binary(args.bin_dir, "gic-convert")
        except gic_eval.GicError as e:
            sys.exit(f"error: {e}")
        if args.gicw and not os.path.isfile(args.gicw):
            sys.exit(f"error: no such converted model: {args.gicw}")

    torch.set_num_threads(args.threads)
    model, info = gic_eval.load_model(args.model)
    log(f"{info['architecture']} N={info['N']} M={info['M']} (CDF tables from {info['cdf']})")

    rows, originals = [], []
    for p in images:
        row, rgb = compressai_row(model, p)
        log(f"CompressAI {row['image']}: {row['compressai_bytes']} bytes, {row['compressai_bpp']:.4f} bpp, "
            f"{row['compressai_psnr_8bit']:.3f} dB (8-bit)")
        rows.append(row)
        originals.append(rgb)

    result = {"model": info, "threads": args.threads, "images": rows, "gic": None,
              "machine": gic_eval.machine_info()}
    if args.gic:
        work = args.keep or tempfile.mkdtemp(prefix="gic-compare-")
        os.makedirs(work, exist_ok=True)
        try:
            if args.gicw:
                gicw = os.path.abspath(args.gicw)
                gic = {"gicw": gicw, "gicw_source": f"given ({args.gicw})"}
            else:
                gicw = os.path.join(os.path.abspath(work), "model.gicw")
                log(f"gic-convert {args.model} -> {gicw}")
                report = convert(gic_convert, args.model, gicw, args.calibration)
                gic = {"gicw": gicw, "convert": report,
                       "gicw_source": f"converted here in {report['wall_seconds']:.1f} s"
                                      + (f" with --calibration {args.calibration}" if args.calibration else "")}
            for row, rgb in zip(rows, originals):
                gic_row(row, rgb, gic_ref, gicw, work, args.threads)
                log(f"gic {row['image']}: {row['gic_bytes']} bytes ({row['gic_payload_bytes']} payload), "
                    f"{row['gic_psnr']:.3f} dB, dPSNR {row['delta_psnr_db']:+.3f} dB, "
                    f"dbpp {row['delta_bpp_file_pct']:+.2f} % file / {row['delta_bpp_payload_pct']:+.2f} % payload")
        except gic_eval.GicError as e:
            sys.exit(f"error: {e}")
        finally:
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)
        result["gic"] = gic
        result["all_ok_file"] = all(r["ok_file"] for r in rows)
        result["all_ok_payload"] = all(r["ok_payload"] for r in rows)
    result["mean"] = mean_row(rows, args.gic)

    print(markdown(result))
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1)
        log(f"wrote {args.json_out}")


if __name__ == "__main__":
    main()
