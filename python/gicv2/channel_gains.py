#!/usr/bin/env python3
"""Per-channel quantization steps for gic-v2, learned on training crops and folded into the model.

gic-v2's format codes every latent channel c with the same step q (the rate index's) and every
hyperprior channel with step 1. A fixed per-channel ratio needs no format change, exactly as
fold_z_step.py's single step for z: coding y_c with step q / g_c is coding y'_c = g_c y_c with
step q, and coding z_c with step t_c is coding z'_c = z_c / t_c with step 1. The folded model is
an ordinary gic-v1-profile network (spec/bitstream.md §7.4):

    g_a's last layer       rows c         * g_c       (y' = g y)
    h_a's first layer      input c        / g_c       (h_a sees y'/g = y)
    h_s's last layer       rows c, M + c  * g_c       (sigma' = g sigma, mu' = g mu)
    g_s's first layer      input c        / g_c       (g_s sees y_hat'/g = y_hat)
    reverse conv_in        input c        / g_c       (U'(x') = g U(x'/g): U's output is
    reverse conv_out       rows c         * g_c        x + conv_out(h), so both ends scale)
    h_a's last layer       rows c         / t_c       (z' = z / t)
    h_s's first layer      input c        * t_c
    the factorised prior   channel c: c'(v) = c(t_c v) (softplus(H_0) * t_c, quantiles / t_c)

Every equation above is exact for the 0-step decode and for the rate. The reverse network is
conditioned on q alone, so after the fold channel c's noise level, in the units U was trained
in, is q / g_c rather than q: the 2-step decode is not exactly the unfolded one and is measured
separately (probe_levels.py).

`learn` minimises  bpp + lambda MSE  (MSE of the 0-step decode in [0, 1]^2) over the log steps
only (the network is frozen), with the rate index drawn from --rates (the low-rate band), on
random crops of the training bundle; the logs of y's gains and of z's steps are each kept at
mean zero, so the steps are redistributed between channels at an unchanged geometric mean (the
rate indices keep their meaning and z keeps the step 6 folded in before). Rounding is
straight-through, as in training.

    python3 python/gicv2/channel_gains.py learn models/gic-v2.pt --steps 400 -o out/gains.pt
    python3 python/gicv2/channel_gains.py probe models/gic-v2.pt out/gains.pt --bpp 0.1,0.2,0.8
    python3 python/gicv2/channel_gains.py fold models/gic-v2.pt out/gains.pt -o out/gained.pt
"""
import argparse
import os
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
from gicv1 import model as gm  # noqa: E402
from gicv1.export import load_checkpoint  # noqa: E402


def fold(state, y_gain, z_step):
    """A new state dict with per-channel gains g (M,) for y and steps t (N,) for z folded in
    (float64 arithmetic, stored in each tensor's dtype). The inverse is fold(state, 1/g, 1/t)."""
    g = torch.as_tensor(y_gain, dtype=torch.float64).flatten()
    t = torch.as_tensor(z_step, dtype=torch.float64).flatten()
    if not (bool((g > 0).all()) and bool((t > 0).all())):
        raise ValueError("gains and steps must be positive")
    m = state["g_a.6.weight"].shape[0]
    n = state["h_a.4.weight"].shape[0]
    if g.numel() != m or t.numel() != n:
        raise ValueError(f"expected {m} gains for y and {n} steps for z, got {g.numel()} and {t.numel()}")
    out = dict(state)

    def scaled(key, factor, dim):
        v = state[key]
        shape = [1] * v.dim()
        shape[dim] = -1
        return (v.double() * factor.view(shape)).to(v.dtype)

    two = torch.cat([g, g])
    out["g_a.6.weight"] = scaled("g_a.6.weight", g, 0)
    out["g_a.6.bias"] = scaled("g_a.6.bias", g, 0)
    out["h_a.0.weight"] = scaled("h_a.0.weight", 1 / g, 1)
    out["h_s.4.weight"] = scaled("h_s.4.weight", two, 0)
    out["h_s.4.bias"] = scaled("h_s.4.bias", two, 0)
    out["g_s.0.weight"] = scaled("g_s.0.weight", 1 / g, 0)  # ConvTranspose2d: (in, out, k, k)
    out["reverse.conv_in.weight"] = scaled("reverse.conv_in.weight", 1 / g, 1)
    out["reverse.conv_out.weight"] = scaled("reverse.conv_out.weight", g, 0)
    out["reverse.conv_out.bias"] = scaled("reverse.conv_out.bias", g, 0)
    out["h_a.4.weight"] = scaled("h_a.4.weight", 1 / t, 0)
    out["h_a.4.bias"] = scaled("h_a.4.bias", 1 / t, 0)
    out["h_s.0.weight"] = scaled("h_s.0.weight", t, 0)  # ConvTranspose2d: (in, out, k, k)
    h0 = state["entropy_bottleneck.matrices.0"]
    sp = torch.nn.functional.softplus(h0.double()) * t.view(-1, 1, 1)
    out["entropy_bottleneck.matrices.0"] = torch.log(torch.expm1(sp)).to(h0.dtype)
    out["entropy_bottleneck.quantiles"] = scaled("entropy_bottleneck.quantiles", 1 / t, 0)
    return out


def rd(model, x, q, log_g, log_t):
    """(bits per pixel, MSE) of the 0-step decode of batch x at steps q (B,) with per-channel
    y gains exp(log_g) and z steps exp(log_t), the network as it is (unfolded)."""
    g = torch.exp(log_g).view(1, -1, 1, 1)
    t = torch.exp(log_t)
    eb = model.entropy_bottleneck
    y = model.g_a(x)
    z = model.h_a(y)
    m = eb.medians().detach().view(1, -1, 1, 1)
    tv = t.view(1, -1, 1, 1)
    z_hat = gm.ste_round((z - m) / tv) * tv + m
    c = z_hat.size(1)
    v = z_hat.transpose(0, 1).reshape(c, 1, -1)
    tt = t.view(-1, 1, 1)
    p = torch.sigmoid(eb.logits_cumulative(v + tt / 2)) - torch.sigmoid(eb.logits_cumulative(v - tt / 2))
    bits = -torch.log2(p.clamp_min(1e-9)).sum()
    scales, means = model.hyper_params(z_hat)
    qv = q.view(-1, 1, 1, 1) / g
    s = gm.ste_round((y - means) / qv)
    bits = bits - torch.log2(model.gaussian_conditional(s, scales / qv)).sum()
    x_hat = model.g_s(s * qv + means)
    return bits / (x.size(0) * x.size(2) * x.size(3)), torch.mean((x_hat - x) ** 2)


def load_model(path):
    model = gm.model_from_state(load_checkpoint(path), strict=False).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def learn(args):
    from gicv1.train import Bundle

    torch.manual_seed(args.seed)
    model = load_model(args.checkpoint)
    data = Bundle(args.data, args.crop, args.seed, "cpu")
    pg = torch.zeros(model.M, requires_grad=True)
    pt = torch.zeros(model.entropy_bottleneck.quantiles.size(0), requires_grad=True)
    opt = torch.optim.Adam([pg, pt], lr=args.lr)
    lo, hi = (int(v) for v in args.rates.split(":"))
    rng = np.random.default_rng(args.seed)
    t0, log = time.time(), []
    for step in range(1, args.steps + 1):
        x = data.batch(args.batch)
        r = rng.integers(lo, hi + 1, size=args.batch)
        q = torch.tensor([model.rate.q(int(k)) for k in r], dtype=torch.float32)
        log_g, log_t = pg - pg.mean(), pt - pt.mean()
        bpp, mse = rd(model, x, q, log_g, log_t)
        loss = bpp + args.lmbda * mse
        opt.zero_grad()
        loss.backward()
        opt.step()
        log.append((bpp.item(), mse.item()))
        if step % args.log_every == 0:
            b, e = np.mean(log, axis=0)
            log = []
            gl, tl = torch.exp(pg - pg.mean()), torch.exp(pt - pt.mean())
            print(f"step {step}: bpp {b:.4f}, PSNR {10 * np.log10(1 / e):.2f} dB, y gains "
                  f"{gl.min():.3f}..{gl.max():.3f}, z steps x{tl.min():.3f}..{tl.max():.3f} "
                  f"({time.time() - t0:.0f} s)", flush=True)
    gains = {"y_gain": torch.exp(pg - pg.mean()).detach(), "z_step": torch.exp(pt - pt.mean()).detach(),
             "args": vars(args)}
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    torch.save(gains, args.output)
    print(f"wrote {args.output}")


def probe(args):
    from gicv2.probe_levels import crops
    from gicv2.probe_z_step import nearest

    torch.set_num_threads(1)
    base = load_model(args.checkpoint)
    gains = torch.load(args.gains, map_location="cpu")
    folded = gm.model_from_state(fold(load_checkpoint(args.checkpoint), gains["y_gain"], gains["z_step"]),
                                 strict=False).eval()
    imgs = crops(args.crops)
    print("| target bpp | model | bpp | z bpp | PSNR (0 steps) | mean rate index |")
    print("|---:|---|---:|---:|---:|---:|")
    for target in (float(v) for v in args.bpp.split(",")):
        for label, m in (("as shipped", base), ("per-channel steps", folded)):
            v = np.array([nearest(m, img, target, 1.0) for img in imgs])
            print(f"| {target:g} | {label} | {v[:, 0].mean():.4f} | {v[:, 1].mean():.4f} | {v[:, 3].mean():.2f}"
                  f" | {v[:, 4].mean():.1f} |", flush=True)


def fold_cmd(args):
    ckpt = torch.load(args.checkpoint, map_location="cpu")
    if not (isinstance(ckpt, dict) and "model" in ckpt):
        ckpt = {"model": ckpt}
    gains = torch.load(args.gains, map_location="cpu")
    ckpt["model"] = fold(ckpt["model"], gains["y_gain"], gains["z_step"])
    ckpt["channel_steps_folded"] = {"y_gain": gains["y_gain"].tolist(), "z_step": gains["z_step"].tolist()}
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    torch.save(ckpt, args.output)
    print(f"wrote {args.output}: per-channel steps folded in")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("learn", help="learn per-channel steps on training crops")
    a.add_argument("checkpoint")
    a.add_argument("-o", "--output", required=True)
    a.add_argument("--data", default=os.path.join(REPO, "out", "gicv2-bundle.npz"))
    a.add_argument("--steps", type=int, default=400)
    a.add_argument("--batch", type=int, default=4)
    a.add_argument("--crop", type=int, default=256)
    a.add_argument("--rates", default="20:90", help="rate indices drawn uniformly, LO:HI")
    a.add_argument("--lmbda", type=float, default=250.0, help="weight of the MSE in [0, 1]^2 per bpp")
    a.add_argument("--lr", type=float, default=0.01)
    a.add_argument("--seed", type=int, default=1)
    a.add_argument("--threads", type=int, default=1)
    a.add_argument("--log-every", type=int, default=25)
    p = sub.add_parser("probe", help="PSNR at target rates on training crops, with and without the steps")
    p.add_argument("checkpoint")
    p.add_argument("gains")
    p.add_argument("--bpp", default="0.1,0.2")
    p.add_argument("--crops", type=int, default=8)
    f = sub.add_parser("fold", help="write the checkpoint with the steps folded in")
    f.add_argument("checkpoint")
    f.add_argument("gains")
    f.add_argument("-o", "--output", required=True)
    args = ap.parse_args(argv)
    if args.cmd == "learn":
        torch.set_num_threads(args.threads)
        learn(args)
    elif args.cmd == "probe":
        probe(args)
    else:
        fold_cmd(args)


if __name__ == "__main__":
    main()
