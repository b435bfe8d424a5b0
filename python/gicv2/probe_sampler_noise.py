#!/usr/bin/env python3
"""Where the sampler's noise and the synthesis transform stand, on TRAINING crops (a probe).

Two questions the held-out evaluation cannot answer, asked on the central 512x512 crops of 8
training photographs (python/gicv2/probe_levels.py `crops`; the held-out split stays untouched):

1. **Is the noise too large?** The normative sampler (gicv1/model.py eq. 3) adds alpha q_1 u at
   its intermediate level q_1, the same amplitude in every latent element. Where the prior's
   scale sigma (from h_s) is far below q_1 the coded symbol is 0 and the latent is known to about
   sigma: noise of width q_1 there is far wider than what the latent could be. `--clamps k`
   decodes the same streams with the amplitude min(q_1, k sigma) per element (float, this probe
   only: the bitstream's sampler is unchanged), beside the normative decode.
2. **What can the synthesis transform reach at all?** `--ceiling` decodes the unquantised
   latent y = g_a(x) (g_s(y), no rate), the hyperprior's means alone (g_s(mu)) and mu + sigma n
   (n standard normal): if g_s(y) is no more realistic than a classical codec at 0.1 bpp, no
   sampler can make g_s(x_2) so.

`--range` also prints the mean estimated bpp and PSNR (0 steps) at rate indices 0, 64, 128 and
255: whether training kept the rate range the schedule promises.

Prints, per decode, the SWD x 1e3 per Laplacian level (finest first, the low-pass residual last;
python/gicv2/metrics.py, 1024 neighbourhoods per level and picture), their mean, bpp, PSNR and
the gradient-energy ratio, means over the 8 pictures (as probe_levels.py does).

    python3 python/gicv2/probe_sampler_noise.py --checkpoint models/gic-v2.pt --bpp 0.1 \\
        --alphas 0,1 --clamps 0.5,1 --ceiling
"""
import argparse
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from gicv1 import float_codec  # noqa: E402
from gicv1 import model as gm  # noqa: E402
from gicv1.export import load_checkpoint  # noqa: E402
from gicv2.probe_levels import crops, measure, nearest_rate, print_rows  # noqa: E402


def noise_amplitude(q_next, sigma, clamp):
    """The per-element amplitude of the intermediate noise: q_next everywhere (clamp None, the
    normative sampler) or min(q_next, clamp * sigma)."""
    full = torch.full_like(sigma, float(q_next))
    return full if clamp is None else torch.minimum(full, clamp * sigma)


@torch.no_grad()
def sample_two_steps(model, y_hat, sigma, rate_index, alpha, clamp, generator, u=None):
    """The model's own 2-step sampler (gicv1/model.py eq. 3, `GICv1.sample`) with the noise
    alpha * amplitude * u: its draws u (uniform in [-1/2, 1/2), from `generator` unless given; a
    probe, not the normative PRNG, whose draws have the same distribution) rescaled by
    amplitude / q_1 per element."""
    q1 = model.rate.q(rate_index + model.rate.level_offsets(2)[1])
    if u is None:
        u = torch.rand(y_hat.shape, generator=generator, dtype=y_hat.dtype) - 0.5
    scaled = (u * noise_amplitude(q1, sigma, clamp) / q1)[0]
    model.sampler.alpha.copy_(torch.from_numpy(gm.default_alpha(value=alpha)))
    return model.sample(y_hat, rate_index, 2, seed=0 if alpha else None, noise=lambda i, shape: scaled)


@torch.no_grad()
def decodes(model, img, target, alphas, clamps, ceiling, seed=1):
    """Yields (kind, decoded uint8, bpp) for one crop."""
    h, w = img.shape[:2]

    def pixels(latent):
        return float_codec.to_u8(model.synthesize(latent)[..., :h, :w])

    enc, bpp, _, _ = nearest_rate(model, img, target)
    r = enc["rate_index"]
    s_z = torch.as_tensor(enc["z_symbols"]).unsqueeze(0)
    s_y = torch.as_tensor(enc["y_symbols"]).unsqueeze(0)
    sigma, mu = model.hyper_params(model.entropy_bottleneck.dequantize(s_z, torch.float32))
    y_hat = s_y.float() * model.rate.q(r) + mu
    yield "0 steps", pixels(y_hat), bpp
    for alpha in alphas:
        for clamp in [None] + ([c for c in clamps] if alpha else []):
            g = torch.Generator().manual_seed(seed)
            kind = f"2 steps, alpha {alpha:g}" + ("" if clamp is None else f", noise <= {clamp:g} sigma")
            yield kind, pixels(sample_two_steps(model, y_hat, sigma, r, alpha, clamp, g)), bpp
    if ceiling:
        x = float_codec.pad_right_bottom(float_codec.image_tensor(img))
        y = model.g_a(x)
        z_hat = model.entropy_bottleneck.dequantize(model.entropy_bottleneck.symbols(model.h_a(y)), torch.float32)
        sig, m = model.hyper_params(z_hat)
        g = torch.Generator().manual_seed(seed)
        yield "g_s(y), no rate", pixels(y), float("nan")
        yield "g_s(mu)", pixels(m), float("nan")
        yield "g_s(mu + sigma n)", pixels(m + sig * torch.randn(m.shape, generator=g)), float("nan")


@torch.no_grad()
def rate_range(model, imgs, indices=(0, 64, 128, 255)):
    """{rate index: (mean estimated bpp, mean PSNR of the 0-step decode)} over the crops."""
    out = {}
    for r in indices:
        bpps, psnrs = [], []
        for img in imgs:
            enc = float_codec.encode_image(model, img, r)
            bz, by = float_codec.estimate_bits(model, enc["z_symbols"], enc["y_symbols"], r)
            bpps.append((bz + by) / img[..., 0].size)
            dec = float_codec.decode_symbols(model, enc["z_symbols"], enc["y_symbols"], r, 0, None,
                                             img.shape[0], img.shape[1])
            mse = np.mean((img.astype(np.float64) - dec.astype(np.float64)) ** 2)
            psnrs.append(10 * np.log10(255.0 ** 2 / mse))
        out[r] = (float(np.mean(bpps)), float(np.mean(psnrs)))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default="models/gic-v2.pt")
    ap.add_argument("--bpp", type=float, default=0.1)
    ap.add_argument("--alphas", default="0,1")
    ap.add_argument("--clamps", default="0.5,1", help="k of min(q_1, k sigma); empty: none")
    ap.add_argument("--ceiling", action="store_true", help="also decode g_s(y), g_s(mu), g_s(mu + sigma n)")
    ap.add_argument("--range", action="store_true", help="also the bpp and PSNR at rate indices 0, 64, 128, 255")
    ap.add_argument("--photos", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    model = gm.model_from_state(load_checkpoint(args.checkpoint), strict=False).eval()
    alphas = [float(a) for a in args.alphas.split(",") if a]
    clamps = [float(c) for c in args.clamps.split(",") if c]
    imgs = crops(args.photos)
    if args.range:
        for r, (bpp, psnr) in rate_range(model, imgs).items():
            print(f"rate index {r:3d}: bpp {bpp:.4f}  PSNR {psnr:.2f}", flush=True)
    rows = {}
    for img in imgs:
        for kind, dec, bpp in decodes(model, img, args.bpp, alphas, clamps, args.ceiling):
            rows.setdefault(kind, []).append(measure(img, dec, bpp))
    print_rows(rows, width=40)

if __name__ == "__main__":
    main()
