#!/usr/bin/env python3
"""Train gic-v2's reverse network U on the latents the few-step sampler actually visits.

train.py teaches U to estimate the clean latent y from the coded latent y_hat at level q and from
y + q_1 u (uniform noise) at the intermediate level q_1 of the 2-step sampler. The sampler's real
input at that level is something else: x_1 = x0 + (q_1/q) (y_hat - x0) + alpha q_1 u with
x0 = U(y_hat, q), i.e. U's own first estimate, a shrunken residual and the normative noise. This
script trains U alone (g_a, h_a, h_s, g_s and the entropy models frozen, so the rate and the
0-step decode do not change) on both inputs it meets in the sampler, with the targets the method
gives it, the clean latent:

    loss = |U(y_hat, q) - y|^2 / q^2 + |U(x_1, q_1) - y|^2 / q_1^2     (means over the latent)

with x_1 from the sampler (no gradient through it), q log-uniform over --rates (rate indices),
and alpha drawn per crop uniformly from [0, --alpha-max], so every alpha the realism knob may be
set to is one U was trained for. Estimating the clean latent at level q is still what the method
asks of U (the gradient of the rate-variable feature distribution, up to q^2); what changes is
that U now sees, in training, the distribution of inputs the sampler feeds it.

    python3 python/gicv2/train_reverse.py models/gic-v2.pt --minutes 30 -o out/rev/rev.pt

Prints the latent errors per level (in units of q^2) of a fixed held-back batch of training
crops before and during training: 0 steps (y_hat), the first estimate, and the 2-step output at
alpha 0 and 1.
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
from gicv1.train import Bundle  # noqa: E402
from gicv2 import model as g2  # noqa: E402


@torch.no_grad()
def latents(model, x, q):
    """(y, y_hat) of batch x at steps q (B,), the codec's rounding (no straight-through)."""
    y = model.g_a(x)
    z_hat = model.entropy_bottleneck.quantize(model.h_a(y), mode="round")
    _, means = model.hyper_params(z_hat)
    qv = q.view(-1, 1, 1, 1)
    return y, torch.round((y - means) / qv) * qv + means


def sampler_mid(model, y_hat, q, alpha):
    """(x_1, q_1): the 2-step sampler's input at its second level (no gradient)."""
    with torch.no_grad():
        ratio = g2.step_ratio(model, 2)
        q1 = q * ratio
        x0 = model.reverse(y_hat, q)
        x1 = x0 + ratio * (y_hat - x0) + alpha.view(-1, 1, 1, 1) * q1.view(-1, 1, 1, 1) * (torch.rand_like(y_hat) - 0.5)
    return x1, q1


def err(a, y, q):
    return (((a - y) ** 2).mean(dim=(1, 2, 3)) / q ** 2).mean().item()


@torch.no_grad()
def report(model, batch, q, gen):
    y, y_hat = latents(model, batch, q)
    out = {"0 steps": err(y_hat, y, q), "first estimate": err(model.reverse(y_hat, q), y, q)}
    for a in (0.0, 1.0):
        torch.manual_seed(gen)
        x1, q1 = sampler_mid(model, y_hat, q, torch.full_like(q, a))
        out[f"2 steps alpha {a:g}"] = err(model.reverse(x1, q1), y, q)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint", help="a gic-v2 checkpoint (python/gicv2/train.py)")
    ap.add_argument("-o", "--output", required=True, help="the checkpoint written (same form, U retrained)")
    ap.add_argument("--data", default=os.path.join(REPO, "out", "gicv2-bundle.npz"))
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--steps", type=int, default=0, help="stop after this many steps (0: only --minutes)")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--crop", type=int, default=256)
    ap.add_argument("--rates", default="0:255", help="rate indices, LO:HI, drawn uniformly")
    ap.add_argument("--alpha-max", type=float, default=1.0)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--report-every", type=int, default=200)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    ckpt = torch.load(args.checkpoint, map_location="cpu")
    cfg = ckpt["config"]
    model = g2.build(cfg["N"], cfg["M"], cfg["W"], cfg["q_max"], cfg["q_min"])
    model.load_state_dict(ckpt["model"])
    model.eval()
    for name, p in model.named_parameters():
        p.requires_grad_(name.startswith("reverse."))
    params = [p for n, p in model.named_parameters() if n.startswith("reverse.")]
    opt = torch.optim.Adam(params, lr=args.lr)

    data = Bundle(args.data, args.crop, args.seed, "cpu")
    lo, hi = (int(v) for v in args.rates.split(":"))
    rng = np.random.default_rng(args.seed)
    probe = Bundle(args.data, args.crop, args.seed + 1000, "cpu").batch(16)
    probe_q = torch.tensor([model.rate.q(int(r)) for r in np.linspace(lo, hi, 16).round()], dtype=torch.float32)

    def show(step):
        r = report(model, probe, probe_q, 7)
        print(f"step {step}: latent error / q^2 " + ", ".join(f"{k} {v:.4f}" for k, v in r.items()), flush=True)

    show(0)
    t0, step, losses = time.time(), 0, []
    while time.time() - t0 < args.minutes * 60 and not (args.steps and step >= args.steps):
        step += 1
        x = data.batch(args.batch)
        q = torch.tensor([model.rate.q(int(r)) for r in rng.integers(lo, hi + 1, size=args.batch)],
                         dtype=torch.float32)
        alpha = torch.rand(args.batch) * args.alpha_max
        y, y_hat = latents(model, x, q)
        x1, q1 = sampler_mid(model, y_hat, q, alpha)
        u = model.reverse(torch.cat([y_hat, x1]), torch.cat([q, q1]))
        e = ((u - torch.cat([y, y])) ** 2).mean(dim=(1, 2, 3)) / torch.cat([q, q1]) ** 2
        loss = e.mean()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        losses.append(loss.item())
        if step % args.report_every == 0:
            print(f"  {step} steps, {time.time() - t0:.0f} s, train loss {np.mean(losses):.4f}", flush=True)
            losses = []
            show(step)
    show(step)
    ckpt["model"] = model.state_dict()
    ckpt["reverse_retrained"] = {"steps": step, "args": vars(args)}
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    torch.save(ckpt, args.output)
    print(f"wrote {args.output} after {step} steps")


if __name__ == "__main__":
    main()
