#!/usr/bin/env python3
"""Fold a coarser quantization step t for the hyperprior latent z into a gic-v2 checkpoint.

Coding z with step t (s_z = round((z - m) / t), z_hat = t s_z + m) is the same as coding
z' = z / t with step 1 under the prior of z', so it needs no format change: the folded model
is an ordinary gic-v1-profile network (spec/bitstream.md §7.4) with

    h_a's last layer       W, b  ->  W / t, b / t            (z' = z / t)
    h_s's first layer      W     ->  W t                     (h_s sees t z'_hat = z_hat)
    the factorised prior   c'(v) = c(t v): softplus(H_0') = t softplus(H_0), the quantiles / t

(c is the prior's cumulative logit, python/gicv1/model.py EntropyBottleneck; its first layer is
the only one that sees v). probe_z_step.py measures the step on the unfolded model; this script
writes the folded checkpoint, which python/gicv1/export.py then exports (the CDF tables of z are
rebuilt from the folded prior there).

    python3 python/gicv2/fold_z_step.py models/gic-v2.pt --step 4 -o out/gicv2/folded.pt
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def fold(state, t):
    """A new state dict with z's step t folded in (float64 arithmetic, stored as float32)."""
    if not t > 0:
        raise ValueError(f"the step must be positive, not {t}")
    out = dict(state)

    def scaled(key, factor):
        return (state[key].double() * factor).to(state[key].dtype)

    out["h_a.4.weight"] = scaled("h_a.4.weight", 1 / t)
    out["h_a.4.bias"] = scaled("h_a.4.bias", 1 / t)
    out["h_s.0.weight"] = scaled("h_s.0.weight", t)
    h0 = state["entropy_bottleneck.matrices.0"]
    # softplus^-1(t softplus(H)) = log(expm1(t softplus(H)))
    out["entropy_bottleneck.matrices.0"] = torch.log(torch.expm1(t * torch.nn.functional.softplus(h0.double()))).to(h0.dtype)
    out["entropy_bottleneck.quantiles"] = scaled("entropy_bottleneck.quantiles", 1 / t)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint", help="a gic-v2 training checkpoint (python/gicv2/train.py)")
    ap.add_argument("--step", type=float, required=True, help="z's quantization step t to fold in")
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args(argv)
    ckpt = torch.load(args.checkpoint, map_location="cpu")
    if not (isinstance(ckpt, dict) and "model" in ckpt):
        ckpt = {"model": ckpt}
    ckpt["model"] = fold(ckpt["model"], args.step)
    ckpt["z_step_folded"] = float(ckpt.get("z_step_folded", 1.0)) * args.step
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    torch.save(ckpt, args.output)
    print(f"wrote {args.output}: z step {args.step:g} folded in (in all {ckpt['z_step_folded']:g} "
          "times the trained step)")


if __name__ == "__main__":
    main()
