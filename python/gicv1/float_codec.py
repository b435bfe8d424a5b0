#!/usr/bin/env python3
"""Float reference codec of gic-v1: image -> symbols (encoder) and symbols -> image (decoder).

The decoder is what gic's integer decoder is compared against. Given the symbols it computes
(python/gicv1/model.py has the equations)

    z_hat = s_z + m                         (m: entropy-bottleneck medians, quantiles[:, 0, 1])
    (sigma, mu) = h_s(z_hat)
    y_hat = s_y * q(r) + mu                 (q(r) = q_max exp(-Delta r))
    x_n = sampler(y_hat, r, steps, seed)    (steps = 0: x_n = y_hat)
    image = floor(255 * clamp(g_s(x_n), 0, 1) + 1/2), cropped to width x height

Images are padded to multiples of 64 by replicating the last column/row (right and bottom only);
the symbol arrays are z_symbols (N, H_p/64, W_p/64) and y_symbols (M, H_p/16, W_p/16), int32.
No entropy coding happens here; `estimate_bits` gives the model's rate estimate
(-log2 of the float likelihoods; gic's rANS stream adds a few bytes).

The module itself needs only torch and numpy; the CLI reads/writes PNG with pillow.

CLI:
  python3 python/gicv1/float_codec.py decode --model models/gic-v1.npz --symbols dump.npz -o out.png
  python3 python/gicv1/float_codec.py encode --model models/gic-v1.npz --image in.png --rate 0.5 \
      [--steps 2] [--seed -1] -o dump.npz
  python3 python/gicv1/float_codec.py roundtrip --model models/gic-v1.npz --image in.png --rate 0.5 \
      --steps 2 [--seed 7] [-o out.png]       (prints bpp estimate, PSNR, MS-SSIM, texture ratio)
dump.npz arrays: z_symbols, y_symbols (int32), rate_index, steps, seed (-1: no noise), width,
height (int64 scalars).
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from gic.metrics import psnr  # noqa: E402,F401  (PSNR of two uint8 pictures)
from gicv1 import model as gm  # noqa: E402

PAD = 64


def load_model(path, dtype=torch.float32):
    """A GICv1 in eval mode from an export (.npz) or a training checkpoint (.pt)."""
    if path.endswith(".npz"):
        with np.load(path, allow_pickle=False) as d:
            state = {k: d[k] for k in d.files}
    else:
        ckpt = torch.load(path, map_location="cpu")
        state = ckpt["model"] if "model" in ckpt else ckpt
    m = gm.model_from_state(state)
    return m.to(dtype).eval()


def pad_right_bottom(x, multiple=PAD):
    """Replicate-pads x (B, C, H, W) on the right and bottom to multiples of `multiple`."""
    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph or pw:
        x = F.pad(x, (0, pw, 0, ph), mode="replicate")
    return x


def image_tensor(img_u8, dtype=torch.float32):
    """uint8 [H, W, 3] -> (1, 3, H, W) in [0, 1]."""
    a = torch.from_numpy(np.array(img_u8, dtype=np.uint8, copy=True)).to(dtype) / 255.0
    return a.permute(2, 0, 1).unsqueeze(0)


def to_u8(x):
    """(1, 3, H, W) float -> uint8 [H, W, 3]: floor(255 clamp(x, 0, 1) + 1/2)."""
    x = x.clamp(0.0, 1.0)[0].permute(1, 2, 0).to(torch.float64)
    return torch.floor(x * 255.0 + 0.5).to(torch.uint8).cpu().numpy()


@torch.no_grad()
def encode_image(model, img_u8, rate_index):
    """Symbols of an RGB uint8 image at rate index r: dict(z_symbols, y_symbols, rate_index,
    width, height, scales (sigma/q, for rate estimates))."""
    dtype = model.g_a[0].weight.dtype
    h, w = img_u8.shape[:2]
    x = pad_right_bottom(image_tensor(img_u8, dtype).to(model.g_a[0].weight.device))
    s_z, s_y, scales = model.encode_latents(x, rate_index)
    return {
        "z_symbols": s_z[0].cpu().numpy().astype(np.int32),
        "y_symbols": s_y[0].cpu().numpy().astype(np.int32),
        "rate_index": int(rate_index),
        "width": int(w),
        "height": int(h),
        "scales": scales[0],
    }


@torch.no_grad()
def estimate_bits(model, z_symbols, y_symbols, rate_index):
    """(bits_z, bits_y): -log2 of the float likelihoods of the symbols (eq. 2 and the
    factorised prior)."""
    dev = model.g_a[0].weight.device
    dtype = model.g_a[0].weight.dtype
    s_z = torch.as_tensor(np.asarray(z_symbols), device=dev).unsqueeze(0)
    s_y = torch.as_tensor(np.asarray(y_symbols), device=dev).unsqueeze(0).to(dtype)
    z_hat = model.entropy_bottleneck.dequantize(s_z, dtype)
    scales, _ = model.hyper_params(z_hat)
    bits_z = -torch.log2(model.entropy_bottleneck.likelihood(z_hat)).sum().item()
    q = model.rate.q(rate_index)
    bits_y = -torch.log2(model.gaussian_conditional(s_y, scales / q)).sum().item()
    return bits_z, bits_y


@torch.no_grad()
def decode_symbols(model, z_symbols, y_symbols, rate_index, steps, seed_or_none, height, width):
    """The float decoder: symbols -> uint8 RGB [height, width, 3] (see the module docstring).

    seed_or_none: None (or a negative number) for the deterministic sampler, else the uint64
    seed of the noise (python/gicv1/prng.py). Computes in the model's dtype (float32, or
    float64 after model.double()).
    """
    if seed_or_none is not None and int(seed_or_none) < 0:
        seed_or_none = None
    dev = model.g_a[0].weight.device
    s_z = torch.as_tensor(np.asarray(z_symbols, dtype=np.int32), device=dev).unsqueeze(0)
    s_y = torch.as_tensor(np.asarray(y_symbols, dtype=np.int32), device=dev).unsqueeze(0)
    if s_y.shape[-2:] != (4 * s_z.shape[-2], 4 * s_z.shape[-1]):
        raise ValueError(f"y_symbols {tuple(s_y.shape)} do not match z_symbols {tuple(s_z.shape)}")
    y_hat = model.y_hat(s_z, s_y, int(rate_index))
    x_n = model.sample(y_hat, int(rate_index), int(steps), seed_or_none)
    img = model.synthesize(x_n)
    if img.shape[-2] < height or img.shape[-1] < width:
        raise ValueError("symbols too small for the given width/height")
    return to_u8(img[..., :height, :width])


def read_png(path):
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8)


def write_png(path, img_u8):
    from PIL import Image

    Image.fromarray(img_u8, "RGB").save(path)


def save_dump(path, enc, steps, seed):
    np.savez(path, z_symbols=enc["z_symbols"], y_symbols=enc["y_symbols"],
             rate_index=np.int64(enc["rate_index"]), steps=np.int64(steps),
             seed=np.int64(-1 if seed is None else seed), width=np.int64(enc["width"]),
             height=np.int64(enc["height"]))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("decode", help="symbols (dump.npz) -> PNG")
    d.add_argument("--model", required=True)
    d.add_argument("--symbols", required=True)
    d.add_argument("--steps", type=int, help="override the dump's steps")
    d.add_argument("--seed", type=int, help="override the dump's seed (-1: no noise)")
    d.add_argument("--double", action="store_true", help="compute in float64")
    d.add_argument("-o", "--output", required=True)
    for name in ("encode", "roundtrip"):
        e = sub.add_parser(name)
        e.add_argument("--model", required=True)
        e.add_argument("--image", required=True)
        g = e.add_mutually_exclusive_group(required=True)
        g.add_argument("--rate", type=float, help="R in [0, 1]; r = floor(255 R + 1/2)")
        g.add_argument("--rate-index", type=int, help="r in [0, 255]")
        e.add_argument("--steps", type=int, default=2)
        e.add_argument("--seed", type=int, default=-1, help="-1: no noise")
        e.add_argument("--double", action="store_true")
        e.add_argument("-o", "--output", required=(name == "encode"))
    args = ap.parse_args(argv)
    dtype = torch.float64 if args.double else torch.float32
    model = load_model(args.model, dtype)

    if args.cmd == "decode":
        with np.load(args.symbols, allow_pickle=False) as s:
            dump = {k: s[k] for k in s.files}
        steps = int(dump["steps"]) if args.steps is None else args.steps
        seed = int(dump["seed"]) if args.seed is None else args.seed
        img = decode_symbols(model, dump["z_symbols"], dump["y_symbols"], int(dump["rate_index"]), steps,
                             seed, int(dump["height"]), int(dump["width"]))
        write_png(args.output, img)
        print(f"wrote {args.output} ({img.shape[1]}x{img.shape[0]}, r={int(dump['rate_index'])}, "
              f"steps={steps}, seed={seed})", file=sys.stderr)
        return

    r = args.rate_index if args.rate_index is not None else gm.RateSchedule.rate_index(args.rate)
    img = read_png(args.image)
    enc = encode_image(model, img, r)
    bits_z, bits_y = estimate_bits(model, enc["z_symbols"], enc["y_symbols"], r)
    npix = img.shape[0] * img.shape[1]
    info = {"rate_index": r, "q": model.rate.q(r), "est_bpp": (bits_z + bits_y) / npix,
            "est_bits_z": bits_z, "est_bits_y": bits_y}
    if args.cmd == "encode":
        save_dump(args.output, enc, args.steps, None if args.seed < 0 else args.seed)
        print(json.dumps(info))
        return
    from gicv1 import msssim

    out = decode_symbols(model, enc["z_symbols"], enc["y_symbols"], r, args.steps, args.seed, img.shape[0],
                         img.shape[1])
    info.update(steps=args.steps, seed=args.seed, psnr=psnr(img, out), ms_ssim=msssim.ms_ssim(img, out),
                texture_ratio=msssim.gradient_energy_ratio(out, img))
    if args.output:
        write_png(args.output, out)
    print(json.dumps(info))


if __name__ == "__main__":
    main()
