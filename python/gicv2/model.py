"""gic-v2: the rate-variable generative codec of the seed paper, trained for realism at low rates.

gic-v2 keeps gic-v1's network family (python/gicv1/model.py: mbt2018-mean-shaped g_a, g_s, h_a,
h_s, the q-conditioned reverse network U and the few-step sampler with the normative noise), so
the converter's `gic-v1` profile, spec/integer-ops.md and spec/bitstream.md §7 carry it without a
new operator or table. What changes is what it is trained for and over which range:

* **A wide forward process.** q(l) = q_max exp(-Delta l) with q_max = 256, q_min = 0.5 (gic-v1:
  8 and 0.5): one model spans ~0.05 to ~1.9 bpp on photographs. Delta = ln 512 / 255, so
  neighbouring rate indices differ by 2.5 % in q.
* **The reverse network as the method says.** U(x, q) estimates the clean latent y from x at
  noise level q (the gradient of the rate-variable feature distribution, up to the factor q^2:
  grad log p_q(x) ~ (U(x, q) - x) / q^2). It is trained on the coded latent at q and on
  y + (q/2)u (the level the 2-step sampler visits), in units of the noise level, with y and its
  input detached (it learns only the denoising task).
* **A synthesis transform trained on the sampler's actual output.** The 2-step sampler of
  eq. (3) of gicv1/model.py runs during training (no gradient; noise alpha * q_1 * u with u
  uniform in [-1/2, 1/2), as the normative PRNG draws it), and g_s is trained on its output
  x_2 with
    - a conditional patch discriminator D(image | y_hat) (hinge loss; `Discriminator`),
    - feature matching: L1 between D's intermediate features of the original and of g_s(x_2),
    - a small MSE on g_s(x_2),
  while the 0-step decode g_s(y_hat) keeps the ordinary rate + lambda * MSE objective that also
  trains the analysis transform and the hyperprior. No pretrained perceptual network is used
  (none can be downloaded here): the losses are exactly these.
* **alpha is the realism knob**: the sampler's noise scale (sampler.alpha); a decode without a
  seed uses alpha = 0.
"""
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from gicv1 import model as gm  # noqa: E402

Q_MAX = 256.0
Q_MIN = 0.5


def build(N=48, M=64, W=48, q_max=Q_MAX, q_min=Q_MIN):
    """A gic-v2 model (a GICv1 network over the wide q schedule)."""
    return gm.GICv1(N, M, W, q_max=q_max, q_min=q_min)


COND_SCALE = 1.0 / 32  # y_hat is O(10-100); scaled to the image's O(1) before the projection


class Discriminator(nn.Module):
    """Conditional patch discriminator D(image | y_hat) (after HiFiC's, smaller).

    The coded latent (M channels at 1/16 resolution), scaled by 1/32 (unscaled, its projection
    was ~20 times larger than the image input and D's output did not depend on the image: real
    and decoded logits equal to 4 digits for 3,700 steps), is projected to 12 channels by a 1x1
    convolution, upsampled by 16 (nearest) and concatenated with the image (scaled to [-1, 1]).
    Four 4x4 stride-2 convolutions (32, 64, 128, 256 channels, LeakyReLU 0.2) and a 1x1 head
    give one logit per 16x16 patch. No spectral normalisation: with it (gain <= 1 per layer) the
    discriminator could not amplify the small differences between originals and decodes and
    stayed constant (hinge loss exactly 2 for 400 steps in a CPU run); gradient clipping bounds
    it instead. `forward` returns (logits, features) where
    features are the four intermediate activations used for feature matching.
    """

    def __init__(self, M, cond_channels=12, widths=(32, 64, 128, 256)):
        super().__init__()
        self.cond = nn.Conv2d(M, cond_channels, 1)
        layers = []
        cin = 3 + cond_channels
        for w in widths:
            layers.append(nn.Conv2d(cin, w, 4, stride=2, padding=1))
            cin = w
        self.layers = nn.ModuleList(layers)
        self.head = nn.Conv2d(cin, 1, 1)

    def forward(self, image, y_hat):
        c = F.interpolate(self.cond(y_hat * COND_SCALE), scale_factor=16, mode="nearest")
        h = torch.cat([image * 2 - 1, c], dim=1)
        feats = []
        for layer in self.layers:
            h = F.leaky_relu(layer(h), 0.2)
            feats.append(h)
        return self.head(h), feats


def step_ratio(model, steps=2):
    """q_1 / q_0 of the n-step sampler: exp(-Delta d_{n,1}) with the normative level offsets."""
    d = model.rate.level_offsets(steps)
    return math.exp(-model.rate.delta() * d[1])


@torch.no_grad()
def sample_train(model, y_tilde, q, alpha, steps=2):
    """The sampler of gicv1 eq. (3) for a batch with per-image q (B,), without gradient.

    Levels: q_i = q * exp(-Delta d_{n,i}) (the normative offsets); noise alpha q_{i+1} u with u
    uniform in [-1/2, 1/2) (the distribution of the normative PRNG's draws).
    """
    if steps == 0:
        return y_tilde
    d = model.rate.level_offsets(steps)
    ratios = [math.exp(-model.rate.delta() * di) for di in d]
    x = y_tilde
    b = x.size(0)
    for i in range(steps):
        qi = q * ratios[i]
        x_hat = model.reverse(x, qi)
        if i == steps - 1:
            return x_hat
        qn = (q * ratios[i + 1]).view(b, 1, 1, 1)
        x = x_hat + (qn / qi.view(b, 1, 1, 1)) * (x - x_hat)
        if torch.is_tensor(alpha):  # one alpha per image
            x = x + alpha.view(b, 1, 1, 1) * qn * (torch.rand_like(x) - 0.5)
        elif alpha:
            x = x + alpha * qn * (torch.rand_like(x) - 0.5)
    return x


def forward_train(model, x, q, alpha=1.0, steps=2):
    """One gic-v2 training pass (see the module docstring).

    Returns bits_y, bits_z, lat_q, lat_mid (per image, as GICv1.forward_train), x_hat0 =
    g_s(y_tilde) (gradient into every transform), x_hat2 = g_s(sampler output) (gradient into g_s
    only) and y_tilde (detached, the discriminator's condition).
    """
    b = x.size(0)
    qv = q.view(b, 1, 1, 1)
    y = model.g_a(x)
    z = model.h_a(y)
    z_hat, z_lik = model.entropy_bottleneck(z, mode="ste")
    scales, means = model.hyper_params(z_hat)
    s = gm.ste_round((y - means) / qv)
    y_tilde = s * qv + means
    y_lik = model.gaussian_conditional(s, scales / qv)

    yd, ytd = y.detach(), y_tilde.detach()
    q_mid = q * step_ratio(model, 2)
    x_mid = yd + q_mid.view(b, 1, 1, 1) * (torch.rand_like(yd) - 0.5)
    u_out = model.reverse(torch.cat([ytd, x_mid], dim=0), torch.cat([q, q_mid]))
    err = ((u_out - torch.cat([yd, yd], dim=0)) ** 2).mean(dim=(1, 2, 3))

    x_n = sample_train(model, ytd, q, alpha, steps)
    x_hat = model.g_s(torch.cat([y_tilde, x_n], dim=0))
    return {
        "x_hat0": x_hat[:b],
        "x_hat2": x_hat[b:],
        "y_tilde": ytd,
        "bits_y": -torch.log2(y_lik).sum(dim=(1, 2, 3)),
        "bits_z": -torch.log2(z_lik).sum(dim=(1, 2, 3)),
        "lat_q": err[:b] / q ** 2,
        "lat_mid": err[b:] / q_mid ** 2,
    }


def laplacian_pyramid(x, levels=4):
    """[L_0, ..., L_{levels-2}, G_{levels-1}]: L_k = G_k - up(G_{k+1}), G_{k+1} = avgpool2(G_k)."""
    out = []
    g = x
    for _ in range(levels - 1):
        down = F.avg_pool2d(g, 2)
        out.append(g - F.interpolate(down, size=g.shape[2:], mode="bilinear", align_corners=False))
        g = down
    out.append(g)
    return out


def patch_sw_loss(real, fake, levels=4, patches=1024, directions=64, size=7):
    """Sliced Wasserstein distance between the 7x7 neighbourhoods of the Laplacian pyramids of
    `real` and `fake`, per image (the realism statistic of the evaluation, after Karras et al.
    2018, made a loss as in Heitz et al. 2021): at every level, `patches` random neighbourhood
    positions (the same in both pictures), projected on `directions` random unit vectors drawn
    anew at each call; the 1-D distributions are compared by sorting. Mean over levels.
    """
    total = 0.0
    for lr, lf in zip(laplacian_pyramid(real, levels), laplacian_pyramid(fake, levels)):
        pr = F.unfold(lr, size)  # (B, 3*size*size, L)
        pf = F.unfold(lf, size)
        n = pr.size(2)
        if n > patches:
            idx = torch.randperm(n, device=pr.device)[:patches]
            pr, pf = pr[:, :, idx], pf[:, :, idx]
        d = torch.randn(pr.size(1), directions, device=pr.device, dtype=pr.dtype)
        d = d / d.norm(dim=0, keepdim=True)
        sr = torch.sort(torch.einsum("bcl,cd->bdl", pr, d), dim=2)[0]
        sf = torch.sort(torch.einsum("bcl,cd->bdl", pf, d), dim=2)[0]
        total = total + (sr - sf).abs().mean()
    return total / levels


_BINOMIAL5 = (1.0, 4.0, 6.0, 4.0, 1.0)


def _binomial_blur(x, gain=1.0):
    """Separable 5x5 binomial filter [1 4 6 4 1]^2/256 (times gain^2), reflect boundaries: the
    filter of cv2.pyrDown / pyrUp and of the evaluation's pyramid (python/gicv2/metrics.py)."""
    c = x.size(1)
    k = torch.tensor(_BINOMIAL5, dtype=x.dtype, device=x.device) * (gain / 16.0)
    x = F.conv2d(F.pad(x, (2, 2, 0, 0), mode="reflect"), k.view(1, 1, 1, 5).repeat(c, 1, 1, 1), groups=c)
    return F.conv2d(F.pad(x, (0, 0, 2, 2), mode="reflect"), k.view(1, 1, 5, 1).repeat(c, 1, 1, 1), groups=c)


def binomial_pyramid(x, min_size=16):
    """The evaluation's Laplacian pyramid (metrics.laplacian_pyramid) in torch, differentiable:
    band-pass levels first, the low-pass residual last, as many levels as keep the coarsest
    level's smaller side >= min_size."""
    levels = [x]
    while min(levels[-1].shape[2:]) // 2 >= min_size:
        g = levels[-1]
        down = _binomial_blur(g)[:, :, ::2, ::2]
        up = torch.zeros(g.size(0), g.size(1), down.size(2) * 2, down.size(3) * 2, dtype=g.dtype, device=g.device)
        up[:, :, ::2, ::2] = down
        up = _binomial_blur(up, gain=2.0)[:, :, :g.size(2), :g.size(3)]
        levels[-1] = g - up
        levels.append(down)
    return levels


def normalized_patch_sw_loss(real, fake, patches=1024, directions=64, size=7):
    """The evaluation's realism statistic (metrics.swd, Karras et al. 2018 section 5) as a
    per-image loss: at every level of the binomial Laplacian pyramid, each picture's level is
    normalised per colour channel by its own mean and standard deviation (Karras'
    finalize_descriptors, per picture), then the 7x7 neighbourhoods at the same random positions
    are projected on random unit directions and compared by sorting. Mean over levels.
    Unlike `patch_sw_loss` it ignores each band's energy and sees only the structure of the
    neighbourhoods (blur: too correlated; noise: too white; blotches: wrong colour coupling)."""
    total, n_levels = 0.0, 0
    for lr, lf in zip(binomial_pyramid(real * 255), binomial_pyramid(fake * 255)):
        if min(lr.shape[2:]) < size:
            break

        def norm(t):
            m = t.mean(dim=(2, 3), keepdim=True)
            return (t - m) / (t - m).pow(2).mean(dim=(2, 3), keepdim=True).add(1e-6).sqrt()

        pr, pf = F.unfold(norm(lr), size), F.unfold(norm(lf), size)
        n = pr.size(2)
        if n > patches:
            idx = torch.randperm(n, device=pr.device)[:patches]
            pr, pf = pr[:, :, idx], pf[:, :, idx]
        d = torch.randn(pr.size(1), directions, device=pr.device, dtype=pr.dtype)
        d = d / d.norm(dim=0, keepdim=True)
        sr = torch.sort(torch.einsum("bcl,cd->bdl", pr, d), dim=2)[0]
        sf = torch.sort(torch.einsum("bcl,cd->bdl", pf, d), dim=2)[0]
        total = total + (sr - sf).abs().mean()
        n_levels += 1
    return total / n_levels


def gradient_energy_loss(real, fake):
    """mean over images of log(E(fake) / E(real))^2, E = sum of squared horizontal and vertical
    differences (the evaluation's gradient-energy ratio, metrics.gradient_energy_ratio): 0 when
    the decode keeps the original's texture energy, grows with blur (ratio < 1) and with
    invented noise (ratio > 1) alike."""
    def energy(t):
        return ((t[:, :, :, 1:] - t[:, :, :, :-1]) ** 2).sum(dim=(1, 2, 3)) + \
            ((t[:, :, 1:, :] - t[:, :, :-1, :]) ** 2).sum(dim=(1, 2, 3))
    # floor: a mean squared difference of 1e-5 (about 0.8/255 per step), below which a crop is
    # flat and its ratio would be noise over nothing
    floor = 1e-5 * real[0].numel()
    return (torch.log(energy(fake) + floor) - torch.log(energy(real) + floor)).pow(2).mean()
