#!/usr/bin/env python3
"""Train a CompressAI bmshj2018-factorized / bmshj2018-hyperprior / mbt2018-mean / mbt2018 / cheng2020-anchor / cheng2020-attn model on data/images for a time budget.

mbt2018 (JointAutoregressiveHierarchicalPriors) and cheng2020-anchor (Cheng2020Anchor) are the
context-model (autoregressive) architectures of issue #15: gic-convert cannot convert them yet.
Cheng2020Anchor (and its subclass Cheng2020Attention, cheng2020-attn) takes N only: its latent y
has M = N channels (CompressAI passes M=N to its base class), so `--M` must be left out or equal
`--N` for it. Their compress()/decompress() run the
context model position by position in Python, so the test evaluation below is slow (seconds to
minutes per image).

Follows CompressAI's examples/train.py: loss = lmbda * 255^2 * MSE + bpp
(compressai.losses.RateDistortionLoss), Adam (lr 1e-4) on every parameter except the entropy
bottleneck's `quantiles`, a second Adam (lr 1e-3) on those minimising `model.aux_loss()`, and the
main gradients clipped to norm 1.0. Batches are random 256x256 crops with flips from the train
split (python/datasets.py), drawn from a fixed seed.

Training stops once `--minutes` have passed (checked after each step); the state dict is saved to
`--out` (torch.save(model.state_dict()), before `update()`, so python/export_compressai.py
--checkpoint reads it). Then the test split is evaluated with real bitstreams
(model.update(force=True); compress/decompress; images replicate-padded to a multiple of 64, rate
over the unpadded pixels) and with forward()'s likelihood estimate; a JSON summary (arguments,
steps, loss curve, test figures) is printed and written next to the checkpoint as `<out>.json`.

Example:
  nice -n 19 python3 python/train_compressai.py --arch mbt2018-mean --N 64 --M 96 \
      --lmbda 0.013 --minutes 40 --batch 8 --out /tmp/mbt.pth --seed 0
  python3 python/export_compressai.py mbt2018-mean --N 64 --M 96 --checkpoint /tmp/mbt.pth \
      -o models/mbt2018-mean-N64-M96.npz
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compressai_env import import_compressai  # noqa: E402

import_compressai()
from compressai.losses import RateDistortionLoss  # noqa: E402

import datasets  # noqa: E402
from gic import metrics  # noqa: E402
from gic.exporting import CHENG2020, COMPRESSAI_CLASSES, ExportError, compressai_model  # noqa: E402


def build_model(arch, n, m):
    """The CompressAI model of `arch` (m None: 96, or N for the cheng2020 architectures, whose M is
    N)."""
    try:
        return compressai_model(arch, n, (n if arch in CHENG2020 else 96) if m is None else m)
    except ExportError as e:
        raise SystemExit(str(e)) from e


def configure_optimizers(model, lr, aux_lr):
    """As CompressAI's examples/train.py: `quantiles` go to the aux optimizer, the rest to main."""
    params = {n for n, p in model.named_parameters() if not n.endswith(".quantiles") and p.requires_grad}
    aux = {n for n, p in model.named_parameters() if n.endswith(".quantiles") and p.requires_grad}
    named = dict(model.named_parameters())
    assert not (params & aux) and len(params | aux) == len(named)
    main_opt = torch.optim.Adam((named[n] for n in sorted(params)), lr=lr)
    aux_opt = torch.optim.Adam((named[n] for n in sorted(aux)), lr=aux_lr)
    return main_opt, aux_opt


def psnr(a, b):
    """PSNR (peak 1) of two float tensors, the MSE in their own precision."""
    return metrics.psnr_from_mse(torch.mean((a - b) ** 2).item(), 1.0)


@torch.no_grad()
def evaluate(model, images, pad_mode="replicate"):
    """Per-image and mean test figures; the model must already be updated (model.update())."""
    model.eval()
    rows = []
    for name, x in images:
        x = x.unsqueeze(0)
        h, w = x.shape[-2:]
        npix = h * w
        xp, unpad = datasets.pad_to_multiple(x, 64, mode=pad_mode)
        # forward(): likelihood estimate of the rate, reconstruction from rounded latents
        out = model(xp)
        est_bits = sum(-torch.log2(l).sum().item() for l in out["likelihoods"].values())
        fwd_hat = datasets.unpad(out["x_hat"].clamp(0, 1), unpad)
        # real bitstreams
        t0 = time.time()
        enc = model.compress(xp)
        t1 = time.time()
        dec = model.decompress(enc["strings"], enc["shape"])
        t2 = time.time()
        nbytes = sum(len(s[0]) for s in enc["strings"])
        x_hat = datasets.unpad(dec["x_hat"].clamp(0, 1), unpad)
        x_u8 = torch.round(x_hat * 255) / 255
        rows.append({
            "image": name,
            "width": w,
            "height": h,
            "bytes": nbytes,
            "bytes_y": len(enc["strings"][0][0]),
            # bmshj2018-factorized has one string (y) and no hyper-latent
            "bytes_z": len(enc["strings"][1][0]) if len(enc["strings"]) > 1 else 0,
            "bpp": nbytes * 8.0 / npix,
            "psnr": psnr(x, x_hat),
            "psnr_u8": psnr(x, x_u8),
            "est_bpp": est_bits / npix,
            "est_psnr": psnr(x, fwd_hat),
            "enc_s": t1 - t0,
            "dec_s": t2 - t1,
        })
    mean = {k: sum(r[k] for r in rows) / len(rows) for k in ("bpp", "psnr", "psnr_u8", "est_bpp", "est_psnr")}
    return {"pad": pad_mode, "mean": mean, "images": rows}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", choices=sorted(COMPRESSAI_CLASSES.values()), required=True)
    ap.add_argument("--N", type=int, default=64)
    ap.add_argument("--M", type=int, default=None,
                    help="latent channels (default 96; cheng2020-anchor: must be omitted or equal N)")
    ap.add_argument("--lmbda", type=float, default=0.013)
    ap.add_argument("--minutes", type=float, required=True, help="training time budget (wall clock)")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--patch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--aux-lr", type=float, default=1e-3)
    ap.add_argument("--clip", type=float, default=1.0, help="max grad norm (main parameters); 0 disables")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    ap.add_argument("--log-every", type=int, default=20, help="steps per logged loss average")
    ap.add_argument("--save-every", type=float, default=5.0, help="minutes between interim checkpoints")
    ap.add_argument("--out", required=True, help="checkpoint path (state dict)")
    ap.add_argument("--init", help="start from this state dict (a previous --out) instead of a fresh "
                    "initialisation; the optimizers start afresh")
    args = ap.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model = build_model(args.arch, args.N, args.M)
    if args.M is None:
        args.M = args.N if args.arch in CHENG2020 else 96
    if args.init:
        state = torch.load(args.init, map_location="cpu")
        model.load_state_dict({k[len("module."):] if k.startswith("module.") else k: v
                               for k, v in state.items()})
    model.train()
    data = datasets.RandomCrops("train", patch=args.patch, seed=args.seed)
    criterion = RateDistortionLoss(lmbda=args.lmbda)
    main_opt, aux_opt = configure_optimizers(model, args.lr, args.aux_lr)

    def log(msg):
        print(msg, flush=True)

    log(f"# {args.arch} N={args.N} M={args.M} lmbda={args.lmbda} batch={args.batch} patch={args.patch} "
        f"seed={args.seed} threads={args.threads} train={data.names}")
    budget = args.minutes * 60.0
    start = last_save = time.time()
    step = 0
    curve = []
    acc = {"loss": 0.0, "mse": 0.0, "bpp": 0.0, "aux": 0.0, "n": 0}
    while time.time() - start < budget:
        x = data.next_batch(args.batch)
        main_opt.zero_grad()
        aux_opt.zero_grad()
        out = model(x)
        losses = criterion(out, x)
        losses["loss"].backward()
        if args.clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        main_opt.step()
        aux_loss = model.aux_loss()
        aux_loss.backward()
        aux_opt.step()
        step += 1
        acc["loss"] += losses["loss"].item()
        acc["mse"] += losses["mse_loss"].item()
        acc["bpp"] += losses["bpp_loss"].item()
        acc["aux"] += aux_loss.item()
        acc["n"] += 1
        if step % args.log_every == 0 or step == 1:
            n = acc["n"]
            point = {
                "step": step,
                "minutes": round((time.time() - start) / 60, 3),
                "loss": acc["loss"] / n,
                "mse": acc["mse"] / n,
                "psnr": metrics.psnr_from_mse(max(acc["mse"] / n, 1e-12), 1.0),
                "bpp": acc["bpp"] / n,
                "aux": acc["aux"] / n,
            }
            curve.append(point)
            log(json.dumps(point))
            acc = {k: 0.0 for k in acc}
            acc["n"] = 0
        if time.time() - last_save > args.save_every * 60:
            torch.save(model.state_dict(), args.out)
            last_save = time.time()
    train_minutes = (time.time() - start) / 60
    model.eval()
    torch.save(model.state_dict(), args.out)
    log(f"# saved {args.out} after {step} steps, {train_minutes:.2f} min")

    model.update(force=True)
    images = datasets.test_images("test")
    summary = {
        "arch": args.arch,
        "N": args.N,
        "M": args.M,
        "lmbda": args.lmbda,
        "batch": args.batch,
        "patch": args.patch,
        "lr": args.lr,
        "aux_lr": args.aux_lr,
        "clip": args.clip,
        "seed": args.seed,
        "init": args.init,
        "threads": args.threads,
        "train_images": data.names,
        "steps": step,
        "train_minutes": round(train_minutes, 2),
        "first_loss": curve[0] if curve else None,
        "final_loss": curve[-1] if curve else None,
        "checkpoint": args.out,
        "test": evaluate(model, images, "replicate"),
        "test_zero_pad": evaluate(model, images, "constant"),
        "curve": curve,
    }
    with open(args.out + ".json", "w") as f:
        json.dump(summary, f, indent=1)
    brief = {k: v for k, v in summary.items() if k != "curve"}
    print(json.dumps(brief, indent=1), flush=True)


if __name__ == "__main__":
    main()
