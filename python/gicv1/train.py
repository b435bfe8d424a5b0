#!/usr/bin/env python3
"""Train gic-v1 (python/gicv1/model.py) for a wall-clock budget. Needs only torch and numpy.

Data: an image bundle written by python/gicv1/make_bundle.py (uint8 arrays; the "train" split
is cropped, the "test" split is only evaluated at the end). Crops of --crop x --crop pixels with
random horizontal/vertical flips; the image is drawn with probability proportional to its area
(halved for grayscale photographs), as python/datasets.py; all draws from --seed.

Per batch (model.GICv1.forward_train):
  q ~ log-uniform [q_min, q_max] per image
  y = g_a(x); z = h_a(y); z_hat = STE-round(z - m) + m; (sigma, mu) = h_s(z_hat)
  s = STE-round((y - mu)/q); y_tilde = s q + mu                       (actual rounding)
  bits = -log2 P(s | sigma/q) - log2 P_z(z_hat)
  x_hat0 = g_s(y_tilde); x_hat1 = g_s(U(y_tilde, q))
  lat = mean((U(y_tilde, q) - y)^2)/q^2 + mean((U(y + (q/2) u, q/2) - y)^2)/(q/2)^2
        (y and the U inputs detached: these terms train U only)
  loss = bpp + lambda 255^2 (MSE(x_hat0) + MSE(x_hat1)) + kappa lat
Choices: lambda = 0.01 (about CompressAI's quality-3 setting; the rate itself is set by q,
lambda weighs distortion against bits while the transforms learn). kappa = 10 on latent errors
measured in units of the noise level (dividing by q^2 lets every rate count alike; without it
the largest q would dominate): the identity U scores 1/12 on lat_mid, and with kappa = 1 the
pixel term (~1 to 100 times larger) pulled U's step at q/2 above that (worse than identity) in
CPU trials, while with kappa = 10 it stayed at or below 1/12. Adam lr 1e-4 on everything but the entropy-bottleneck
quantiles, Adam lr 1e-3 on those minimising the aux loss (as CompressAI), main gradients
clipped to norm 1.0. float32 (TF32 convolutions/matmuls allowed on CUDA).

Checkpoints (torch.save of a dict: model (state dict), config, args, step; the optimizer
states only with --save-optimizer, which triples the size) every --save-every minutes and at
the end; --resume continues from one (fresh Adam moments when none were saved). At the end the
test images are coded at a few rates (float codec, estimated bits, PSNR for 0/1/2 sampler
steps and 2 steps with noise) and a JSON summary (with the loss curve) is printed and written
to <out>.json.

GPU example (9 minutes or less including start-up and the final evaluation):
  python3 python/gicv1/train.py --device cuda --minutes 8 --batch 16 --crop 256 --seed 0 \
      --data out/gicv1-bundle.npz --out $OUT/gic-v1.pt
CPU smoke test (2-core CPU, torch 2.13: ~5.3 steps/s at batch 4 crop 128, ~1.2 steps/s at
batch 4 crop 256; loss ~276 -> ~32 in 2 minutes):
  python3 python/gicv1/train.py --device cpu --minutes 2 --batch 4 --crop 128 \
      --data out/gicv1-bundle.npz --out /tmp/gicv1-cpu.pt --log-every 50
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from gic import metrics  # noqa: E402
from gicv1 import float_codec  # noqa: E402
from gicv1 import model as gm  # noqa: E402


class Bundle:
    """Images of a make_bundle.py .npz on `device` as float [3, H, W] in [0, 1]; random crops."""

    def __init__(self, path, crop, seed, device):
        with np.load(path, allow_pickle=False) as d:
            self.names = [str(n) for n in d["train_names"]]
            self.images = [torch.from_numpy(np.ascontiguousarray(d["train/" + n])).to(device)
                           .permute(2, 0, 1).float().div(255.0) for n in self.names]
            w = np.asarray(d["train_weights"], dtype=np.float64)
            self.test = [(str(n), np.ascontiguousarray(d["test/" + n])) for n in d["test_names"]]
        self.p = w / w.sum()
        self.crop = crop
        self.rng = np.random.default_rng(seed)
        for n, x in zip(self.names, self.images):
            if x.shape[1] < crop or x.shape[2] < crop:
                raise ValueError(f"{n} {tuple(x.shape)} smaller than the crop {crop}")

    def batch(self, n):
        out = []
        for _ in range(n):
            x = self.images[self.rng.choice(len(self.images), p=self.p)]
            top = int(self.rng.integers(0, x.shape[1] - self.crop + 1))
            left = int(self.rng.integers(0, x.shape[2] - self.crop + 1))
            c = x[:, top:top + self.crop, left:left + self.crop]
            if self.rng.random() < 0.5:
                c = c.flip(2)
            if self.rng.random() < 0.5:
                c = c.flip(1)
            out.append(c)
        return torch.stack(out).contiguous()


def configure_optimizers(model, lr, aux_lr):
    named = dict(model.named_parameters())
    aux = sorted(n for n in named if n.endswith(".quantiles"))
    main = sorted(n for n in named if not n.endswith(".quantiles"))
    return (torch.optim.Adam([named[n] for n in main], lr=lr),
            torch.optim.Adam([named[n] for n in aux], lr=aux_lr))


def psnr_from_mse(mse):
    return metrics.psnr_from_mse(max(mse, 1e-12), 1.0)


@torch.no_grad()
def evaluate(model, images, rates=(0.0, 0.5, 1.0), steps_list=(0, 1, 2), noisy_steps=2, seed=0):
    """Float codec on whole test images: estimated bpp and PSNR per rate and sampler setting."""
    model.eval()
    rows = []
    for name, img in images:
        for rate in rates:
            r = gm.RateSchedule.rate_index(rate)
            enc = float_codec.encode_image(model, img, r)
            bz, by = float_codec.estimate_bits(model, enc["z_symbols"], enc["y_symbols"], r)
            row = {"image": name, "rate": rate, "r": r, "q": model.rate.q(r),
                   "est_bpp": (bz + by) / (img.shape[0] * img.shape[1])}
            settings = [(n, None) for n in steps_list] + [(noisy_steps, seed)]
            for n, s in settings:
                out = float_codec.decode_symbols(model, enc["z_symbols"], enc["y_symbols"], r, n, s,
                                                 img.shape[0], img.shape[1])
                row[f"psnr_n{n}" + ("_noise" if s is not None else "")] = round(float_codec.psnr(img, out), 3)
            rows.append(row)
    model.train()
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="bundle .npz from make_bundle.py")
    ap.add_argument("--out", required=True, help="checkpoint path")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--minutes", type=float, required=True, help="training budget (wall clock)")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--crop", type=int, default=256)
    ap.add_argument("--N", type=int, default=64)
    ap.add_argument("--M", type=int, default=96)
    ap.add_argument("--W", type=int, default=64)
    ap.add_argument("--q-max", type=float, default=8.0)
    ap.add_argument("--q-min", type=float, default=0.5)
    ap.add_argument("--lmbda", type=float, default=0.01)
    ap.add_argument("--kappa", type=float, default=10.0)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--aux-lr", type=float, default=1e-3)
    ap.add_argument("--clip", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: leave)")
    ap.add_argument("--log-every", type=int, default=100)
    ap.add_argument("--save-every", type=float, default=2.0, help="minutes between checkpoints")
    ap.add_argument("--resume", help="checkpoint to continue from (model, step; optimizers if saved)")
    ap.add_argument("--save-optimizer", action="store_true",
                    help="also store the Adam states (checkpoint ~26 MB instead of ~8.5 MB)")
    ap.add_argument("--no-eval", action="store_true", help="skip the final test-image evaluation")
    args = ap.parse_args(argv)

    t_start = time.time()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True

    model = gm.GICv1(args.N, args.M, args.W, q_max=args.q_max, q_min=args.q_min).to(device)
    main_opt, aux_opt = configure_optimizers(model, args.lr, args.aux_lr)
    step = 0
    if args.resume:
        ckpt = torch.load(args.resume, map_location=device)
        model.load_state_dict(ckpt["model"])
        if "main_opt" in ckpt:
            main_opt.load_state_dict(ckpt["main_opt"])
            aux_opt.load_state_dict(ckpt["aux_opt"])
        step = int(ckpt["step"])
    model.train()
    data = Bundle(args.data, args.crop, args.seed + step, device)
    ln_qmin, ln_qmax = math.log(args.q_min), math.log(args.q_max)

    def log(msg):
        print(msg, flush=True)

    def save():
        ckpt = {"model": model.state_dict(), "config": {"N": args.N, "M": args.M, "W": args.W},
                "args": vars(args), "step": step}
        if args.save_optimizer:
            ckpt.update(main_opt=main_opt.state_dict(), aux_opt=aux_opt.state_dict())
        tmp = args.out + ".tmp"
        torch.save(ckpt, tmp)
        os.replace(tmp, args.out)

    log(f"# gic-v1 N={args.N} M={args.M} W={args.W} q=[{args.q_min}, {args.q_max}] lmbda={args.lmbda} "
        f"kappa={args.kappa} batch={args.batch} crop={args.crop} device={device} "
        f"torch={torch.__version__} numpy={np.__version__} train={data.names} start_step={step}")
    budget = args.minutes * 60.0
    start = last_save = time.time()
    curve = []
    keys = ("loss", "bpp", "mse0", "mse1", "lat_q", "lat_mid", "aux")
    acc = torch.zeros(len(keys), dtype=torch.float64, device=device)  # summed on the device: no sync per step
    acc_n = 0
    window_t = time.time()
    first_step = step
    while time.time() - start < budget:
        x = data.batch(args.batch)
        q = torch.exp(torch.empty(args.batch, device=device).uniform_(ln_qmin, ln_qmax))
        out = model.forward_train(x, q)
        npix = x.shape[2] * x.shape[3]
        bpp = (out["bits_y"] + out["bits_z"]).mean() / npix
        mse0 = torch.mean((out["x_hat0"] - x) ** 2)
        mse1 = torch.mean((out["x_hat1"] - x) ** 2)
        lat = (out["lat_q"] + out["lat_mid"]).mean()
        loss = bpp + args.lmbda * 255 ** 2 * (mse0 + mse1) + args.kappa * lat
        main_opt.zero_grad(set_to_none=True)
        aux_opt.zero_grad(set_to_none=True)
        loss.backward()
        if args.clip > 0:
            torch.nn.utils.clip_grad_norm_([p for g in main_opt.param_groups for p in g["params"]], args.clip)
        main_opt.step()
        aux_loss = model.aux_loss()
        aux_opt.zero_grad(set_to_none=True)
        aux_loss.backward()
        aux_opt.step()
        step += 1
        vals = (loss, bpp, mse0, mse1, out["lat_q"].mean(), out["lat_mid"].mean(), aux_loss)
        acc += torch.stack([v.detach().double() for v in vals])
        acc_n += 1
        if step % args.log_every == 0 or step == first_step + 1:
            means = (acc / acc_n).tolist()
            now = time.time()
            point = {"step": step, "minutes": round((now - start) / 60, 3)}
            point.update({k: round(v, 5) for k, v in zip(keys, means)})
            point["psnr0"] = round(psnr_from_mse(point["mse0"]), 3)
            point["psnr1"] = round(psnr_from_mse(point["mse1"]), 3)
            point["steps_per_s"] = round(acc_n / max(now - window_t, 1e-9), 3)
            curve.append(point)
            log(json.dumps(point))
            acc.zero_()
            acc_n = 0
            window_t = now
        if time.time() - last_save > args.save_every * 60:
            save()
            last_save = time.time()
    train_minutes = (time.time() - start) / 60
    save()
    log(f"# saved {args.out} at step {step} ({step - first_step} steps in {train_minutes:.2f} min, "
        f"{(step - first_step) / max(train_minutes * 60, 1e-9):.2f} steps/s)")
    summary = {"args": vars(args), "steps": step, "steps_this_run": step - first_step,
               "train_minutes": round(train_minutes, 3), "first": curve[0] if curve else None,
               "last": curve[-1] if curve else None}
    if not args.no_eval and data.test:
        t0 = time.time()
        summary["test"] = evaluate(model, data.test)
        summary["eval_s"] = round(time.time() - t0, 1)
    summary["total_s"] = round(time.time() - t_start, 1)
    summary["curve"] = curve
    with open(args.out + ".json", "w") as f:
        json.dump(summary, f, indent=1)
    print(json.dumps({k: v for k, v in summary.items() if k != "curve"}, indent=1), flush=True)


if __name__ == "__main__":
    main()
