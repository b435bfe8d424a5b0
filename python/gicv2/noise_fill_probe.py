"""What an energy-preserving noise fill would do to gic-v2's realism figures -- a design probe.

    python3 python/gicv2/evaluate.py -m models/gic-v2.gicw --images data/photos/test/*.png \
        --rates 0 --bpp-points 0.1,0.2 --steps 0,2 --swd-nhoods 1024 --targets 0.1 \
        --work-dir out/post/all --json out/post/all.json
    python3 python/gicv2/noise_fill_probe.py out/post/all.json [--crops docs/noise-fill-crops.png]

The idea comes from audio coding (CELT's band-energy preservation, AAC's perceptual noise
substitution) and AV1's film-grain synthesis: where the codec has dropped detail, the decoder
adds noise of the energy that was lost instead of leaving the area flat. Here, per Laplacian
band l (0 = the finest, 1 = the next) of the luma Y = (R + G + B) / 3 and per B x B block:

    E_o, E_d = mean of band_l(Y_original)^2, band_l(Y_decoded)^2 over the block
    amplitude = sqrt(max(E_o - E_d, 0))             (the band energy the decoder lost)

and the decoder adds amplitude x n_l to all three channels, n_l the same band of white
Gaussian noise scaled to unit RMS, then rounds and clips to 8 bits. Two ways of knowing the
amplitudes are probed:

  * "signalled, B": the encoder sends every block's amplitude, quantised to half-octave steps
    (code 0 = none below 0.35, else round(2 log2 a)); the side information is estimated as
    the zeroth-order entropy of the codes over all blocks of all pictures of a rate point,
    per band (an adaptive coder of the kind gic has would get close to it), and reported
    in bpp beside the stream's own;
  * "predicted, B": no per-block information; the decoder scales each block's own band energy
    (amplitude = k_l sqrt(E_d)) with one gain k_l per band that the encoder chooses so the
    band's whole-picture energy matches the original's (2 bytes of side information).

It decides nothing and changes no stream: the noise is numpy's PCG64, not the normative PRNG,
and the amplitudes are floats. It answers "would such a stage bring the realism criteria of
#12 within reach, and at what cost", with the evaluation's own metrics
(python/gicv2/metrics.py: SWD x1e3 per picture, 1024 neighbourhoods, and the gradient-energy
ratio), means over the pictures that have a file at the point.
"""
import argparse
import json
import os
import sys

import numpy as np

_PYTHON = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _PYTHON not in sys.path:
    sys.path.insert(0, _PYTHON)

from gicv2 import metrics  # noqa: E402
from gicv2 import evaluate  # noqa: E402

BANDS = (0, 1)
SEED = 2026
OFF_BELOW = 0.35


def luma_band(y, level):
    """Laplacian band `level` of a 2-D array, brought back to full resolution (the pyramid of
    metrics.py: 5x5 binomial, mirror boundaries)."""
    if level == 0:
        return y - metrics._blur(y[None])[0]
    low = metrics._pyr_down(y[None])[0]
    return metrics._pyr_up(luma_band(low, level - 1)[None], y.shape)[0]


def block_mean(x, block):
    """Mean of x over block x block tiles (partial tiles at the right and bottom edges)."""
    h, w = x.shape
    bh, bw = -(-h // block), -(-w // block)
    s = np.zeros((bh * block, bw * block))
    c = np.zeros_like(s)
    s[:h, :w], c[:h, :w] = x, 1.0
    return s.reshape(bh, block, bw, block).sum((1, 3)) / c.reshape(bh, block, bw, block).sum((1, 3))


def expand(tiles, block, shape):
    return np.kron(tiles, np.ones((block, block)))[:shape[0], :shape[1]]


def quantise(amplitude):
    """Half-octave codes (0 = no noise) and the amplitudes they stand for."""
    codes = np.where(amplitude < OFF_BELOW, 0,
                     np.round(2 * np.log2(np.maximum(amplitude, OFF_BELOW))).astype(np.int64) + 64)
    return codes, np.where(codes == 0, 0.0, 2.0 ** ((codes - 64) / 2.0))


def amplitudes(original, decoded, block, mode):
    """Per band: (amplitude per block, codes per block or None, side-information bytes)."""
    yo = original.astype(np.float64).mean(axis=2)
    yd = decoded.astype(np.float64).mean(axis=2)
    out = []
    for level in BANDS:
        bo, bd = luma_band(yo, level), luma_band(yd, level)
        eo, ed = block_mean(bo * bo, block), block_mean(bd * bd, block)
        if mode == "signalled":
            codes, amp = quantise(np.sqrt(np.maximum(eo - ed, 0.0)))
            out.append((amp, codes))
        elif mode == "predicted":
            total_o, total_d = float(np.mean(bo * bo)), float(np.mean(bd * bd))
            k2 = max(total_o - total_d, 0.0) / max(total_d, 1e-12)
            out.append((np.sqrt(k2 * ed), None))
        else:
            raise ValueError(f"unknown mode {mode!r}")
    return out


def fill(decoded, amps, block, seed=SEED):
    """decoded + the band-limited luma noise of amplitude `amps` (list per band), 8-bit."""
    h, w = decoded.shape[:2]
    rng = np.random.default_rng(seed)
    add = np.zeros((h, w))
    for level, (amp, _) in zip(BANDS, amps):
        n = luma_band(rng.standard_normal((h, w)), level)
        n /= np.sqrt(np.mean(n * n))
        add += n * expand(amp, block, (h, w))
    return np.clip(np.round(decoded.astype(np.float64) + add[..., None]), 0, 255).astype(np.uint8)


def entropy_bits(codes):
    """Zeroth-order entropy of a code array times its size, in bits."""
    _, counts = np.unique(codes, return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log2(p)).sum() * codes.size)


def probe(rows, points, sources, configs, log=print):
    """{point: {variant: {"n", "swd", "gradient_ratio", "side_bpp", "bpp"}}}."""
    result = {}
    for point in points:
        at = [r for r in rows if r["point"] == point]
        pictures = sorted({r["image"] for r in at})
        table, side_codes = {}, {}
        for image in pictures:
            mine = {r["codec"]: r for r in at if r["image"] == image}
            original = np.load(os.path.join(os.path.dirname(next(iter(mine.values()))["decoded"]),
                                            "original.npy"))
            pixels = original.shape[0] * original.shape[1]
            for codec, r in mine.items():
                table.setdefault(codec, []).append((r["swd"], r["gradient_ratio"], r["bpp"], 0.0))
            for src in sources:
                if src not in mine:
                    continue
                decoded = np.load(mine[src]["decoded"])
                for mode, block in configs:
                    amps = amplitudes(original, decoded, block, mode)
                    filled = fill(decoded, amps, block)
                    name = f"{src} + fill ({mode}, {block})"
                    side = 16.0 / pixels if mode == "predicted" else 0.0
                    table.setdefault(name, []).append(
                        (metrics.swd(original, filled, nhoods=1024)["mean"],
                         metrics.gradient_energy_ratio(filled, original), mine[src]["bpp"], side))
                    if mode == "signalled":
                        side_codes.setdefault(name, []).append(([a[1] for a in amps], pixels))
            log(f"{point} {image}: done")
        for name, per_pic in side_codes.items():
            # entropy over all blocks of all pictures, per band, shared by the pictures
            bits = sum(entropy_bits(np.concatenate([codes[b].ravel() for codes, _ in per_pic]))
                       for b in range(len(BANDS)))
            total_pixels = sum(p for _, p in per_pic)
            table[name] = [(s, g, bpp, bits / total_pixels) for s, g, bpp, _ in table[name]]
        result[point] = {k: {"n": len(v), "swd": float(np.mean([x[0] for x in v])),
                             "gradient_ratio": float(np.mean([x[1] for x in v])),
                             "bpp": float(np.mean([x[2] for x in v])),
                             "side_bpp": float(np.mean([x[3] for x in v]))}
                         for k, v in table.items()}
    return result


def equal_size(rows, result, configs, gic, work, log=print):
    """Adds "gic-s2-a0 + fill (signalled, B), same total size" to `result`: every picture
    re-encoded (2 steps, no noise) at --target-bpp (its stream's bpp - the side information
    measured at the point), decoded, filled with the amplitudes of that decode. `gic` is
    evaluate.py's gic-ref wrapper."""
    os.makedirs(work, exist_ok=True)
    root = os.path.dirname(_PYTHON)
    for point, table in result.items():
        at = [r for r in rows if r["point"] == point and r["codec"] == "gic-s2-a0"]
        for mode, block in configs:
            if mode != "signalled":
                continue
            side = table[f"gic-s2-a0 + fill ({mode}, {block})"]["side_bpp"]
            vals = []
            for r in at:
                original = np.load(os.path.join(os.path.dirname(r["decoded"]), "original.npy"))
                h, w = original.shape[:2]
                src = r["image"] if os.path.isabs(r["image"]) else os.path.join(root, r["image"])
                stem = os.path.join(work, f"{os.path.basename(src)}-{point.replace(' ', '_')}-{block}")
                # --target-bpp picks the closest file; step the rate index down until the
                # stream plus the side information is no larger than the original stream
                target = r["bpp"] - side
                enc = gic.encode(src, stem + ".gic", target_bpp=target, steps=2)
                while 8.0 * enc["bytes"] / (h * w) > target and enc["rate_index"] > 0:
                    enc = gic.encode(src, stem + ".gic", rate=(enc["rate_index"] - 1) / 255.0, steps=2)
                gic.decode(stem + ".gic", stem + ".rgb")
                decoded = evaluate.read_raw(stem + ".rgb", h, w)
                if enc.get("grayscale"):
                    decoded = evaluate.as_gray(decoded)   # as evaluate.py measures it
                filled = fill(decoded, amplitudes(original, decoded, block, mode), block)
                vals.append((metrics.swd(original, filled, nhoods=1024)["mean"],
                             metrics.gradient_energy_ratio(filled, original), 8.0 * enc["bytes"] / (h * w)))
            table[f"gic-s2-a0 + fill ({mode}, {block}), same total size"] = {
                "n": len(vals), "swd": float(np.mean([v[0] for v in vals])),
                "gradient_ratio": float(np.mean([v[1] for v in vals])),
                "bpp": float(np.mean([v[2] for v in vals])), "side_bpp": side}
            log(f"{point} signalled {block}: same total size done")
    return result


def markdown(result):
    lines = []
    for point, table in result.items():
        lines += [f"### {point}", "",
                  "| decode | n | bpp (stream) | side information, bpp | SWD ×1e3 | gradient ratio |",
                  "|---|---:|---:|---:|---:|---:|"]
        for name, v in sorted(table.items(), key=lambda kv: kv[1]["swd"]):
            lines.append(f"| {name} | {v['n']} | {v['bpp']:.4f} | {v['side_bpp']:.4f} | "
                         f"{v['swd']:.1f} | {v['gradient_ratio']:.2f} |")
        lines.append("")
    return "\n".join(lines)


def crops(rows, point, out, size=128, count=4):
    """One row per picture: original, gic 2 steps (alpha 0), + signalled fill (32), + predicted
    fill (32), gic 2 steps alpha 1, AVIF -- the most textured size x size crop."""
    from PIL import Image

    at = [r for r in rows if r["point"] == point]
    strips = []
    for image in sorted({r["image"] for r in at}):
        mine = {r["codec"]: r for r in at if r["image"] == image}
        if len(strips) == count or not {"gic-s2-a0", "gic-s2-a1", "avif"} <= mine.keys():
            continue
        original = np.load(os.path.join(os.path.dirname(mine["avif"]["decoded"]), "original.npy"))
        base = np.load(mine["gic-s2-a0"]["decoded"])
        panels = [original, base,
                  fill(base, amplitudes(original, base, 32, "signalled"), 32),
                  fill(base, amplitudes(original, base, 32, "predicted"), 32),
                  np.load(mine["gic-s2-a1"]["decoded"]), np.load(mine["avif"]["decoded"])]
        g = np.abs(np.diff(original.astype(np.float64).mean(2), axis=1))
        h, w = g.shape
        best, at_yx = -1.0, (0, 0)
        for y in range(0, original.shape[0] - size + 1, size // 2):
            for x in range(0, original.shape[1] - size + 1, size // 2):
                e = float(g[y:y + size, x:min(x + size, w)].sum())
                if e > best:
                    best, at_yx = e, (y, x)
        y, x = at_yx
        strips.append(np.concatenate([p[y:y + size, x:x + size] for p in panels], axis=1))
    Image.fromarray(np.concatenate(strips, axis=0)).save(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 2)[2])
    ap.add_argument("json", nargs="+", help="evaluate.py --json outputs of runs with --work-dir")
    ap.add_argument("--points", default="0.1 bpp,0.2 bpp")
    ap.add_argument("--sources", default="gic-s0-a0,gic-s2-a0",
                    help="the decodes to fill (evaluate.py's codec names)")
    ap.add_argument("--configs", default="signalled:16,signalled:32,signalled:64,predicted:32",
                    help="mode:block pairs")
    ap.add_argument("--equal-size", action="store_true",
                    help="also re-encode every picture with its stream smaller by the side "
                    "information of each signalled fill, so the total matches (needs gic-ref)")
    ap.add_argument("--bin-dir", default=os.path.join(os.path.dirname(_PYTHON), ".build", "release"),
                    help="where gic-ref is")
    ap.add_argument("-m", "--model", default=os.path.join(os.path.dirname(_PYTHON), "models", "gic-v2.gicw"))
    ap.add_argument("--work-dir", default="out/noise-fill", help="streams of --equal-size")
    ap.add_argument("--crop-size", type=int, default=128)
    ap.add_argument("--crop-count", type=int, default=4, help="pictures in --crops (the first, by name)")
    ap.add_argument("--json-out", help="write the table here")
    ap.add_argument("--crops", help="PNG of crops at the first point (rows: pictures; columns: "
                    "original, gic 2 steps, + signalled fill, + predicted fill, gic 2 steps with "
                    "noise, AVIF)")
    args = ap.parse_args(argv)
    rows = []
    for path in args.json:
        with open(path) as f:
            rows += [r for r in json.load(f)["rows"] if "decoded" in r]
    if not rows:
        ap.error("no decoded pictures in the JSON (run evaluate.py with --work-dir)")
    configs = [(c.split(":")[0], int(c.split(":")[1])) for c in args.configs.split(",")]
    points = args.points.split(",")
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    result = probe(rows, points, args.sources.split(","), configs, log)
    if args.equal_size:
        args.threads = os.cpu_count() or 1
        equal_size(rows, result, configs, evaluate.Gic(args), args.work_dir, log)
    print(markdown(result))
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(result, f, indent=1)
    if args.crops:
        crops(rows, points[0], args.crops, args.crop_size, args.crop_count)


if __name__ == "__main__":
    main()
