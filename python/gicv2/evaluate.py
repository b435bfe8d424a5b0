#!/usr/bin/env python3
"""Evaluation of a rate-variable gic model (gic-v2; gic-v1 works as well) against the classical
codecs a user would pick instead, on held-out photographs, at the same file size.

    python3 python/gicv2/evaluate.py -m models/gic-v2.gicw \\
        [--float-model models/gic-v2.npz [--float-codec python/gicv1/float_codec.py]] \\
        --json docs/gicv2-eval.json --markdown docs/gicv2-eval.md \\
        --plot docs/gicv2-rd.png --gallery docs/gicv2-gallery.png

Pictures: the entries of data/photos/manifest.json with "split": "test" ("file": a repo-relative
PNG path; --manifest/--split choose another), or the PNGs named by --images.

For every picture and every rate point -- the rates of --rates (default 9, 0 to 1 in steps of
1/8: `gic-ref encode --rate R`) and the targets of --bpp-points (default 0.1 and 0.2 bpp:
`gic-ref encode --target-bpp B`, only where B lies inside the picture's rate range):
  * gic: for every --steps n (default 0, 1, 2) and noise off / on (alpha 0: no seed; alpha 1:
    `--seed S`, the model's own sampler alpha; not for 0 steps, where no sampler step runs and
    the picture is the same), `gic-ref encode ... --steps n [--seed S] --detail off`, and for
    the steps of --detail-steps also with `--detail on` (the detail fill, spec/bitstream.md 7.5:
    variants "gic-sN-aA-d", the fill's substream counted in the file size), then
    `gic-ref decode` (a stream flagged grayscale, spec/bitstream.md 6.1, is measured as the
    gray picture gic-ref writes for it); with --float-model the float decoder of the same model
    decodes the same symbols (`gic-ref decode --dump-symbols`, then the float codec's decode_symbols) and the
    int-vs-float differences are reported (delta PSNR, relative delta SWD);
  * AVIF, JPEG XL, WebP and JPEG (python/gicv2/classical.py: settings, versions) at the largest
    quality whose file is no larger than the gic file of that rate point ("no match" when even
    the lowest quality is larger);
  * per decoded picture: bytes, bpp (8 x bytes / pixels, headers and containers included), PSNR
    (RGB, 8-bit), MS-SSIM (pytorch-msssim, data_range 255), SWD (sliced Wasserstein distance of
    the Laplacian-pyramid 7x7 neighbourhoods, x1e3, Karras et al. 2018; lower = closer to the
    originals' local statistics) and the gradient-energy ratio (decoded / original; 1 = the
    original's texture energy, < 1 smoother) -- python/gicv2/metrics.py defines them.
Aggregates per rate point and codec/variant: means over pictures of bpp, PSNR, MS-SSIM and the
gradient ratio; SWD pooled (the descriptors of all pictures in one set per side, --swd-pool-nhoods
per picture and level) beside the mean of the per-picture SWDs. A group counts
only the pictures where the codec had a match (column n).
Also per picture: the rate curve (`gic-ref rates`: bpp at rate indices 0 and 255, monotone?) and
the accuracy of `--target-bpp` for the --targets inside its range.

Outputs: --json (everything), --markdown (tables), --plot (one PNG: rate-PSNR, rate-MS-SSIM,
rate-SWD, means over pictures, classical codecs only where every picture had a match),
--gallery (one PNG: for --gallery-count pictures at the rate points nearest --gallery-bpp, the
same --crop x --crop crop -- the most textured one, by gradient energy of the original -- of the
original, gic 0 steps, gic 2 steps with noise, gic 2 steps without sampler noise + the detail
fill (when run), AVIF, JPEG, JPEG XL and WebP, labelled with the whole picture's bpp).
Progress goes to stderr, one line per decoded picture; the Markdown tables also go to stdout.
"""
import argparse
import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = os.path.dirname(HERE)
ROOT = os.path.dirname(PYTHON)
if PYTHON not in sys.path:
    sys.path.insert(0, PYTHON)

from gic_spec_decoder.decoder import to_gray  # noqa: E402
from gicv2 import classical, metrics  # noqa: E402

DEFAULT_RATES = [i / 8 for i in range(9)]
CODEC_LABEL = {"avif": "AVIF", "jxl": "JPEG XL", "webp": "WebP", "jpeg": "JPEG"}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(*args):
    p = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"error: {' '.join(map(str, args))} failed ({p.returncode}):\n{p.stderr[-2000:]}")
    return p.stdout


def variant_key(steps, alpha, detail=False):
    return f"gic-s{steps}-a{alpha}" + ("-d" if detail else "")


def parse_variant(key):
    """(steps, alpha, detail) of a gic variant key ("gic-s2-a1" or "gic-s2-a1-d")."""
    detail = key.endswith("-d")
    steps, alpha = key[5:-2 if detail else None].split("-a")
    return int(steps), int(alpha), detail


# What the "-d" variants carry: `gic-ref encode --detail fill` (the fill of spec/bitstream.md
# 7.5), `--detail gains` (the band gains of 7.6, then the fill) or `--detail on` (the low-pass
# residual of 7.7, the gains, the fill); set from --detail-mode, or from a result JSON's
# "detail_mode" (absent before the gains: fill).
DETAIL_MODE = "on"
DETAIL_LABEL = {"fill": " + detail fill", "gains": " + gains + fill", "on": " + residual + gains + fill"}


def variant_label(key):
    if key.startswith("gic-s"):
        steps, alpha, detail = parse_variant(key)
        return (f"gic {steps} step{'s' if steps != 1 else ''}, α={alpha}"
                + (DETAIL_LABEL[DETAIL_MODE] if detail else ""))
    return CODEC_LABEL.get(key, key)


def load_float_codec(path):
    spec = importlib.util.spec_from_file_location("gic_eval_float_codec", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def picture_list(args):
    if args.images:
        names = []
        for n in args.images:
            p = n if os.path.exists(n) else os.path.join(ROOT, n)
            if not os.path.exists(p):
                raise SystemExit(f"error: {n}: no such picture")
            names.append((os.path.relpath(os.path.abspath(p), ROOT), os.path.abspath(p)))
        return names
    manifest = args.manifest if os.path.isabs(args.manifest) else os.path.join(ROOT, args.manifest)
    if not os.path.exists(manifest):
        raise SystemExit(f"error: {args.manifest} does not exist; name the pictures with --images a.png b.png")
    with open(manifest) as f:
        m = json.load(f)
    entries = m.get("photos", m.get("images", m.get("entries"))) if isinstance(m, dict) else m
    if entries is None:
        raise SystemExit(f"error: {args.manifest}: no list of photos (expected a list, or a 'photos' key)")
    out = [(e["file"], os.path.join(ROOT, e["file"])) for e in entries if e.get("split") == args.split]
    if not out:
        raise SystemExit(f"error: {args.manifest}: no entries with split {args.split!r}")
    return out


def read_raw(path, h, w):
    a = np.fromfile(path, dtype=np.uint8)
    if a.size == h * w * 3:
        return a.reshape(h, w, 3)
    if a.size == h * w:
        return np.repeat(a.reshape(h, w, 1), 3, axis=2)
    raise SystemExit(f"error: {path}: {a.size} samples for {w}x{h}")


def as_gray(rgb):
    """The picture a decoder writes for a stream with the grayscale flag (the spec decoder's
    to_gray, spec/bitstream.md 6.4), replicated to RGB for the metrics."""
    return np.repeat(to_gray(rgb)[..., None], 3, axis=2)


class Gic:
    def __init__(self, args):
        self.ref = os.path.join(args.bin_dir, "gic-ref")
        if not os.access(self.ref, os.X_OK):
            raise SystemExit(f"error: {self.ref} not found: swift build -c release (or --bin-dir)")
        self.model = args.model
        self.threads = str(args.threads)
        self.detail_mode = args.detail_mode

    def encode(self, src, out, rate=None, target_bpp=None, steps=2, seed=None, detail=False):
        opts = ["--rate", repr(rate)] if rate is not None else ["--target-bpp", repr(target_bpp)]
        opts += ["--steps", str(steps), "--detail", self.detail_mode if detail else "off"]
        if seed is not None:
            opts += ["--seed", str(seed)]
        return json.loads(run(self.ref, "encode", src, "-m", self.model, "-o", out, "--json",
                              "--threads", self.threads, *opts))

    def decode(self, gic, out, dump=None):
        extra = ["--dump-symbols", dump] if dump else []
        return run(self.ref, "decode", gic, "-m", self.model, "-o", out, "-q", "--threads", self.threads, *extra)

    def rates(self, src):
        return json.loads(run(self.ref, "rates", src, "-m", self.model, "--json", "--threads", self.threads))


def evaluate(args):
    pictures = picture_list(args)
    gic = Gic(args)
    codecs = [c for c in args.codecs.split(",") if c]
    for c in codecs:
        if c not in classical.CODECS:
            raise SystemExit(f"error: unknown codec {c!r} (known: {', '.join(classical.CODECS)})")
    missing = [f"{t} ({p})" for t, p in classical.missing_tools() if any(t in classical.TOOLS[c] for c in codecs)]
    if missing:
        raise SystemExit("error: missing " + ", ".join(missing) +
                         ": apt-get install -y libavif-bin libjxl-tools webp libjpeg-turbo-progs")
    fc = fmodel = None
    if args.float_model:
        import torch

        torch.set_num_threads(args.threads)
        fc = load_float_codec(args.float_codec)
        fmodel = fc.load_model(args.float_model)
    work = args.work_dir or tempfile.mkdtemp(prefix="gicv2-eval-")
    os.makedirs(work, exist_ok=True)
    swd_kw = {"nhoods": args.swd_nhoods}
    # 0 steps runs no sampler: the seed changes nothing, so (0 steps, alpha 1) is not run
    variants = [(s, a, False) for s in args.steps for a in args.alphas if s > 0 or a == 0]
    variants += [(s, a, True) for s in args.detail_steps for a in args.alphas if s > 0 or a == 0]
    rows, curves, targets = [], {}, []
    t_start = time.time()
    for pi, (name, path) in enumerate(pictures):
        original = metrics.read_rgb(path)
        h, w = original.shape[:2]
        pdir = os.path.join(work, f"p{pi}")
        os.makedirs(pdir, exist_ok=True)
        np.save(os.path.join(pdir, "original.npy"), original)
        # rate curve
        curve = gic.rates(path)
        bpp = curve["bpp"]
        curves[name] = {"min_bpp": bpp[0], "max_bpp": bpp[-1], "width": w, "height": h,
                        "monotone": all(b >= a for a, b in zip(bpp, bpp[1:])), "bpp": bpp}
        log(f"[{pi + 1}/{len(pictures)}] {name} {w}x{h}: {bpp[0]:.4f} .. {bpp[-1]:.4f} bpp, "
            f"monotone {curves[name]['monotone']}")
        points = [(f"R={r:g}", "rate", r) for r in args.rates]
        points += [(f"{b:g} bpp", "bpp", b) for b in args.bpp_points if bpp[0] <= b <= bpp[-1]]
        coder = classical.Coder(original, os.path.join(pdir, "classical")) if codecs else None
        for label, kind, value in points:
            sizes = []
            for steps, alpha, detail in variants:
                key = variant_key(steps, alpha, detail)
                stem = os.path.join(pdir, f"{label.replace(' ', '_')}-{key}")
                seed = args.seed if alpha else None
                enc = gic.encode(path, stem + ".gic", rate=value if kind == "rate" else None,
                                 target_bpp=value if kind == "bpp" else None, steps=steps, seed=seed,
                                 detail=detail)
                dump = stem + ".npz" if fc else None
                gic.decode(stem + ".gic", stem + ".rgb", dump)
                decoded = read_raw(stem + ".rgb", h, w)
                os.remove(stem + ".rgb")
                if enc.get("grayscale"):
                    # what the user gets: the gray PNG gic-ref writes for a grayscale source
                    decoded = as_gray(decoded)
                np.save(stem + ".npy", decoded)
                row = {"image": name, "point": label, "kind": kind, "value": value,
                       "rate_index": enc["rate_index"], "codec": key, "steps": steps, "alpha": alpha,
                       "detail": detail, "detail_bytes": enc.get("detail_bytes", 0),
                       "bytes": enc["bytes"], "bpp": 8.0 * enc["bytes"] / (w * h), "match": True,
                       **metrics.all_metrics(original, decoded, swd_kw), "decoded": stem + ".npy"}
                if fc:
                    d = np.load(dump)
                    fl = fc.decode_symbols(fmodel, d["z_symbols"], d["y_symbols"], int(d["rate_index"]),
                                           int(d["steps"]), None if int(d["seed"]) < 0 else int(d["seed"]),
                                           int(d["height"]), int(d["width"]))
                    fl = np.ascontiguousarray(fl, dtype=np.uint8)
                    if fl.ndim == 2:
                        fl = np.repeat(fl[..., None], 3, axis=2)
                    if enc.get("grayscale"):
                        fl = as_gray(fl)
                    np.save(stem + "-float.npy", fl)
                    fm = metrics.all_metrics(original, fl, swd_kw)
                    row.update({"psnr_float": fm["psnr"], "ms_ssim_float": fm["ms_ssim"], "swd_float": fm["swd"],
                                "gradient_ratio_float": fm["gradient_ratio"],
                                "delta_psnr": row["psnr"] - fm["psnr"],
                                "rel_delta_swd": (row["swd"] - fm["swd"]) / fm["swd"] if fm["swd"] else 0.0,
                                "psnr_int_vs_float": metrics.psnr(decoded, fl), "decoded_float": stem + "-float.npy"})
                    os.remove(dump)
                rows.append(row)
                sizes.append(enc["bytes"])
                log(progress(row, t_start))
            target_bytes = min(sizes)
            for c in codecs:
                m = coder.match_size(c, target_bytes)
                if m is None:
                    rows.append({"image": name, "point": label, "kind": kind, "value": value, "codec": c,
                                 "match": False, "target_bytes": target_bytes,
                                 "smallest_bytes": coder.size(c, classical.SPECS[c].lo)})
                    log(f"  {name} {label} {CODEC_LABEL[c]}: no file <= {target_bytes} bytes "
                        f"(smallest {rows[-1]['smallest_bytes']})")
                    continue
                out = os.path.join(pdir, f"{label.replace(' ', '_')}-{c}.npy")
                np.save(out, m.decoded)
                row = {"image": name, "point": label, "kind": kind, "value": value, "codec": c, "match": True,
                       "param": m.param, "param_name": classical.SPECS[c].param_name, "target_bytes": target_bytes,
                       "bytes": m.bytes, "bpp": 8.0 * m.bytes / (w * h),
                       **metrics.all_metrics(original, m.decoded, swd_kw), "decoded": out}
                rows.append(row)
                log(progress(row, t_start))
        if coder:
            shutil.rmtree(coder.dir, ignore_errors=True)
        for t in args.targets:
            if not (bpp[0] <= t <= bpp[-1]):
                continue
            for detail in [False] + ([True] if args.detail_steps else []):
                enc = gic.encode(path, os.path.join(pdir, "target.gic"), target_bpp=t, detail=detail)
                targets.append({"image": name, "target": t, "detail": detail, "bpp": enc["bpp"],
                                "rate_index": enc["rate_index"], "error_percent": (enc["bpp"] / t - 1) * 100})
                log(f"  {name} --target-bpp {t:g}{' --detail on' if detail else ''}: {enc['bpp']:.4f} bpp "
                    f"({targets[-1]['error_percent']:+.2f} %)")
    result = {"model": os.path.relpath(os.path.abspath(args.model), ROOT), "float_model": args.float_model,
              "pictures": [n for n, _ in pictures], "rates": args.rates, "bpp_points": args.bpp_points,
              "detail_mode": args.detail_mode,
              "seed": args.seed, "swd": {"nhoods_per_image": args.swd_nhoods, "seed": metrics.SEED,
                                         "projections": metrics.REPEATS * metrics.DIRS_PER_REPEAT},
              "classical_versions": classical.versions(), "classical_settings": classical.settings(),
              "rows": rows, "curves": curves, "targets": targets}
    log("pooled SWD per rate point and codec ...")
    result["aggregates"] = aggregate(rows, {"nhoods": args.swd_pool_nhoods})
    result["swd"]["pool_nhoods_per_image"] = args.swd_pool_nhoods
    result["seconds"] = time.time() - t_start
    return result, work


def progress(row, t0):
    s = (f"  {row['image']} {row['point']} {variant_label(row['codec'])}: {row['bytes']} B, "
         f"{row['bpp']:.4f} bpp, PSNR {row['psnr']:.2f} dB, MS-SSIM {row['ms_ssim']:.4f}, "
         f"SWD {row['swd']:.2f}, grad {row['gradient_ratio']:.3f}")
    if "psnr_float" in row:
        s += f"; float {row['psnr_float']:.2f} dB (Δ {row['delta_psnr']:+.3f}), SWD Δ {100 * row['rel_delta_swd']:+.2f} %"
    return s + f"  [{time.time() - t0:.0f} s]"


def aggregate(rows, swd_kw):
    """Per (point, codec): means over pictures and the pooled SWD."""
    groups = {}
    for r in rows:
        groups.setdefault((r["point"], r["codec"]), []).append(r)
    originals = {}
    out = []
    for (point, codec), rs in groups.items():
        ok = [r for r in rs if r["match"]]
        a = {"point": point, "codec": codec, "n": len(ok), "of": len(rs)}
        if ok:
            for k in ("bytes", "bpp", "psnr", "ms_ssim", "gradient_ratio", "swd"):
                a[k + ("_mean" if k == "swd" else "")] = float(np.mean([r[k] for r in ok]))
            origs, decs, flts = [], [], []
            for r in ok:
                if r["image"] not in originals:
                    originals[r["image"]] = os.path.join(os.path.dirname(r["decoded"]), "original.npy")
                origs.append(np.load(originals[r["image"]]))
                decs.append(np.load(r["decoded"]))
                if "decoded_float" in r:
                    flts.append(np.load(r["decoded_float"]))
            a["swd"] = metrics.swd(origs, decs, **swd_kw)["mean"]
            if flts:
                a["psnr_float"] = float(np.mean([r["psnr_float"] for r in ok]))
                a["delta_psnr"] = a["psnr"] - a["psnr_float"]
                a["swd_float"] = metrics.swd(origs, flts, **swd_kw)["mean"]
                a["rel_delta_swd"] = (a["swd"] - a["swd_float"]) / a["swd_float"] if a["swd_float"] else 0.0
        out.append(a)
    return out


def point_order(result):
    labels = []
    for r in result["rows"]:
        if r["point"] not in labels:
            labels.append(r["point"])

    def mean_bpp(label):
        v = [a["bpp"] for a in result["aggregates"] if a["point"] == label and a["codec"].startswith("gic") and a["n"]]
        return min(v) if v else 0.0

    return sorted(labels, key=mean_bpp)


def codec_order(result):
    keys = []
    for r in result["rows"]:
        if r["codec"] not in keys:
            keys.append(r["codec"])
    return [k for k in keys if k.startswith("gic")] + [k for k in keys if not k.startswith("gic")]


def fmt(v, spec):
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, spec)


def markdown(result):
    out = []
    n = len(result["pictures"])
    out.append(f"Model `{result['model']}`; {n} picture{'s' if n != 1 else ''}: "
               + ", ".join(f"`{p}`" for p in result["pictures"]) + f"; noise seed {result['seed']}.")
    out.append("")
    out.append("SWD: sliced Wasserstein distance ×10³ between Laplacian-pyramid 7×7 neighbourhoods "
               "(Karras et al. 2018), pooled over the pictures and, beside it, the mean of the "
               "per-picture values in the aggregate table; lower is closer "
               "to the originals. Gradient ratio: decoded / original gradient energy. Classical "
               "codecs at the largest quality whose file is ≤ the gic file of the same rate point; "
               "n = pictures where such a file exists.")
    out.append("")
    floats = any("delta_psnr" in a for a in result["aggregates"])
    head = "| rate point | codec | n | bpp | PSNR (dB) | MS-SSIM | SWD pooled | SWD mean | gradient ratio |"
    sep = "|---|---|---:|---:|---:|---:|---:|---:|---:|"
    if floats:
        head += " PSNR int − float (dB) | SWD int vs float |"
        sep += "---:|---:|"
    out += [head, sep]
    aggs = {(a["point"], a["codec"]): a for a in result["aggregates"]}
    for p in point_order(result):
        for c in codec_order(result):
            a = aggs.get((p, c))
            if a is None:
                continue
            if not a["n"]:
                out.append(f"| {p} | {variant_label(c)} | 0/{a['of']} | no file ≤ gic's | | | | | |" + (" | |" if floats else ""))
                continue
            line = (f"| {p} | {variant_label(c)} | {a['n']}/{a['of']} | {a['bpp']:.4f} | {a['psnr']:.2f} | "
                    f"{a['ms_ssim']:.4f} | {a['swd']:.2f} | {a['swd_mean']:.2f} | {a['gradient_ratio']:.3f} |")
            if floats:
                line += (f" {a['delta_psnr']:+.3f} | {100 * a['rel_delta_swd']:+.2f} % |" if "delta_psnr" in a else " | |")
            out.append(line)
    out.append("")
    if floats:
        fr = [r for r in result["rows"] if "delta_psnr" in r]
        out.append(f"Integer vs float decoder over {len(fr)} decodes: largest |ΔPSNR| "
                   f"{max(abs(r['delta_psnr']) for r in fr):.3f} dB, largest |relative ΔSWD| "
                   f"{100 * max(abs(r['rel_delta_swd']) for r in fr):.2f} %, lowest PSNR between the "
                   f"integer and float pictures {min(r['psnr_int_vs_float'] for r in fr):.2f} dB.")
        out.append("")
    out.append("Per picture:")
    out.append("")
    out.append("| picture | rate point | codec | bytes | bpp | PSNR (dB) | MS-SSIM | SWD | gradient ratio | parameter |")
    out.append("|---|---|---|---:|---:|---:|---:|---:|---:|---|")
    for r in result["rows"]:
        if not r["match"]:
            out.append(f"| {r['image']} | {r['point']} | {variant_label(r['codec'])} | > {r['target_bytes']} "
                       f"(smallest {r['smallest_bytes']}) | | | | | | no match |")
            continue
        param = f"{r['param_name']} {r['param']:g}" if "param" in r else f"rate index {r['rate_index']}"
        out.append(f"| {r['image']} | {r['point']} | {variant_label(r['codec'])} | {r['bytes']} | {r['bpp']:.4f} | "
                   f"{r['psnr']:.2f} | {r['ms_ssim']:.4f} | {r['swd']:.2f} | {r['gradient_ratio']:.3f} | {param} |")
    out.append("")
    out.append("| picture | size | bpp at rate index 0 | bpp at 255 | monotone over 256 indices |")
    out.append("|---|---|---:|---:|:---:|")
    for name, c in result["curves"].items():
        out.append(f"| {name} | {c['width']}×{c['height']} | {c['min_bpp']:.4f} | {c['max_bpp']:.4f} | "
                   f"{'yes' if c['monotone'] else 'NO'} |")
    if result["curves"]:
        out.append("")
        out.append(f"Means: lowest {np.mean([c['min_bpp'] for c in result['curves'].values()]):.4f} bpp, "
                   f"highest {np.mean([c['max_bpp'] for c in result['curves'].values()]):.4f} bpp.")
    if result["targets"]:
        out.append("")
        out.append("| picture | --target-bpp | --detail | got bpp | rate index | error |")
        out.append("|---|---:|---|---:|---:|---:|")
        for t in result["targets"]:
            out.append(f"| {t['image']} | {t['target']:g} | {'on' if t.get('detail') else 'off'} | {t['bpp']:.4f} | "
                       f"{t['rate_index']} | {t['error_percent']:+.2f} % |")
        out.append("")
        out.append(f"Largest |error|: {max(abs(t['error_percent']) for t in result['targets']):.2f} %.")
    out.append("")
    out.append("Classical codecs: " + "; ".join(f"{CODEC_LABEL[c]}: `{s['encode']}`"
                                               for c, s in result["classical_settings"].items()) + ".")
    out.append("Versions: " + "; ".join(result["classical_versions"].values()) + ".")
    return "\n".join(out) + "\n"


STYLE = {"avif": ("tab:red", "s"), "jxl": ("tab:purple", "D"), "webp": ("tab:green", "^"), "jpeg": ("tab:brown", "v")}


def plot(result, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(result["pictures"])
    fig, axes = plt.subplots(1, 3, figsize=(18, 5.5))
    panels = [("psnr", "PSNR (dB) ↑"), ("ms_ssim", "MS-SSIM ↑"), ("swd", "SWD ×10³ (pooled) ↓")]
    gic_keys = [k for k in codec_order(result) if k.startswith("gic")]
    blues = plt.get_cmap("Blues")
    oranges = plt.get_cmap("Oranges")
    greens = plt.get_cmap("Greens")
    for key in codec_order(result):
        pts = sorted((a for a in result["aggregates"] if a["codec"] == key and a["n"] == n),
                     key=lambda a: a["bpp"])
        if not pts:
            continue
        if key.startswith("gic"):
            steps, alpha, detail = parse_variant(key)
            cmap = greens if detail else oranges if alpha == 1 else blues
            color = cmap(0.45 + 0.5 * steps / max(4, len(gic_keys)))
            style = dict(color=color, marker="s" if detail else "o", linestyle="-" if alpha == 0 else "--",
                         linewidth=2)
        else:
            color, marker = STYLE.get(key, ("gray", "x"))
            style = dict(color=color, marker=marker, linestyle=":", linewidth=1.5)
        for ax, (k, _) in zip(axes, panels):
            ax.plot([a["bpp"] for a in pts], [a[k] for a in pts], label=variant_label(key), markersize=4, **style)
    for ax, (_, title) in zip(axes, panels):
        ax.set_xlabel("bits per pixel (mean over pictures, log scale)")
        ax.set_xscale("log")
        ax.set_title(title)
        ax.grid(alpha=0.3)
    axes[2].set_yscale("log")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"{result['model']} vs classical codecs at the same file size, {n} held-out picture"
                 f"{'s' if n != 1 else ''} (classical codecs drawn where every picture had a file ≤ gic's)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def textured_crop(img, size):
    """Top-left corner of the size x size window with the most gradient energy (stride size/8)."""
    h, w = img.shape[:2]
    size = min(size, h, w)
    g = img.astype(np.float64)
    e = np.zeros((h, w))
    e[:, 1:] += np.sum((g[:, 1:] - g[:, :-1]) ** 2, axis=2)
    e[1:, :] += np.sum((g[1:] - g[:-1]) ** 2, axis=2)
    ii = np.pad(e.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    best, pos = -1.0, (0, 0)
    step = max(1, size // 8)
    for y in list(range(0, h - size + 1, step)) + [h - size]:
        for x in list(range(0, w - size + 1, step)) + [w - size]:
            s = ii[y + size, x + size] - ii[y, x + size] - ii[y + size, x] + ii[y, x]
            if s > best:
                best, pos = s, (y, x)
    return pos, size


def gallery(result, path, count, bpps, crop, columns):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["rows"]
    panels = []
    for name in result["pictures"][:count]:
        mine = [r for r in rows if r["image"] == name and r["match"] and r["codec"].startswith("gic")]
        if not mine:
            continue
        chosen = []
        for b in bpps:
            by_point = {}
            for r in mine:
                by_point.setdefault(r["point"], []).append(r["bpp"])
            point = min(by_point, key=lambda p: abs(min(by_point[p]) - b))
            if point not in chosen:
                chosen.append(point)
        for point in chosen:
            panels.append((name, point))
    if not panels:
        log("gallery: nothing to show")
        return
    height = 3.35 * len(panels) + 0.5
    fig, axes = plt.subplots(len(panels), len(columns), figsize=(2.9 * len(columns), height), squeeze=False)
    fig.subplots_adjust(left=0.005, right=0.995, bottom=0.005, top=1 - 0.75 / height, wspace=0.04,
                        hspace=0.25)
    crops = {}
    for i, (name, point) in enumerate(panels):
        sel = {r["codec"]: r for r in rows if r["image"] == name and r["point"] == point}
        any_row = next(r for r in sel.values() if r["match"])
        original = np.load(os.path.join(os.path.dirname(any_row["decoded"]), "original.npy"))
        if name not in crops:
            crops[name] = textured_crop(original, crop)
        (y, x), s = crops[name]
        for j, key in enumerate(columns):
            ax = axes[i][j]
            ax.set_xticks([])
            ax.set_yticks([])
            if key == "original":
                ax.imshow(original[y:y + s, x:x + s], interpolation="nearest")
                ax.set_title(f"{os.path.basename(name)}\noriginal ({point})", fontsize=8)
                continue
            r = sel.get(key)
            if r is None or not r["match"]:
                ax.set_facecolor("0.85")
                why = "not run" if r is None else f"no file ≤ {r['target_bytes']} B"
                ax.set_title(f"{variant_label(key)}\n{why}", fontsize=8)
                continue
            ax.imshow(np.load(r["decoded"])[y:y + s, x:x + s], interpolation="nearest")
            ax.set_title(f"{variant_label(key)}\n{r['bpp']:.3f} bpp, {r['psnr']:.1f} dB, SWD {r['swd']:.1f}",
                         fontsize=8)
    fig.suptitle(f"{result['model']}: {crop}×{crop} crops (most textured window), same file size per row; "
                 f"bpp, PSNR and SWD of the whole picture", fontsize=10)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def parse_floats(s):
    return [float(v) for v in s.replace(",", " ").split()]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-m", "--model", default=os.path.join(ROOT, "models", "gic-v2.gicw"),
                    help="the .gicw model gic-ref codes with (default models/gic-v2.gicw)")
    ap.add_argument("--bin-dir", default=os.path.join(ROOT, ".build", "release"), help="where gic-ref is")
    ap.add_argument("--manifest", default="data/photos/manifest.json",
                    help="photo manifest: entries with 'file' (repo-relative PNG) and 'split'")
    ap.add_argument("--split", default="test", help="manifest split to evaluate (default test)")
    ap.add_argument("--images", nargs="+", help="PNG pictures to evaluate instead of the manifest's")
    ap.add_argument("--rates", type=parse_floats, default=DEFAULT_RATES,
                    help="gic rates R in 0..1 (default: '0 0.125 0.25 ... 1', 9 rates)")
    ap.add_argument("--bpp-points", type=parse_floats, default=[0.1, 0.2],
                    help="extra rate points coded with --target-bpp, where inside a picture's range (default '0.1 0.2'; '' for none)")
    ap.add_argument("--steps", type=lambda s: [int(v) for v in s.split(",")], default=[0, 1, 2],
                    help="reverse-process steps of the gic variants (default 0,1,2)")
    ap.add_argument("--alphas", type=lambda s: [int(v) for v in s.split(",")], default=[0, 1],
                    help="noise off (0: no --seed) / on (1: --seed S, the model's alpha) (default 0,1)")
    ap.add_argument("--detail-steps", type=lambda s: [int(v) for v in s.split(",") if v], default=[],
                    help="also code these steps' variants with the detail fill (gic-ref encode --detail on, "
                         "spec/bitstream.md 7.5), e.g. 0,2 (default: none)")
    ap.add_argument("--detail-mode", choices=["on", "gains", "fill"], default="on",
                    help="what the detail variants send (gic-ref encode --detail): on = low-pass residual + "
                         "band gains + fill (spec 7.7, 7.6, 7.5; bitstream 1.2), gains = gains + fill, "
                         "fill = the fill alone (7.5, bitstream 1.1) (default on)")
    ap.add_argument("--seed", type=int, default=1, help="the noise seed of the alpha=1 variants (default 1)")
    ap.add_argument("--codecs", default="avif,jxl,webp,jpeg", help="classical codecs (default avif,jxl,webp,jpeg; '' for none)")
    ap.add_argument("--targets", type=parse_floats, default=[0.08, 0.1, 0.2, 0.3, 0.5, 0.8, 1.0],
                    help="--target-bpp accuracy targets, where inside a picture's range")
    ap.add_argument("--float-model", help="float export (.npz) of the same model: also decode every gic stream "
                    "with the PyTorch float decoder and report int-vs-float ΔPSNR and relative ΔSWD")
    ap.add_argument("--float-codec", default=os.path.join(PYTHON, "gicv1", "float_codec.py"),
                    help="module with load_model(path) and decode_symbols(...) (default python/gicv1/float_codec.py)")
    ap.add_argument("--threads", type=int, default=1, help="gic-ref --threads and torch threads (default 1)")
    ap.add_argument("--swd-nhoods", type=int, default=metrics.NHOODS_PER_IMAGE,
                    help=f"SWD neighbourhoods per picture and level (default {metrics.NHOODS_PER_IMAGE})")
    ap.add_argument("--swd-pool-nhoods", type=int, default=1024,
                    help="SWD neighbourhoods per picture and level in the pooled aggregates (default 1024)")
    ap.add_argument("--json", help="write everything as JSON")
    ap.add_argument("--markdown", help="write the tables as Markdown")
    ap.add_argument("--plot", help="write the rate-PSNR / MS-SSIM / SWD plot (PNG), e.g. docs/gicv2-rd.png")
    ap.add_argument("--gallery", help="write the crop gallery (PNG), e.g. docs/gicv2-gallery.png")
    ap.add_argument("--gallery-count", type=int, default=3, help="pictures in the gallery (default 3)")
    ap.add_argument("--gallery-bpp", type=parse_floats, default=[0.1, 0.2],
                    help="the gallery shows the rate points nearest these bpp (default '0.1 0.2')")
    ap.add_argument("--crop", type=int, default=256, help="gallery crop size (default 256)")
    ap.add_argument("--work-dir", help="keep streams and decoded pictures here (default: a temporary directory, removed)")
    ap.add_argument("--from-json", help="skip the evaluation: redraw --plot, --gallery and --markdown from a "
                    "--json of an earlier run (the gallery needs that run's --work-dir to still exist)")
    args = ap.parse_args(argv)
    global DETAIL_MODE
    if args.from_json:
        with open(args.from_json) as f:
            result = json.load(f)
        work = None
    else:
        DETAIL_MODE = args.detail_mode
        result, work = evaluate(args)
    DETAIL_MODE = result.get("detail_mode", "fill")
    keys = [k for k in ("original", variant_key(0, 0), variant_key(2, 1), variant_key(2, 0, True),
                        "avif", "jpeg", "jxl", "webp")]
    present = {r["codec"] for r in result["rows"]}
    columns = [k for k in keys if k == "original" or k in present]
    md = markdown(result)
    try:
        if args.plot:
            plot(result, args.plot)
            log(f"wrote {args.plot}")
        if args.gallery and not all("decoded" in r for r in result["rows"] if r["match"]):
            log("gallery: the decoded pictures are not available (rerun with --work-dir)")
        elif args.gallery:
            gallery(result, args.gallery, args.gallery_count, args.gallery_bpp, args.crop, columns)
            log(f"wrote {args.gallery}")
    finally:
        if work and not args.work_dir:
            shutil.rmtree(work, ignore_errors=True)
    # the decoded pictures' paths are kept only where they outlive the run (--work-dir)
    rows = result["rows"] if args.work_dir else [
        {k: v for k, v in r.items() if k not in ("decoded", "decoded_float")} for r in result["rows"]]
    if args.json and not args.from_json:
        with open(args.json, "w") as f:
            json.dump({**result, "rows": rows}, f, indent=1)
        log(f"wrote {args.json}")
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(md)
        log(f"wrote {args.markdown}")
    print(md)


if __name__ == "__main__":
    main()
