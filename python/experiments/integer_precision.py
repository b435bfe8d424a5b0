"""How much PSNR does g_s lose in the integer arithmetic of spec/integer-ops.md?

Runs g_a in float, ŷ = round(g_a(x)), then g_s both in float (CompressAI) and in a simulation of
the spec's integer operators (§2 requant/rshift/isqrt, §3 accumulator bound, §4.1
conv_transpose2d, §5 inverse GDN) for three precision budgets. Integer accumulators are computed
with float64 convolutions on integer-valued tensors; every sum is asserted < 2^53, so they are
exact. Usage: python python/experiments/integer_precision.py [image]
"""
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
from compressai_env import import_compressai  # noqa: E402
from gic import metrics  # noqa: E402

import_compressai()
from compressai.models import ScaleHyperprior  # noqa: E402

I32 = 2**31 - 1
EXACT = 2**53


def load_model():
    d = np.load(os.path.join(ROOT, "models", "bmshj2018-hyperprior-N64-M96.npz"))
    sd = {k: torch.from_numpy(np.array(d[k])) for k in d.files if k.startswith(("g_a.", "g_s."))}
    m = ScaleHyperprior(64, 96)
    missing, unexpected = m.load_state_dict(sd, strict=False)
    assert not unexpected and not [k for k in missing if k.startswith(("g_a.", "g_s."))]
    return m.eval().double()


def rshift(a, s):
    """§2.1 on int64 tensors; s broadcastable, s >= 1."""
    return torch.bitwise_right_shift(a + torch.bitwise_left_shift(torch.ones_like(s), s - 1), s)


def mult_shift(r, amax):
    """Real factor r > 0 -> (m, s), m as wide as possible (≤ 31 bits) with amax·m < 2^62."""
    bits = min(31, 62 - math.ceil(math.log2(amax + 1)))
    s = bits - 1 - math.floor(math.log2(r))
    m = round(r * 2**s)
    if m >= 2**bits:
        m //= 2
        s -= 1
    assert 1 <= m < 2**31 and 0 < s <= 62, (m, s)
    assert amax * m < 2**62
    return m, s


def requant(a, r, amax, X, lo=None):
    """§2.2 per output channel: a (1,C,H,W) int64, r[C] real factors."""
    ms = [mult_shift(float(ri), amax) for ri in r]
    m = torch.tensor([v[0] for v in ms], dtype=torch.int64).view(1, -1, 1, 1)
    s = torch.tensor([v[1] for v in ms], dtype=torch.int64).view(1, -1, 1, 1)
    return rshift(a * m, s).clamp(-X if lo is None else lo, X)


def exponent(maxabs, X):
    return math.floor(math.log2(X / maxabs))


def int_deconv(q, e_in, e_out, conv, X, proof):
    """§4.1 with §3: q int64 activation at exponent e_in -> int64 at exponent e_out."""
    w = conv.weight.detach().double()  # (C_in, C_out, k, k)
    b = conv.bias.detach().double()
    cout = w.shape[1]
    wabs_max = w.abs().amax(dim=(0, 2, 3))
    wl1 = w.abs().sum(dim=(0, 2, 3))
    nw = w[:, 0].numel()
    s = wabs_max / 32767
    if proof:  # B_o = |b_o| + Σ|w_q|·X ≤ 2^31−1, margin for rounding of w_q and b_q
        margin = nw * X / 2 + 1
        s = torch.maximum(s, (wl1 * X + b.abs() * 2.0**e_in) / (I32 - margin))
    wq = torch.round(w / s.view(1, -1, 1, 1))
    bq = torch.round(b * 2.0**e_in / s)
    assert wq.abs().max() <= 32767 and bq.abs().max() <= I32
    B = bq.abs() + wq.abs().sum(dim=(0, 2, 3)) * X
    if proof:
        assert B.max() <= I32, B.max()
    assert B.max() < EXACT
    acc = F.conv_transpose2d(q.double(), wq, None, conv.stride, conv.padding, conv.output_padding)
    acc = acc + bq.view(1, -1, 1, 1)
    a = acc.to(torch.int64)
    assert a.abs().max() <= B.max()
    return requant(a, s * 2.0 ** (e_out - e_in), int(B.max()), X), float(B.max()), cout


def isqrt(n):
    r = torch.sqrt(n.double()).floor().to(torch.int64)
    for _ in range(3):
        r = torch.where(r * r > n, r - 1, r)
        r = torch.where((r + 1) * (r + 1) <= n, r + 1, r)
    return r


def int_igdn(q, e_in, e_out, gdn, X, proof, t):
    """§5 inverse GDN with square shift t."""
    beta = gdn.beta_reparam(gdn.beta).detach().double()
    gamma = gdn.gamma_reparam(gdn.gamma).detach().double()  # (C, C): n_i = β_i + Σ_j γ_ij x_j²
    U = int(rshift(torch.tensor(X * X), torch.tensor(t))) if t > 0 else X * X
    L = 2.0 ** (t - 2 * e_in)  # real x² per unit of u
    s = gamma.abs().amax(dim=1) / 32767
    if proof:
        margin = gamma.shape[1] * U / 2 + 1
        if margin > I32 / 4:  # u too wide for the int32 budget: this t is not usable
            return None, None
        s = torch.maximum(s, (gamma.abs().sum(1) * U + beta / L) / (I32 - margin))
    while True:
        gq = torch.round(gamma / s.view(-1, 1))
        bq = torch.round(beta / (s * L))
        B = bq.abs() + gq.abs().sum(1) * U
        if not proof or B.max() <= I32:
            break
        s = torch.where(B > I32, s * (1 + 2**-12), s)
    assert gq.abs().max() <= 32767 and B.max() < EXACT
    Bm = int(B.max())
    u = rshift(q * q, torch.tensor(t)) if t > 0 else q * q
    n = F.conv2d(u.double(), gq.view(*gq.shape, 1, 1)) + bq.view(1, -1, 1, 1)
    n = n.to(torch.int64).clamp(min=0)
    k = 0
    while k + 2 <= 30 and Bm * 2 ** (k + 2) < 2**62:
        k += 2
    r = isqrt(n * 2**k)
    rmax = math.isqrt(Bm * 2**k)
    # out_real = x·sqrt(n_real) = q·2^-e_in · r·2^(-k/2) · sqrt(s_i·L)
    fac = torch.sqrt(s * L) * 2.0 ** (e_out - e_in - k / 2)
    return requant(q * r, fac, X * rmax, X), float(Bm)


def psnr(a, b):
    return metrics.psnr_from_mse(float(((a - b) ** 2).mean()), 1.0)


def snr(ref, x):
    return 10 * math.log10(float((ref**2).sum()) / float(((ref - x) ** 2).sum()))


def run_int(gs, yhat, acts, X, proof, ts=(None,)):
    """acts: float activations after each g_s module (calibration + reference)."""
    e = [exponent(float(yhat.abs().max()), X)] + [exponent(float(a.abs().max()), X) for a in acts]
    q = torch.round(yhat * 2.0 ** e[0]).to(torch.int64).clamp(-X, X)
    layers = []
    for i, mod in enumerate(gs):
        if isinstance(mod, torch.nn.ConvTranspose2d):
            q, B, _ = int_deconv(q, e[i], e[i + 1], mod, X, proof)
            info = ""
        else:  # choose t by the layer's own SNR on this image (calibration)
            best = None
            for t in ts:
                cand, B = int_igdn(q, e[i], e[i + 1], mod, X, proof, t)
                if cand is None:
                    continue
                sn = snr(acts[i], cand.double() * 2.0 ** -e[i + 1])
                if best is None or sn > best[0]:
                    best = (sn, t, cand, B)
            _, t, q, B = best
            info = f"t={t}"
        deq = q.double() * 2.0 ** -e[i + 1]
        layers.append((f"g_s.{i} {type(mod).__name__}", e[i + 1], B, snr(acts[i], deq), info))
    return deq, layers


def main():
    img = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "data/images/test-768x512.png")
    x = torch.from_numpy(np.asarray(Image.open(img).convert("RGB"), dtype=np.float64) / 255)
    x = x.permute(2, 0, 1).unsqueeze(0)
    model = load_model()
    with torch.no_grad():
        yhat = torch.round(model.g_a(x))
        acts, h = [], yhat
        for mod in model.g_s:
            h = mod(h)
            acts.append(h)
        xf = acts[-1].clamp(0, 1)
        print(f"image {os.path.relpath(img, ROOT)}  max|ŷ|={float(yhat.abs().max()):.0f}")
        print(f"float g_s: PSNR vs original {psnr(xf, x):.3f} dB")
        budgets = [
            ("A", 2**12 - 1, True),
            ("B", 2**14 - 1, True),
            ("C", 2**15 - 1, False),
        ]
        rows = []
        for name, X, proof in budgets:
            ts = range(0, 25, 2)
            deq, layers = run_int(model.g_s, yhat, acts, X, proof, ts)
            xi = deq.clamp(0, 1)
            maxdiff = float((xi - xf).abs().max()) * 255
            maxdiff8 = int((torch.round(xi * 255) - torch.round(xf * 255)).abs().max())
            rows.append((name, X, proof, psnr(xi, x), psnr(xf, x), psnr(xi, xf), maxdiff, maxdiff8))
            print(f"\nbudget {name}: X={X} ({'int32 proof' if proof else 'max-abs int16 weights, int64 acc'})")
            print(f"  {'layer':28s} {'e_out':>5s} {'max B':>10s} {'SNR dB':>8s}")
            for ln, eo, B, sn, info in layers:
                print(f"  {ln:28s} {eo:5d} {B:10.3g} {sn:8.2f} {info}")
        print("\n| budget | X | accumulator | PSNR int vs orig | PSNR float vs orig | ΔPSNR |"
              " PSNR int vs float | max |Δ| (×255) | max |Δ| 8-bit |")
        print("|---|---|---|---|---|---|---|---|---|")
        for name, X, proof, pi, pf, pif, md, md8 in rows:
            acc = "int32 (proof §3)" if proof else "int64 exact"
            print(f"| {name} | {X} | {acc} | {pi:.3f} | {pf:.3f} | {pi - pf:+.4f} | {pif:.2f} | {md:.3f} | {md8} |")


if __name__ == "__main__":
    main()
