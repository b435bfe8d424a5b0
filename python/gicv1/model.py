"""gic-v1 in PyTorch: a rate-variable generative image codec (compression as forward diffusion).

Imports only torch, numpy and the standard library (it runs on training machines without
CompressAI). State-dict keys follow CompressAI 1.2.8's `mbt2018-mean` (MeanScaleHyperprior) where
the parts are the same, so CompressAI can build the entropy-coding tables at export time
(python/gicv1/export.py) and gic's converter reads the same names.

The idea
--------
Quantising a latent with step q is read as a forward diffusion step: the coded latent
    s = round((y - mu) / q),     y_hat = s * q + mu                                      (1)
is y plus (roughly uniform) noise of width q. One network serves a continuous range of rates:
the rate parameter only sets q. The symbols are coded with the hyperprior's Gaussian of scale
sigma / q:
    P(s) = Phi((s + 1/2) / sigma') - Phi((s - 1/2) / sigma'),   sigma' = max(sigma / q, 0.11)  (2)
A reverse network U(x, q), conditioned on t = ln q, predicts the clean latent from a noisy one,
and a few-step sampler walks from y_hat (noise level q) down to noise level 0:
    x_0 = y_hat;   x_hat = U(x_i, q_i)
    x_{i+1} = x_hat + (q_{i+1} / q_i) (x_i - x_hat) + alpha_{n,i} q_{i+1} u_i   (i < n - 1)  (3)
    x_n = x_hat                                                              (i = n - 1)
(a DDIM-like step: x_i - x_hat is the predicted noise at level q_i, rescaled to level q_{i+1},
plus optional fresh noise u_i in [-1/2, 1/2) from python/gicv1/prng.py). The image is
g_s(x_n) clamped to [0, 1].

Rate schedule (normative)
-------------------------
L = 256 rate indices and E = 128 extra levels. Delta = ln(q_max / q_min) / 255 and level l
(0 <= l <= 255 + E) has
    q(l) = q_max * exp(-Delta * l)                                                       (4)
Rate index r in [0, 255] codes with q = q(r) (r = 255: q_min, the most bits); a rate R in [0, 1]
maps to r = floor(255 R + 1/2). Sampler step i of n uses level r + d_{n,i} with
    d_{n,i} = round(ln(n / (n - i)) / Delta)      (ties away from zero; d_{n,0} = 0)    (5)
so that q_i ~ q(r) (n - i) / n: the noise level falls linearly and the last step ends at q = 0.
With the defaults (q_max = 8, q_min = 0.5) the table is n=1: [0]; n=2: [0, 64];
n=3: [0, 37, 101]; n=4: [0, 26, 64, 128] (ln 4 / Delta = 127.5 exactly; a tie, rounded up). The
largest level is 255 + 128 = 255 + E. `export.py` writes the table as `sampler.level_offsets`.
"""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

RATE_LEVELS = 256  # L
EXTRA_LEVELS = 128  # E
MAX_STEPS = 4
SCALE_BOUND = 0.11  # CompressAI GaussianConditional's lower bound on the scale
LIKELIHOOD_BOUND = 1e-9  # CompressAI EntropyModel's lower bound on likelihoods


# --------------------------------------------------------------------------------------------
# Bounds and reparametrisation (CompressAI 1.2.8 semantics, own code)
# --------------------------------------------------------------------------------------------
class _LowerBoundFn(torch.autograd.Function):
    """max(x, bound) whose gradient passes where x >= bound or where it pushes x upwards."""

    @staticmethod
    def forward(ctx, x, bound):
        ctx.save_for_backward(x, bound)
        return torch.max(x, bound)

    @staticmethod
    def backward(ctx, grad):
        x, bound = ctx.saved_tensors
        return ((x >= bound) | (grad < 0)) * grad, None


def lower_bound(x, bound):
    """max(x, bound) with CompressAI's straight-through gradient; `bound` a float or tensor."""
    if not torch.is_tensor(bound):
        bound = torch.tensor([float(bound)], dtype=x.dtype, device=x.device)
    return _LowerBoundFn.apply(x, bound.to(dtype=x.dtype))


class LowerBound(nn.Module):
    """Buffer `bound` (shape (1,)); forward = lower_bound(x, bound)."""

    def __init__(self, bound):
        super().__init__()
        self.register_buffer("bound", torch.tensor([float(bound)], dtype=torch.float32))

    def forward(self, x):
        return lower_bound(x, self.bound)


class NonNegativeParametrizer(nn.Module):
    """Stores a non-negative value v as p = sqrt(max(v + pedestal, pedestal)); pedestal = 2^-36.

    effective(p) = max(p, bound)^2 - pedestal,  bound = sqrt(minimum + pedestal)
    (buffers `pedestal` and `lower_bound.bound`, as CompressAI's NonNegativeParametrizer with
    reparam_offset 2^-18).
    """

    def __init__(self, minimum=0.0, reparam_offset=2.0 ** -18):
        super().__init__()
        self.minimum = float(minimum)
        pedestal = float(reparam_offset) ** 2
        self.register_buffer("pedestal", torch.tensor([pedestal], dtype=torch.float32))
        self.lower_bound = LowerBound((self.minimum + pedestal) ** 0.5)

    def init(self, v):
        return torch.sqrt(torch.max(v + self.pedestal, self.pedestal))

    def forward(self, p):
        return self.lower_bound(p) ** 2 - self.pedestal


class GDN(nn.Module):
    """Generalised divisive normalisation (Balle et al. 2016), CompressAI's parametrisation.

    norm_i = beta_i + sum_j gamma_ij x_j^2;   GDN: y_i = x_i / sqrt(norm_i);
    inverse GDN (IGDN): y_i = x_i * sqrt(norm_i).
    Parameters `beta` (C,) and `gamma` (C, C) are stored reparametrised (NonNegativeParametrizer,
    minimum 1e-6 for beta, 0 for gamma); initial beta = 1, gamma = 0.1 I.
    """

    def __init__(self, channels, inverse=False, beta_min=1e-6, gamma_init=0.1):
        super().__init__()
        self.inverse = bool(inverse)
        self.beta_reparam = NonNegativeParametrizer(minimum=beta_min)
        self.beta = nn.Parameter(self.beta_reparam.init(torch.ones(channels)))
        self.gamma_reparam = NonNegativeParametrizer()
        self.gamma = nn.Parameter(self.gamma_reparam.init(gamma_init * torch.eye(channels)))

    def effective(self):
        """(beta, gamma) as used in the formula."""
        return self.beta_reparam(self.beta), self.gamma_reparam(self.gamma)

    def forward(self, x):
        c = x.size(1)
        beta, gamma = self.effective()
        norm = F.conv2d(x * x, gamma.reshape(c, c, 1, 1), beta)
        return x * (torch.sqrt(norm) if self.inverse else torch.rsqrt(norm))


def conv(cin, cout, k=5, stride=2):
    return nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2)


def deconv(cin, cout, k=5, stride=2):
    return nn.ConvTranspose2d(cin, cout, k, stride=stride, padding=k // 2, output_padding=stride - 1)


def ste_round(x):
    """round(x) forward, identity gradient (straight-through)."""
    return x + (torch.round(x) - x).detach()


# --------------------------------------------------------------------------------------------
# Entropy models
# --------------------------------------------------------------------------------------------
class EntropyBottleneck(nn.Module):
    """Factorised prior of z (Balle et al. 2018), state dict identical to CompressAI 1.2.8's.

    Per channel, a monotone cumulative c(v) = f_K(...f_1(v)) with
        f_k(v) = softplus(H_k) v + b_k + tanh(a_k) * tanh(softplus(H_k) v + b_k)  (a_k: k < K)
    and the likelihood of an integer-spaced value v is sigmoid(c(v + 1/2)) - sigmoid(c(v - 1/2)),
    lower-bounded at 1e-9. Coding is around the medians m_c = quantiles[c, 0, 1]:
        s_z = round(z - m_c),   z_hat = s_z + m_c.
    The aux loss sum |c(quantiles) - target| (target = (-t, 0, t), t = ln(2 / tail_mass - 1))
    moves the quantiles to the tails/median of the learned density (trained by its own
    optimizer, with the density parameters held). CDF tables (`_offset`, `_quantized_cdf`,
    `_cdf_length`) are left empty here and built by CompressAI at export.
    """

    def __init__(self, channels, tail_mass=1e-9, init_scale=10.0, filters=(3, 3, 3, 3)):
        super().__init__()
        self.channels = int(channels)
        self.filters = tuple(int(f) for f in filters)
        self.likelihood_lower_bound = LowerBound(LIKELIHOOD_BOUND)
        self.register_buffer("_offset", torch.zeros(0, dtype=torch.int32))
        self.register_buffer("_quantized_cdf", torch.zeros(0, dtype=torch.int32))
        self.register_buffer("_cdf_length", torch.zeros(0, dtype=torch.int32))

        dims = (1,) + self.filters + (1,)
        scale = float(init_scale) ** (1 / (len(self.filters) + 1))
        self.matrices = nn.ParameterList()
        self.biases = nn.ParameterList()
        self.factors = nn.ParameterList()
        for i in range(len(self.filters) + 1):
            init = float(np.log(np.expm1(1 / scale / dims[i + 1])))
            self.matrices.append(nn.Parameter(torch.full((channels, dims[i + 1], dims[i]), init)))
            self.biases.append(nn.Parameter(torch.empty(channels, dims[i + 1], 1).uniform_(-0.5, 0.5)))
            if i < len(self.filters):
                self.factors.append(nn.Parameter(torch.zeros(channels, dims[i + 1], 1)))
        q = torch.tensor([-init_scale, 0.0, init_scale], dtype=torch.float32)
        self.quantiles = nn.Parameter(q.repeat(channels, 1, 1))
        t = float(np.log(2 / tail_mass - 1))
        self.register_buffer("target", torch.tensor([-t, 0.0, t], dtype=torch.float32))

    def medians(self):
        """m_c = quantiles[:, 0, 1], shape (C,)."""
        return self.quantiles[:, 0, 1]

    def logits_cumulative(self, v, stop_gradient=False):
        """c(v) for v of shape (C, 1, K)."""
        for i in range(len(self.filters) + 1):
            matrix, bias = self.matrices[i], self.biases[i]
            if stop_gradient:
                matrix, bias = matrix.detach(), bias.detach()
            v = torch.matmul(F.softplus(matrix), v) + bias
            if i < len(self.filters):
                factor = self.factors[i].detach() if stop_gradient else self.factors[i]
                v = v + torch.tanh(factor) * torch.tanh(v)
        return v

    def likelihood(self, z_hat):
        """P(z_hat) for z_hat (B, C, H, W) on the median-shifted integer grid, lower-bounded."""
        c = z_hat.size(1)
        v = z_hat.transpose(0, 1).reshape(c, 1, -1)
        p = torch.sigmoid(self.logits_cumulative(v + 0.5)) - torch.sigmoid(self.logits_cumulative(v - 0.5))
        p = self.likelihood_lower_bound(p)
        return p.reshape(c, z_hat.size(0), *z_hat.shape[2:]).transpose(0, 1)

    def quantize(self, z, mode="ste"):
        """z_hat = round(z - m) + m ("ste": straight-through gradient; "noise": z + U(-1/2, 1/2);
        "round": no gradient). The medians are detached: only the aux loss moves them."""
        m = self.medians().detach().view(1, -1, 1, 1)
        if mode == "noise":
            return z + torch.empty_like(z).uniform_(-0.5, 0.5)
        if mode == "ste":
            return ste_round(z - m) + m
        return torch.round(z - m) + m

    def forward(self, z, mode="ste"):
        z_hat = self.quantize(z, mode)
        return z_hat, self.likelihood(z_hat)

    def symbols(self, z):
        """s_z = round(z - m_c) (int32)."""
        return torch.round(z - self.medians().view(1, -1, 1, 1)).to(torch.int32)

    def dequantize(self, s_z, dtype=torch.float32):
        return s_z.to(dtype) + self.medians().to(dtype).view(1, -1, 1, 1)

    def loss(self):
        """Aux loss: sum |c(quantiles) - target| (gradient only into `quantiles`)."""
        return torch.abs(self.logits_cumulative(self.quantiles, stop_gradient=True) - self.target).sum()


class GaussianConditional(nn.Module):
    """Gaussian likelihood of integer symbols s with scale sigma' (stateless here).

        P(s) = Phi((1/2 - |s|) / sigma') - Phi((-1/2 - |s|) / sigma'),  sigma' = max(sigma/q, 0.11)
    lower-bounded at 1e-9 (eq. 2; |s| as CompressAI, for precision in the tails). The export adds
    CompressAI's `gaussian_conditional.*` tables (scale_table, _quantized_cdf, ...); the coder
    picks the table entry from sigma/q exactly as CompressAI's build_indexes.
    """

    @staticmethod
    def cdf(x):
        return 0.5 * torch.erfc(-x * (2 ** -0.5))

    def forward(self, s, scale):
        scale = lower_bound(scale, SCALE_BOUND)
        v = torch.abs(s)
        p = self.cdf((0.5 - v) / scale) - self.cdf((-0.5 - v) / scale)
        return lower_bound(p, LIKELIHOOD_BOUND)


# --------------------------------------------------------------------------------------------
# Rate schedule and sampler constants
# --------------------------------------------------------------------------------------------
def round_half_away(x):
    return int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


class RateSchedule(nn.Module):
    """Buffers `q_max`, `q_min` (shape (1,)); q(l) = q_max exp(-Delta l), Delta = ln(q_max/q_min)/255."""

    def __init__(self, q_max=8.0, q_min=0.5):
        super().__init__()
        self.register_buffer("q_max", torch.tensor([float(q_max)], dtype=torch.float32))
        self.register_buffer("q_min", torch.tensor([float(q_min)], dtype=torch.float32))

    def bounds(self):
        return float(self.q_max.item()), float(self.q_min.item())

    def delta(self):
        q_max, q_min = self.bounds()
        return math.log(q_max / q_min) / (RATE_LEVELS - 1)

    def q(self, level):
        """q(level) in float64 (eq. 4); level in [0, 255 + E]."""
        level = int(level)
        if not 0 <= level <= RATE_LEVELS - 1 + EXTRA_LEVELS:
            raise ValueError(f"level {level} out of [0, {RATE_LEVELS - 1 + EXTRA_LEVELS}]")
        q_max, _ = self.bounds()
        return q_max * math.exp(-self.delta() * level)

    @staticmethod
    def rate_index(rate):
        """r = floor(255 R + 1/2) for R in [0, 1]."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate {rate} out of [0, 1]")
        return int(math.floor((RATE_LEVELS - 1) * rate + 0.5))

    def level_offsets(self, steps):
        """[d_{n,0}, ..., d_{n,n-1}] (eq. 5)."""
        return level_offsets(steps, self.delta())


def level_offsets(steps, delta):
    """d_{n,i} = round(ln(n/(n-i)) / Delta), ties away from zero, for 0 <= i < n."""
    return [round_half_away(math.log(steps / (steps - i)) / delta) for i in range(steps)]


def level_offset_table(delta, max_steps=MAX_STEPS):
    """int32 (max_steps, max_steps): row n-1, column i = d_{n,i} (0 where i >= n)."""
    t = np.zeros((max_steps, max_steps), dtype=np.int32)
    for n in range(1, max_steps + 1):
        t[n - 1, :n] = level_offsets(n, delta)
    return t


def default_alpha(max_steps=MAX_STEPS, value=1.0):
    """alpha_{n,i} = `value` for the steps that add noise (i < n - 1), 0 for the unused entries."""
    a = np.zeros((max_steps, max_steps), dtype=np.float32)
    for n in range(1, max_steps + 1):
        a[n - 1, : n - 1] = value
    return a


class SamplerConfig(nn.Module):
    """Buffers `alpha` (4, 4) float32 (row n-1, column i: alpha_{n,i} of eq. 3) and
    `extra_levels` (1,) int32 (E = 128)."""

    def __init__(self, alpha=None):
        super().__init__()
        a = default_alpha() if alpha is None else np.asarray(alpha, dtype=np.float32)
        self.register_buffer("alpha", torch.from_numpy(a.copy()))
        self.register_buffer("extra_levels", torch.tensor([EXTRA_LEVELS], dtype=torch.int32))


# --------------------------------------------------------------------------------------------
# Reverse network U(x, q)
# --------------------------------------------------------------------------------------------
class ReverseNet(nn.Module):
    """U(x, q): predicts the clean latent from x at noise level q (t = ln q).

        e = SiLU(cond.2(SiLU(cond.0(t))))                       cond: Linear(1,64), Linear(64,64)
        film(h, k) = h * (1 + gamma_k) + beta_k,  (gamma_k, beta_k) = chunk(film{k}(e), 2)
        h0 = film(relu(conv_in(x)), 0)                           Conv2d(M, W, 3, p1)
        h1 = relu(conv_down(h0))                                 Conv2d(W, W, 3, s2, p1)
        h1 = film(relu(conv_mid(h1)), 1)                         Conv2d(W, W, 3, p1)
        h2 = film(relu(pixel_shuffle(conv_up(h1), 2) + h0), 2)   Conv2d(W, 4W, 3, p1)
        U(x, q) = x + conv_out(h2)                               Conv2d(W, M, 3, p1)
    The FiLM layers and conv_out start at zero, so U starts as the identity. Latent height and
    width must be even (they are multiples of 4: images are padded to multiples of 64).
    """

    def __init__(self, M, W=64, cond_dim=64):
        super().__init__()
        self.cond = nn.Sequential(nn.Linear(1, cond_dim), nn.SiLU(), nn.Linear(cond_dim, cond_dim), nn.SiLU())
        self.film0 = nn.Linear(cond_dim, 2 * W)
        self.film1 = nn.Linear(cond_dim, 2 * W)
        self.film2 = nn.Linear(cond_dim, 2 * W)
        self.conv_in = nn.Conv2d(M, W, 3, padding=1)
        self.conv_down = nn.Conv2d(W, W, 3, stride=2, padding=1)
        self.conv_mid = nn.Conv2d(W, W, 3, padding=1)
        self.conv_up = nn.Conv2d(W, 4 * W, 3, padding=1)
        self.conv_out = nn.Conv2d(W, M, 3, padding=1)
        for m in (self.film0, self.film1, self.film2, self.conv_out):
            nn.init.zeros_(m.weight)
            nn.init.zeros_(m.bias)

    def embed(self, q, batch, ref):
        """e (B, 64) from q: a float, or a tensor of shape () / (B,)."""
        q = torch.as_tensor(q, dtype=ref.dtype, device=ref.device).reshape(-1, 1)
        if q.size(0) == 1 and batch > 1:
            q = q.expand(batch, 1)
        return self.cond(torch.log(q))

    @staticmethod
    def film(h, params):
        gamma, beta = params.chunk(2, dim=1)
        return h * (1 + gamma[:, :, None, None]) + beta[:, :, None, None]

    def forward(self, x, q):
        e = self.embed(q, x.size(0), x)
        h0 = self.film(F.relu(self.conv_in(x)), self.film0(e))
        h1 = F.relu(self.conv_down(h0))
        h1 = self.film(F.relu(self.conv_mid(h1)), self.film1(e))
        h2 = self.film(F.relu(F.pixel_shuffle(self.conv_up(h1), 2) + h0), self.film2(e))
        return x + self.conv_out(h2)


# --------------------------------------------------------------------------------------------
# The codec
# --------------------------------------------------------------------------------------------
class GICv1(nn.Module):
    """g_a, g_s, h_a, h_s as CompressAI mbt2018-mean (N, M); reverse network U (width W)."""

    def __init__(self, N=64, M=96, W=64, q_max=8.0, q_min=0.5, alpha=None):
        super().__init__()
        if M % 2:
            raise ValueError("M must be even (h_s has 3M/2 channels)")
        self.N, self.M, self.W = int(N), int(M), int(W)
        self.entropy_bottleneck = EntropyBottleneck(N)
        self.g_a = nn.Sequential(conv(3, N), GDN(N), conv(N, N), GDN(N), conv(N, N), GDN(N), conv(N, M))
        self.g_s = nn.Sequential(
            deconv(M, N), GDN(N, inverse=True), deconv(N, N), GDN(N, inverse=True),
            deconv(N, N), GDN(N, inverse=True), deconv(N, 3))
        self.h_a = nn.Sequential(
            conv(M, N, 3, 1), nn.LeakyReLU(0.01), conv(N, N), nn.LeakyReLU(0.01), conv(N, N))
        self.h_s = nn.Sequential(
            deconv(N, M), nn.LeakyReLU(0.01), deconv(M, M * 3 // 2), nn.LeakyReLU(0.01),
            conv(M * 3 // 2, M * 2, 3, 1))
        self.gaussian_conditional = GaussianConditional()
        self.reverse = ReverseNet(M, W)
        self.rate = RateSchedule(q_max, q_min)
        self.sampler = SamplerConfig(alpha)

    # ---- hyperprior -------------------------------------------------------------------------
    def hyper_params(self, z_hat):
        """(sigma, mu) = chunk(h_s(z_hat), 2) (scales first, as mbt2018-mean)."""
        scales, means = self.h_s(z_hat).chunk(2, dim=1)
        return scales, means

    # ---- training ---------------------------------------------------------------------------
    def forward_train(self, x, q, z_mode="ste"):
        """One training pass for images x (B, 3, H, W) in [0, 1] and steps q (B,).

        y = g_a(x); z = h_a(y); z_hat = STE-round(z - m) + m; (sigma, mu) = h_s(z_hat)
        s = STE-round((y - mu) / q);  y_tilde = s q + mu                        (eq. 1)
        bits = -log2 P(s | sigma/q) - log2 P_z(z_hat)                           (eq. 2)
        x_hat0 = g_s(y_tilde);  y_rev = U(y_tilde, q);  x_hat1 = g_s(y_rev)
        latent targets (train U only; y detached):
          lat_q   = mean((U(y_tilde, q) - y)^2) / q^2
          lat_mid = mean((U(y + (q/2) u, q/2) - y)^2) / (q/2)^2,  u ~ U[-1/2, 1/2)
        Returns a dict of per-image tensors (bits_y, bits_z, lat_q, lat_mid) and x_hat0, x_hat1.
        """
        b = x.size(0)
        qv = q.view(b, 1, 1, 1)
        y = self.g_a(x)
        z = self.h_a(y)
        z_hat, z_lik = self.entropy_bottleneck(z, mode=z_mode)
        scales, means = self.hyper_params(z_hat)
        s = ste_round((y - means) / qv)
        y_tilde = s * qv + means
        y_lik = self.gaussian_conditional(s, scales / qv)
        y_rev = self.reverse(y_tilde, q)
        x_hat = self.g_s(torch.cat([y_tilde, y_rev], dim=0))
        x_hat0, x_hat1 = x_hat[:b], x_hat[b:]

        yd = y.detach()
        q_mid = q / 2
        x_mid = yd + q_mid.view(b, 1, 1, 1) * (torch.rand_like(yd) - 0.5)
        u_out = self.reverse(torch.cat([y_tilde.detach(), x_mid], dim=0), torch.cat([q, q_mid]))
        err = ((u_out - torch.cat([yd, yd], dim=0)) ** 2).mean(dim=(1, 2, 3))
        lat_q = err[:b] / q ** 2
        lat_mid = err[b:] / q_mid ** 2
        return {
            "x_hat0": x_hat0,
            "x_hat1": x_hat1,
            "bits_y": -torch.log2(y_lik).sum(dim=(1, 2, 3)),
            "bits_z": -torch.log2(z_lik).sum(dim=(1, 2, 3)),
            "lat_q": lat_q,
            "lat_mid": lat_mid,
        }

    def aux_loss(self):
        return self.entropy_bottleneck.loss()

    # ---- coding (float reference) -----------------------------------------------------------
    def encode_latents(self, x, rate_index):
        """Symbols for a padded image batch x: (z_symbols, y_symbols, scales/q) with
        s_z = round(z - m), s_y = round((y - mu)/q(r))."""
        q = self.rate.q(rate_index)
        y = self.g_a(x)
        z = self.h_a(y)
        s_z = self.entropy_bottleneck.symbols(z)
        scales, means = self.hyper_params(self.entropy_bottleneck.dequantize(s_z, x.dtype))
        s_y = torch.round((y - means) / q).to(torch.int32)
        return s_z, s_y, scales / q

    def y_hat(self, z_symbols, y_symbols, rate_index):
        """y_hat = s_y q(r) + mu, mu from h_s(s_z + m)."""
        dtype = self.g_s[0].weight.dtype
        _, means = self.hyper_params(self.entropy_bottleneck.dequantize(z_symbols, dtype))
        return y_symbols.to(dtype) * self.rate.q(rate_index) + means

    def sample(self, y_hat, rate_index, steps, seed=None, noise=None):
        """The few-step sampler (eq. 3) from y_hat at q(r); returns x_n (steps = 0: y_hat).

        `noise(i, shape)` returns u_i (defaults to prng.noise_numpy with `seed`); no noise
        when seed is None.
        """
        if not 0 <= steps <= MAX_STEPS:
            raise ValueError(f"steps {steps} out of [0, {MAX_STEPS}]")
        qs = [self.rate.q(rate_index + d) for d in self.rate.level_offsets(steps)] if steps else []
        x = y_hat
        for i in range(steps):
            x_hat = self.reverse(x, qs[i])
            if i == steps - 1:
                x = x_hat
                break
            nxt = x_hat + (qs[i + 1] / qs[i]) * (x - x_hat)
            if seed is not None:
                alpha = float(self.sampler.alpha[steps - 1, i].item())
                if noise is not None:
                    u = noise(i, x.shape[1:])
                else:
                    from_numpy = _noise_numpy(seed, i, x.shape[1:])
                    u = torch.from_numpy(from_numpy).to(device=x.device, dtype=x.dtype)
                nxt = nxt + alpha * qs[i + 1] * u.unsqueeze(0)
            x = nxt
        return x

    def synthesize(self, x_n):
        """g_s(x_n) clamped to [0, 1]."""
        return self.g_s(x_n).clamp(0.0, 1.0)


def _noise_numpy(seed, step, shape):
    try:
        from . import prng
    except ImportError:  # imported as a top-level module
        import prng
    c, h, w = shape
    return prng.noise_numpy(seed, step, c, h, w, dtype=np.float64)


def model_from_state(state, strict=True):
    """A GICv1 built from a state dict (torch tensors or numpy arrays), sizes inferred.

    Extra export-only keys (gaussian_conditional.*, sampler.level_offsets) are ignored; the
    entropy bottleneck's CDF buffers are taken with their (export-time) shapes.
    """
    state = {k: (torch.from_numpy(np.asarray(v)) if not torch.is_tensor(v) else v) for k, v in state.items()}
    N = state["g_a.0.weight"].shape[0]
    M = state["g_a.6.weight"].shape[0]
    W = state["reverse.conv_in.weight"].shape[0]
    model = GICv1(N, M, W)
    own = model.state_dict()
    for k in ("_offset", "_quantized_cdf", "_cdf_length"):
        key = "entropy_bottleneck." + k
        if key in state:
            setattr(model.entropy_bottleneck, k, state[key].clone())
    picked = {k: v for k, v in state.items() if k in own}
    missing = [k for k in own if k not in state]
    if strict and missing:
        raise KeyError(f"missing keys: {missing}")
    model.load_state_dict(picked, strict=strict)
    return model
