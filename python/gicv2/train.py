#!/usr/bin/env python3
"""Train gic-v2 (python/gicv2/model.py), or resume it. CPU by default; CUDA; torchrun (DDP).

    python3 python/gicv2/train.py --minutes 60                 # resume and train for an hour
    torchrun --nproc-per-node 2 python/gicv2/train.py --minutes 5 --device cpu   # DDP (gloo)
    python3 python/gicv2/train.py --plot-only                  # redraw the loss plot

Where it starts (the first that exists): --resume PATH; <out-dir>/last.pt (this machine's last
run); models/gic-v2.pt (the last committed checkpoint); else --init, a gic-v1 export
(models/gic-v1.npz), whose rate schedule is widened to [--q-min, --q-max].

Data: the bundle written by scripts/fetch_photos.sh (out/gicv2-bundle.npz): random --crop crops
with flips, images drawn by area (python/gicv1/train.py `Bundle`). Held-out photos are never
read here.

Per step, for a batch x with q ~ log-uniform [q_min, q_max] per image (model.forward_train):
  generator  bpp + lmbda(q) 255^2 MSE(x_hat0) + lmbda_gen 255^2 MSE(x_hat2)
             + kappa (lat_q + lat_mid) + gan (-D(x_hat2 | y_hat)) + fm FM(x, x_hat2)
             + swd SW(x, x_hat2)
             + swd_norm SWn(x, x_hat2) + grad_energy GE(x, x_hat2)
lmbda(q) = lmbda (q_ref / q)^gamma per image (--lmbda-q-exp gamma, default 0: one lmbda for every
q; q_ref: --lmbda-q-ref, default the geometric mean of the schedule). With one lmbda the model
can undo q by scaling its latents, and longer training narrows the rate range toward the rate
that lmbda prefers (docs/results-gicv2.md, "one λ narrows the rate range"); gamma ~ 1 ties each q to the
distortion weight of its own rate (a training choice: nothing in the bitstream changes).
--lmbda-q-on-rate puts the same trade-off on the rate instead: each image's bits are weighted
(q / q_ref)^gamma and its MSE keeps lmbda, so the images' losses stay on one scale (with the
weight on the MSE the finest q, lmbda up to 500x the coarsest, dominate the gradient).
SW is model.patch_sw_loss: the sliced Wasserstein distance between the 7x7 neighbourhoods of the
Laplacian pyramids of the crop and of its 2-step decode (random projections drawn anew each
step). It was added after the discriminator alone failed to learn in CPU runs (its hinge loss
stayed at 2.00, real and fake logits equal to 4 digits, over 3,700 steps): it is a realism
term that needs no pretrained network and no adversary.
SWn (--swd-norm) is model.normalized_patch_sw_loss: the evaluation's own statistic (binomial
Laplacian pyramid, each picture's level normalised per colour channel by its own mean and
deviation, as Karras' finalize_descriptors does), which sees the structure of the neighbourhoods
rather than their energy; GE (--grad-energy) is model.gradient_energy_loss, log(E(x_hat2) /
E(x))^2 with E the gradient energy of the evaluation's gradient-energy ratio. --q-low-frac draws
that fraction of each batch from [--q-low-min, q_max] (the low rates, ~0.03-0.3 bpp), and
--alpha-random draws each image's sampler noise scale from [0, --alpha], so that every alpha the
realism knob may be set to at release is one g_s was trained on.
  entropy    CompressAI's aux loss on the bottleneck quantiles (own Adam)
  D          hinge: relu(1 - D(x | y_hat)) + relu(1 + D(x_hat2 | y_hat))   (from --gan-start)
x_hat0 = g_s(y_hat) is the 0-step decode, x_hat2 = g_s(2-step sampler output with noise alpha).
FM = mean over D's four feature maps of L1(features(x_hat2) - features(x)), real side detached.
Adam (lr --lr, betas 0.5/0.999 for D), gradient clipping 1.0.

Logs: <out-dir>/losses.csv (one row per --log-every steps, means over the window; rank 0 only)
and <out-dir>/losses.png (redrawn at every save). Checkpoints: <out-dir>/last.pt every
--save-every minutes and at the end (model, discriminator, optimizers, step, args);
`--export-checkpoint models/gic-v2.pt` writes the committed form (model + discriminator, no
optimizer state).
"""
import argparse
import csv
import math
import os
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
from gicv1 import model as gm  # noqa: E402
from gicv1.train import Bundle, configure_optimizers  # noqa: E402
from gicv2 import model as g2  # noqa: E402

COLUMNS = ["step", "minutes", "loss", "bpp", "mse0", "mse2", "psnr0", "psnr2", "lat_q", "lat_mid", "g_adv",
           "fm", "swd", "swdn", "gel", "d_loss", "d_real", "d_fake", "aux", "steps_per_s"]


class GeneratorStep(torch.nn.Module):
    """forward = model.forward_train: what DistributedDataParallel wraps (its gradient hooks)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x, q, alpha):
        return g2.forward_train(self.model, x, q, alpha=alpha)


class DiscriminatorStep(torch.nn.Module):
    """forward = D on the originals and on the decodes, in one call (one DDP forward per step)."""

    def __init__(self, disc):
        super().__init__()
        self.disc = disc

    def forward(self, real, fake, cond):
        return self.disc(real, cond)[0], self.disc(fake, cond)[0]


def plot_csv(path_csv, path_png):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(path_csv) as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return
    step = [int(r["step"]) for r in rows]
    fig, ax = plt.subplots(2, 3, figsize=(13, 6.5))
    panels = [("bpp", ["bpp"]), ("PSNR (dB, training crops)", ["psnr0", "psnr2"]),
              ("latent error / q^2", ["lat_q", "lat_mid"]), ("generator adversarial", ["g_adv"]),
              ("feature matching / patch SWD / grad. energy", ["fm", "swd", "swdn", "gel"]), ("discriminator (hinge)", ["d_loss", "d_real", "d_fake"])]
    for a, (title, keys) in zip(ax.flat, panels):
        for k in keys:
            a.plot(step, [float(r[k]) for r in rows], label=k)
        a.set_title(title)
        a.set_xlabel("step")
        a.grid(alpha=0.3)
        a.legend(fontsize=8)
    fig.suptitle("gic-v2 training (python/gicv2/train.py)")
    fig.tight_layout()
    fig.savefig(path_png, dpi=80)
    plt.close(fig)


def load_start(args, device):
    """(model, disc, checkpoint dict or None, where it came from)."""
    candidates = [args.resume, os.path.join(args.out_dir, "last.pt"), os.path.join(REPO, "models", "gic-v2.pt")]
    for path in candidates:
        if path and os.path.exists(path):
            ckpt = torch.load(path, map_location=device)
            cfg = ckpt["config"]
            model = g2.build(cfg["N"], cfg["M"], cfg["W"], cfg["q_max"], cfg["q_min"]).to(device)
            model.load_state_dict(ckpt["model"])
            disc = g2.Discriminator(cfg["M"]).to(device)
            if "disc" in ckpt and not args.fresh_disc:
                disc.load_state_dict(ckpt["disc"])
            return model, disc, ckpt, path
    state = dict(np.load(args.init))
    state["rate.q_max"] = np.array([args.q_max], dtype=np.float32)
    state["rate.q_min"] = np.array([args.q_min], dtype=np.float32)
    for k in ("_offset", "_quantized_cdf", "_cdf_length"):  # CompressAI tables: rebuilt at export
        state.pop("entropy_bottleneck." + k, None)
    src = gm.model_from_state(state, strict=False)
    model = g2.build(src.N, src.M, src.W, args.q_max, args.q_min)
    own = model.state_dict()
    model.load_state_dict({k: v for k, v in src.state_dict().items() if k in own and v.shape == own[k].shape},
                          strict=False)
    model.rate.q_max.fill_(args.q_max)
    model.rate.q_min.fill_(args.q_min)
    return model.to(device), g2.Discriminator(src.M).to(device), None, args.init


def warmup_factor(k, steps):
    """The learning-rate factor at the k-th step (from 0) of a warm-up over `steps` steps."""
    return 1.0 if steps <= 0 else min(1.0, (k + 1) / steps)


def lmbda_weights(q, q_ref, gamma):
    """(q_ref / q)^gamma per image: the factor of lmbda(q) = lmbda (q_ref / q)^gamma."""
    return (q_ref / q) ** gamma


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(REPO, "out", "gicv2-bundle.npz"))
    ap.add_argument("--out-dir", default=os.path.join(REPO, "out", "gicv2"))
    ap.add_argument("--resume", help="checkpoint to start from (default: see above)")
    ap.add_argument("--init", default=os.path.join(REPO, "models", "gic-v1.npz"))
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--minutes", type=float, default=60.0, help="training budget (wall clock)")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--crop", type=int, default=128)
    ap.add_argument("--q-max", type=float, default=g2.Q_MAX,
                    help="schedule of a model started from --init (a resumed model keeps its own)")
    ap.add_argument("--q-min", type=float, default=g2.Q_MIN)
    ap.add_argument("--lmbda", type=float, default=0.01, help="MSE weight of the 0-step decode")
    ap.add_argument("--lmbda-q-exp", type=float, default=0.0,
                    help="gamma of lmbda(q) = lmbda (q_ref / q)^gamma for the 0-step MSE (0: lmbda for every q)")
    ap.add_argument("--lmbda-q-ref", type=float, default=None,
                    help="q_ref of lmbda(q) (default: the geometric mean of the model's q schedule)")
    ap.add_argument("--lmbda-q-on-rate", action="store_true",
                    help="apply (q / q_ref)^gamma to each image's bits instead of (q_ref / q)^gamma to its MSE")
    ap.add_argument("--lmbda-gen", type=float, default=0.002, help="MSE weight of the 2-step decode")
    ap.add_argument("--gan", type=float, default=0.15, help="adversarial weight")
    ap.add_argument("--fm", type=float, default=1.0, help="feature-matching weight")
    ap.add_argument("--swd", type=float, default=150.0,
                    help="weight of the Laplacian-pyramid patch sliced Wasserstein loss on the 2-step decode")
    ap.add_argument("--swd-norm", type=float, default=0.0,
                    help="weight of the evaluation-aligned (per-picture normalised) patch SWD on the 2-step decode")
    ap.add_argument("--grad-energy", type=float, default=0.0,
                    help="weight of log(gradient energy ratio)^2 on the 2-step decode")
    ap.add_argument("--alpha-random", action="store_true",
                    help="draw each image's sampler noise scale uniformly from [0, --alpha] (trains the realism knob's range)")
    ap.add_argument("--q-low-frac", type=float, default=0.0,
                    help="fraction of each batch whose q is drawn log-uniform from [--q-low-min, q_max] "
                         "(the low rates) instead of the whole schedule")
    ap.add_argument("--q-low-min", type=float, default=24.0)
    ap.add_argument("--z-weight", type=float, default=1.0,
                    help="weight of the hyperprior's bits (z) in the rate term; z is coded at one "
                         "step for every rate, so its bits are a floor under the lowest rate")
    ap.add_argument("--freeze", default="",
                    help="comma-separated parameter-name prefixes held fixed (e.g. g_a.,g_s.,reverse. "
                         "trains only the hyperprior path)")
    ap.add_argument("--gan-start", type=int, default=0, help="step from which the GAN terms count")
    ap.add_argument("--kappa", type=float, default=10.0)
    ap.add_argument("--alpha", type=float, default=1.0, help="sampler noise scale in training")
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--lr-warmup", type=int, default=500,
                    help="steps over which an optimizer that starts without saved state (a resume "
                         "from an exported checkpoint, or a part that never trained) raises its "
                         "learning rate linearly from 0; 0: none")
    ap.add_argument("--d-lr", type=float, default=2e-4)
    ap.add_argument("--aux-lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: leave)")
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--save-every", type=float, default=5.0, help="minutes between checkpoints")
    ap.add_argument("--fresh-disc", action="store_true", help="start the discriminator anew")
    ap.add_argument("--steps", type=int, default=0, help="stop after this many steps (0: only --minutes)")
    ap.add_argument("--check-sync", action="store_true",
                    help="at the end, fail unless every process holds the same parameters (DDP test)")
    ap.add_argument("--export-checkpoint", help="write model + discriminator (no optimizers) here and exit")
    ap.add_argument("--plot-only", action="store_true", help="redraw <out-dir>/losses.png and exit")
    args = ap.parse_args(argv)

    csv_path = os.path.join(args.out_dir, "losses.csv")
    png_path = os.path.join(args.out_dir, "losses.png")
    if args.plot_only:
        plot_csv(csv_path, png_path)
        return

    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    rank = 0
    if distributed:
        dist.init_process_group("nccl" if args.device == "cuda" else "gloo")
        rank = dist.get_rank()
        if args.device == "cuda":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    os.makedirs(args.out_dir, exist_ok=True)
    model, disc, ckpt, origin = load_start(args, device)
    frozen = tuple(p for p in args.freeze.split(",") if p)
    for name, p in model.named_parameters():
        if frozen and name.startswith(frozen):
            p.requires_grad_(False)
    main_opt, aux_opt = configure_optimizers(model, args.lr, args.aux_lr)
    d_opt = torch.optim.Adam(disc.parameters(), lr=args.d_lr, betas=(0.5, 0.999))
    step = 0
    if ckpt is not None:
        step = int(ckpt["step"])
        for opt, key in ((main_opt, "main_opt"), (aux_opt, "aux_opt"), (d_opt, "d_opt")):
            if key in ckpt and not (key == "d_opt" and args.fresh_disc):
                opt.load_state_dict(ckpt[key])
    # Adam's first steps move every parameter by about lr whatever its gradient's size; on a
    # trained model that breaks g_s within one step (PSNR 27.9 -> 26.1 dB, and the trained D's
    # logit on the decodes -5 -> +35: docs/results-gicv2.md, "Fresh optimizer state"), so an
    # optimizer without state warms up.
    warm = [(opt, [g["lr"] for g in opt.param_groups]) for opt in (main_opt, d_opt)
            if args.lr_warmup > 0 and not opt.state]

    def payload(with_optimizers):
        m, d = model, disc
        out = {"model": m.state_dict(), "disc": d.state_dict(), "step": step, "args": vars(args),
               "config": {"N": m.N, "M": m.M, "W": m.W, "q_max": m.rate.bounds()[0], "q_min": m.rate.bounds()[1]}}
        if with_optimizers:
            out.update(main_opt=main_opt.state_dict(), aux_opt=aux_opt.state_dict(), d_opt=d_opt.state_dict())
        return out

    if args.export_checkpoint:
        torch.save(payload(False), args.export_checkpoint)
        print(f"wrote {args.export_checkpoint} (step {step}, from {origin})")
        return

    torch.manual_seed(args.seed + 1000 * rank + step)
    core, core_disc = model, disc
    gen_step, disc_step = GeneratorStep(model), DiscriminatorStep(disc)
    if distributed:  # gradients of g_a, g_s, h_a, h_s, U and D are averaged by DDP's hooks
        ddp = torch.nn.parallel.DistributedDataParallel
        gen_step = ddp(gen_step, find_unused_parameters=True)
        disc_step = ddp(disc_step)
    core.train()
    core_disc.train()
    data = Bundle(args.data, args.crop, args.seed + step + 7919 * rank, device)
    q_max, q_min = core.rate.bounds()  # a resumed model's own schedule, not the option's default
    ln_qmin, ln_qmax = math.log(q_min), math.log(q_max)

    def save():
        if rank != 0:
            return
        tmp = os.path.join(args.out_dir, "last.pt.tmp")
        torch.save(payload(True), tmp)
        os.replace(tmp, os.path.join(args.out_dir, "last.pt"))
        plot_csv(csv_path, png_path)

    new_csv = not os.path.exists(csv_path) or ckpt is None
    if rank == 0:
        fcsv = open(csv_path, "w" if new_csv else "a", newline="")
        writer = csv.writer(fcsv)
        if new_csv:
            writer.writerow(COLUMNS)
        print(f"# gic-v2 from {origin} at step {step}: N={core.N} M={core.M} W={core.W} "
              f"q=[{q_min}, {q_max}] device={device} world={dist.get_world_size() if distributed else 1} "
              f"torch={torch.__version__} train images={len(data.names)}", flush=True)
    q_ref = args.lmbda_q_ref if args.lmbda_q_ref else math.sqrt(q_min * q_max)
    if args.lmbda_q_exp:
        print(f"# lmbda(q) = {args.lmbda} ({q_ref:.4g} / q)^{args.lmbda_q_exp:g}"
              f"{' (as the bits weight (q / q_ref)^gamma)' if args.lmbda_q_on_rate else ''}: "
              f"{args.lmbda * (q_ref / q_max) ** args.lmbda_q_exp:.3g} at q_max, "
              f"{args.lmbda * (q_ref / q_min) ** args.lmbda_q_exp:.3g} at q_min", flush=True)
    start = last_save = window_t = time.time()
    acc = {k: 0.0 for k in COLUMNS[2:-1]}
    acc_n = 0
    first_step = step
    while time.time() - start < args.minutes * 60 and not (args.steps and step - first_step >= args.steps):
        x = data.batch(args.batch)
        q = torch.exp(torch.empty(args.batch, device=device).uniform_(ln_qmin, ln_qmax))
        n_low = int(round(args.q_low_frac * args.batch))
        if n_low:
            q[:n_low] = torch.exp(torch.empty(n_low, device=device).uniform_(math.log(args.q_low_min), ln_qmax))
        gan_on = step >= args.gan_start and (args.gan > 0 or args.fm > 0)
        for opt, base in warm:
            f = warmup_factor(step - first_step, args.lr_warmup)
            for g, lr0 in zip(opt.param_groups, base):
                g["lr"] = lr0 * f
        alpha = torch.rand(args.batch, device=device) * args.alpha if args.alpha_random else args.alpha
        out = gen_step(x, q, alpha)
        npix = x.shape[2] * x.shape[3]
        bpp = (out["bits_y"] + out["bits_z"]).mean() / npix
        mse0 = F.mse_loss(out["x_hat0"], x)
        w = lmbda_weights(q, q_ref, args.lmbda_q_exp)  # all 1 for gamma 0: the terms are bpp and mse0
        if args.lmbda_q_on_rate:
            rate_w, mse0_w = ((out["bits_y"] + out["bits_z"]) / npix / w).mean(), mse0
        else:
            rate_w, mse0_w = bpp, (w * ((out["x_hat0"] - x) ** 2).mean(dim=(1, 2, 3))).mean()
        mse2 = F.mse_loss(out["x_hat2"], x)
        lat = (out["lat_q"] + out["lat_mid"]).mean()
        loss = rate_w + (args.z_weight - 1.0) * out["bits_z"].mean() / npix
        loss = loss + args.lmbda * 255 ** 2 * mse0_w + args.lmbda_gen * 255 ** 2 * mse2 + args.kappa * lat
        g_adv = fm = d_loss = d_real = d_fake = torch.zeros((), device=device)
        swd = g2.patch_sw_loss(x, out["x_hat2"]) if args.swd > 0 else torch.zeros((), device=device)
        loss = loss + args.swd * swd
        zero = torch.zeros((), device=device)
        swdn = g2.normalized_patch_sw_loss(x, out["x_hat2"]) if args.swd_norm > 0 else zero
        gel = g2.gradient_energy_loss(x, out["x_hat2"]) if args.grad_energy > 0 else zero
        loss = loss + args.swd_norm * swdn + args.grad_energy * gel
        if gan_on:
            for p in core_disc.parameters():
                p.requires_grad_(False)
            logits_fake, f_fake = core_disc(out["x_hat2"], out["y_tilde"])
            with torch.no_grad():
                _, f_real = core_disc(x, out["y_tilde"])
            g_adv = -logits_fake.mean()
            fm = sum(F.l1_loss(a, b.detach()) for a, b in zip(f_fake, f_real)) / len(f_real)
            loss = loss + args.gan * g_adv + args.fm * fm
            for p in core_disc.parameters():
                p.requires_grad_(True)
        main_opt.zero_grad(set_to_none=True)
        if loss.requires_grad:  # not when --freeze holds every generator parameter (D alone trains)
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for g in main_opt.param_groups for p in g["params"]], 1.0)
            main_opt.step()
        aux = core.aux_loss()
        aux_opt.zero_grad(set_to_none=True)
        if aux.requires_grad:  # not when --freeze holds the quantiles (entropy_bottleneck.)
            aux.backward()
        if distributed:  # the quantiles are trained outside the DDP forward: average by hand
            for p in (p for g in aux_opt.param_groups for p in g["params"] if p.grad is not None):
                dist.all_reduce(p.grad)
                p.grad /= dist.get_world_size()
        aux_opt.step()
        if gan_on:
            lr_, lf_ = disc_step(x, out["x_hat2"].detach(), out["y_tilde"])
            d_real, d_fake = lr_.mean(), lf_.mean()
            d_loss = F.relu(1 - lr_).mean() + F.relu(1 + lf_).mean()
            d_opt.zero_grad(set_to_none=True)
            d_loss.backward()
            torch.nn.utils.clip_grad_norm_(core_disc.parameters(), 1.0)
            d_opt.step()
        step += 1
        vals = {"loss": loss, "bpp": bpp, "mse0": mse0, "mse2": mse2, "lat_q": out["lat_q"].mean(),
                "lat_mid": out["lat_mid"].mean(), "g_adv": g_adv, "fm": fm, "swd": swd, "swdn": swdn, "gel": gel, "d_loss": d_loss,
                "d_real": d_real, "d_fake": d_fake, "aux": aux}
        for k, v in vals.items():
            acc[k] += float(v.detach())
        acc_n += 1
        if rank == 0 and step % args.log_every == 0:
            now = time.time()
            row = {k: acc[k] / acc_n for k in vals}
            row["psnr0"] = 10 * math.log10(1 / max(row["mse0"], 1e-12))
            row["psnr2"] = 10 * math.log10(1 / max(row["mse2"], 1e-12))
            row.update(step=step, minutes=round((now - start) / 60, 3), steps_per_s=acc_n / (now - window_t))
            writer.writerow([row["step"], row["minutes"]] + [f"{row[k]:.6g}" for k in COLUMNS[2:]])
            fcsv.flush()
            print(" ".join(f"{k}={row[k]:.4g}" for k in COLUMNS), flush=True)
            acc = {k: 0.0 for k in acc}
            acc_n = 0
            window_t = now
        if time.time() - last_save > args.save_every * 60:
            save()
            last_save = time.time()
    save()
    if args.check_sync:
        flat = torch.cat([p.detach().double().reshape(-1) for p in list(core.parameters()) +
                          list(core_disc.parameters())])
        sums = torch.stack([flat.sum(), (flat * torch.arange(flat.numel(), dtype=torch.float64)).sum()])
        gathered = [torch.zeros_like(sums) for _ in range(dist.get_world_size() if distributed else 1)]
        if distributed:
            dist.all_gather(gathered, sums)
        else:
            gathered = [sums]
        if any(not torch.equal(g, gathered[0]) for g in gathered):
            raise SystemExit(f"error: parameters differ between processes: {[g.tolist() for g in gathered]}")
        if rank == 0:
            print(f"# {len(gathered)} processes hold identical parameters", flush=True)
    if rank == 0:
        print(f"# saved {os.path.join(args.out_dir, 'last.pt')} at step {step}", flush=True)
    if distributed:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
