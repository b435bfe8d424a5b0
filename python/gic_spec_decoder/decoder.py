"""Decoding of .gic bitstreams (spec/bitstream.md §5–§7 with §7.5's detail fill, §7.6's band
gains (signed with flags bit 2, bitstream version 1.3) and §7.7's low-pass residual, §10, §11)
with a .gicw model."""
import numpy as np

from . import bitstream
from .container import Container
from .entropy import DamagedStream, RansDecoder, decode_factorized, decode_gaussian, gaussian_indexes
from .graph import Graph, requant, rshift

Z_CLAMP = 1 << 20
# spec/bitstream.md §11 (profile 5, mbt2018), §12 (profile 6, cheng2020-anchor) and §13 (profile
# 7, cheng2020-attn): other graphs, the same model checks and coding
CONTEXT_PROFILES = (5, 6, 7)
MAX_PIXELS = 1 << 26

GOLDEN = 0x9E3779B97F4A7C15
MIX1 = 0xBF58476D1CE4E5B9
MIX2 = 0x94D049BB133111EB


class ModelError(ValueError):
    """A model that spec/bitstream.md §4 / §7 says a decoder must refuse."""


def _int_meta(meta, key):
    v = meta.get(key)
    if not isinstance(v, int) or isinstance(v, bool):
        raise ModelError(f"metadata {key!r} missing or not an integer")
    return v


def _per_tensor_shift(container, name, dtype="int32"):
    rec = container.tensor_record(name)
    if rec.dtype != dtype:
        raise ModelError(f"tensor {name!r} is {rec.dtype}, expected {dtype}")
    if rec.quantization != 1:
        raise ModelError(f"tensor {name!r} must have per-tensor quantization")
    m, s, z = rec.params[0]
    if m != 1 or z != 0:
        raise ModelError(f"tensor {name!r}: quantization must have multiplier 1 and zero point 0")
    return s


class Model:
    """A codec model (spec/bitstream.md §4, §7) loaded from a .gicw file and fully checked."""

    def __init__(self, source):
        if isinstance(source, Container):
            c = source
        elif isinstance(source, (bytes, bytearray, memoryview)):
            c = Container(source)
        else:
            c = Container.open(source)
        self.container = c
        meta = c.metadata
        prof = meta.get("gic.profile")
        names = {v: k for k, v in bitstream.PROFILES.items()}
        if prof not in names:
            raise ModelError(f"metadata 'gic.profile' is {prof!r}, not a codec profile")
        self.profile_name = prof
        self.profile = names[prof]
        self.digest = c.model_digest
        self.s_z = _int_meta(meta, "gic.codec.hyper_stride")
        self.s_y = _int_meta(meta, "gic.codec.latent_stride")
        if self.s_z < 1 or self.s_y < 1 or self.s_z % self.s_y:
            raise ModelError(f"strides {self.s_z}, {self.s_y}: the hyper stride must be a multiple of the latent stride")

        self.g_a = Graph(c, "g_a")
        if self.profile == 4:
            self._load_factorized(c)
            return
        self.h_a = Graph(c, "h_a")
        self.h_s = Graph(c, "h_s")
        self.g_s = Graph(c, "g_s")
        y = self._single_output(self.g_a)
        z = self._single_output(self.h_a)
        self.e_y, self.e_z = y.exponent, z.exponent
        if not 0 <= self.e_y <= 14 or not 0 <= self.e_z <= 14:
            raise ModelError(f"exponents e_y = {self.e_y}, e_z = {self.e_z} must be in 0…14")
        x_in = self._single_input(self.g_a)
        if x_in.channels != 3 or x_in.exponent != 0 or (x_in.lo, x_in.hi) != (0, 255):
            raise ModelError("g_a input must be 3 channels, exponent 0, range 0…255")
        gs_in = self._single_input(self.g_s)
        hs_in = self._single_input(self.h_s)
        ha_in = self._single_input(self.h_a)
        if not (ha_in.lo <= y.lo and y.hi <= ha_in.hi) or ha_in.exponent != self.e_y:
            raise ModelError("h_a's input does not take g_a's output (exponent or clamp range)")
        if gs_in.exponent != self.e_y:
            raise ModelError(f"g_s input exponent {gs_in.exponent} differs from e_y = {self.e_y}")
        if hs_in.exponent != self.e_z:
            raise ModelError(f"h_s input exponent {hs_in.exponent} differs from e_z = {self.e_z}")
        self.M = y.channels
        self.N = z.channels
        if gs_in.channels != self.M or ha_in.channels != self.M or hs_in.channels != self.N:
            raise ModelError("graph channel counts do not agree")
        x_out = self._single_output(self.g_s)
        if x_out.channels != 3 or (x_out.lo, x_out.hi) != (0, 255):
            raise ModelError("g_s output must be 3 channels in 0…255")
        self.gs_range = (gs_in.lo, gs_in.hi)
        if self.profile in CONTEXT_PROFILES:
            self._load_context(c)
        else:
            n_out = 1 if self.profile == 1 else 2
            if len(self.h_s.outputs) != n_out:
                raise ModelError(f"h_s must have {n_out} output(s) for profile {prof}")
            self.scales_name = self.h_s.outputs[0]
            self.means_name = self.h_s.outputs[1] if n_out == 2 else None
            sc = self.h_s.info[self.scales_name]
            if sc.channels != self.M:
                raise ModelError("h_s scales must have M channels")
            if self.means_name is not None:
                mu = self.h_s.info[self.means_name]
                if mu.channels != self.M or mu.exponent != self.e_y:
                    raise ModelError("h_s means must have M channels and exponent e_y")
            self.e_sigma = sc.exponent
        self.hs_range = (hs_in.lo, hs_in.hi)

        self.eb = c.cdf_table("entropy_bottleneck")
        if self.eb.n != self.N:
            raise ModelError(f"entropy_bottleneck has {self.eb.n} rows for {self.N} channels of z")
        self.gc = c.cdf_table("gaussian_conditional")
        med = c.tensor("entropy_bottleneck.medians")
        if c.tensor_record("entropy_bottleneck.medians").dtype != "int32" or med.shape != (self.N,):
            raise ModelError("entropy_bottleneck.medians must be int32 (N,)")
        if np.any(np.abs(med.astype(np.int64)) > Z_CLAMP):
            raise ModelError("entropy_bottleneck.medians: a value is over 2^20")
        self.medians = med.astype(np.int64)

        if self.profile == 3:
            self._load_gicv1(c)
        self._check_strides()
        if self.profile in (1, 2) + CONTEXT_PROFILES:
            name = "gaussian_conditional.scale_thresholds"
            shift = _per_tensor_shift(c, name)
            if shift != self.e_sigma:
                raise ModelError(f"{name}: shift {shift} differs from the scales' exponent {self.e_sigma}")
            t = c.tensor(name).astype(np.int64)
            if t.shape != (self.gc.n - 1,):
                raise ModelError(f"{name}: shape {t.shape}, expected ({self.gc.n - 1},)")
            if np.any(np.diff(t) < 0):
                raise ModelError(f"{name}: thresholds are not non-decreasing")
            self.thresholds = t

    def _load_context(self, c):
        """Profile 5 (spec/bitstream.md §11.1): h_s gives the parameters P; the graphs
        `context_prediction` (one masked 5×5 conv2d) and `entropy_parameters` (position-local)
        give the scales and means."""
        if len(self.h_s.outputs) != 1:
            raise ModelError("h_s must have one output (the parameters P) for profile mbt2018")
        self.params_name = self.h_s.outputs[0]
        p_info = self.h_s.info[self.params_name]
        cp = self.context_prediction = Graph(c, "context_prediction")
        ep = self.entropy_parameters = Graph(c, "entropy_parameters")
        where = "graph 'context_prediction'"
        if len(cp.inputs) != 1 or len(cp.outputs) != 1 or len(cp.nodes) != 1:
            raise ModelError(f"{where} must have one input, one output and exactly one node")
        node = cp.nodes[0]
        a = node.attrs
        if node.op != "conv2d" or (a["kernel"], a["stride"], a["padding"]) != (5, 1, 2):
            raise ModelError(f"{where}: its node must be a conv2d with kernel 5, stride 1 and padding 2")
        if node.inputs != cp.inputs or node.output != cp.outputs[0]:
            raise ModelError(f"{where}: its node must read the input and give the output")
        w = node.params[0]
        noncausal = np.zeros((5, 5), dtype=bool)
        noncausal[3:, :] = True
        noncausal[2, 2:] = True
        bad = np.argwhere((w != 0) & noncausal[None, None, :, :])
        if bad.size:
            o, i, u, v = (int(t) for t in bad[0])
            raise ModelError(f"{where}: weight [{o}, {i}, {u}, {v}] = {int(w[o, i, u, v])} at a non-causal tap"
                             " is not 0 (the model would read latents not yet decoded)")
        y_in = cp.info[cp.inputs[0]]
        lo, hi = self.gs_range
        if y_in.channels != self.M or y_in.exponent != self.e_y or not (y_in.lo <= lo and hi <= y_in.hi):
            raise ModelError(f"{where}: its input must have M channels, exponent e_y and a clamp range"
                             " containing g_s's input range")
        ctx_info = cp.info[cp.outputs[0]]
        where = "graph 'entropy_parameters'"
        if len(ep.inputs) != 2 or len(ep.outputs) != 2:
            raise ModelError(f"{where} must have two inputs (P, ctx) and two outputs (scales, means)")
        for n in ep.nodes:
            if n.op == "conv2d":
                if (n.attrs["kernel"], n.attrs["stride"], n.attrs["padding"]) != (1, 1, 0):
                    raise ModelError(f"{n.name}: must have kernel 1, stride 1 and padding 0 (position-local)")
            elif n.op not in ("leaky_relu", "concat"):
                raise ModelError(f"{n.name}: operator {n.op!r} is not allowed in entropy_parameters")
        for vname, src, what in zip(ep.inputs, (p_info, ctx_info), ("P (h_s's output)", "ctx")):
            vi = ep.info[vname]
            if vi.channels != src.channels or vi.exponent != src.exponent or not (vi.lo <= src.lo and src.hi <= vi.hi):
                raise ModelError(f"{where}: input {vname!r} does not take {what} (channels, exponent or clamp range)")
        self.scales_name, self.means_name = ep.outputs
        sc, mu = ep.info[self.scales_name], ep.info[self.means_name]
        if sc.channels != self.M or mu.channels != self.M or mu.exponent != self.e_y:
            raise ModelError(f"{where}: scales and means must have M channels, the means exponent e_y")
        self.e_sigma = sc.exponent
        # the 12 causal taps (u, v), in a fixed order, and the weights at them: (C_ctx, M·12)
        taps = [(u, v) for u in range(5) for v in range(5) if not noncausal[u, v]]
        self.ctx_tap_u = np.array([u for u, _ in taps])
        self.ctx_tap_v = np.array([v for _, v in taps])
        self.ctx_weights = np.ascontiguousarray(w[:, :, self.ctx_tap_u, self.ctx_tap_v]).reshape(w.shape[0], -1)

    def _load_factorized(self, c):
        """Profile 4 (spec/bitstream.md §10.1): g_a, g_s and the factorized table of y."""
        self.g_s = Graph(c, "g_s")
        y = self._single_output(self.g_a)
        self.e_y = y.exponent
        if not 0 <= self.e_y <= 14:
            raise ModelError(f"exponent e_y = {self.e_y} must be in 0…14")
        x_in = self._single_input(self.g_a)
        if x_in.channels != 3 or x_in.exponent != 0 or (x_in.lo, x_in.hi) != (0, 255):
            raise ModelError("g_a input must be 3 channels, exponent 0, range 0…255")
        gs_in = self._single_input(self.g_s)
        if gs_in.exponent != self.e_y:
            raise ModelError(f"g_s input exponent {gs_in.exponent} differs from e_y = {self.e_y}")
        self.M = y.channels
        if gs_in.channels != self.M:
            raise ModelError("graph channel counts do not agree")
        x_out = self._single_output(self.g_s)
        if x_out.channels != 3 or (x_out.lo, x_out.hi) != (0, 255):
            raise ModelError("g_s output must be 3 channels in 0…255")
        self.gs_range = (gs_in.lo, gs_in.hi)
        self.eb = c.cdf_table("entropy_bottleneck")
        if self.eb.n != self.M:
            raise ModelError(f"entropy_bottleneck has {self.eb.n} rows for {self.M} channels of y")
        med = c.tensor("entropy_bottleneck.medians")
        if c.tensor_record("entropy_bottleneck.medians").dtype != "int32" or med.shape != (self.M,):
            raise ModelError("entropy_bottleneck.medians must be int32 (M,)")
        if np.any(np.abs(med.astype(np.int64)) > Z_CLAMP):
            raise ModelError("entropy_bottleneck.medians: a value is over 2^20")
        self.medians = med.astype(np.int64)
        # §10.1: g_a maps (H_p, W_p) to (H_p/S_y, W_p/S_y) and g_s maps that back, for padded
        # pictures of (1, 1), (2, 1) and (1, 3) multiples of S_z.
        for rows, cols in ((1, 1), (2, 1), (1, 3)):
            hp, wp = rows * self.s_z, cols * self.s_z
            latent = (hp // self.s_y, wp // self.s_y)
            try:
                ya = self.g_a.spatial({self.g_a.inputs[0]: (hp, wp)})[self.g_a.outputs[0]]
                xs = self.g_s.spatial({self.g_s.inputs[0]: latent})[self.g_s.outputs[0]]
            except ValueError as e:
                raise ModelError(f"graphs do not fit the strides S_z = {self.s_z}, S_y = {self.s_y}: {e}") from e
            if ya != latent or xs != (hp, wp):
                raise ModelError(f"graphs do not fit the strides S_z = {self.s_z}, S_y = {self.s_y}")

    def _check_strides(self):
        """The strides must be those of the graphs: h_s maps a t×t hyper-latent to
        (t·S_z/S_y)², g_s a u×u latent to (u·S_y)², reverse keeps the latent size (SPEC_NOTES.md)."""
        f = self.s_z // self.s_y
        for t in (1, 2, 3):
            u = t * f
            try:
                outs = self.h_s.spatial({self.h_s.inputs[0]: (t, t)})
                gs = self.g_s.spatial({self.g_s.inputs[0]: (u, u)})[self.g_s.outputs[0]]
                rv = (self.reverse.spatial({self.reverse.inputs[0]: (u, u)})[self.reverse.outputs[0]]
                      if self.profile == 3 else (u, u))
            except ValueError as e:
                raise ModelError(f"graphs do not fit the strides S_z = {self.s_z}, S_y = {self.s_y}: {e}") from e
            if any(v != (u, u) for v in outs.values()) or gs != (u * self.s_y, u * self.s_y) or rv != (u, u):
                raise ModelError(f"graphs do not fit the strides S_z = {self.s_z}, S_y = {self.s_y}")

    @staticmethod
    def _single_output(g):
        if len(g.outputs) != 1:
            raise ModelError(f"graph {g.name!r} must have one output")
        return g.info[g.outputs[0]]

    @staticmethod
    def _single_input(g):
        if len(g.inputs) != 1:
            raise ModelError(f"graph {g.name!r} must have one input")
        return g.info[g.inputs[0]]

    def _load_gicv1(self, c):
        meta = c.metadata
        self.L = _int_meta(meta, "gic.rate.levels")
        self.E = _int_meta(meta, "gic.rate.extra_levels")
        if self.L < 1 or self.E < 0:
            raise ModelError("gic.rate.levels must be ≥ 1 and gic.rate.extra_levels ≥ 0")
        shift = _per_tensor_shift(c, "rate.q")
        if shift != self.e_y + 8:
            raise ModelError(f"rate.q: shift {shift} is not e_y + 8 = {self.e_y + 8}")
        q = c.tensor("rate.q").astype(np.int64)
        if q.shape != (self.L + self.E,):
            raise ModelError(f"rate.q: shape {q.shape}, expected ({self.L + self.E},)")
        if np.any(q < 1) or np.any(np.diff(q) > 0):
            raise ModelError("rate.q must be positive and non-increasing")
        self.q = q
        name = "gaussian_conditional.scale_thresholds_by_rate"
        shift = _per_tensor_shift(c, name)
        if shift != self.e_sigma:
            raise ModelError(f"{name}: shift {shift} differs from the scales' exponent {self.e_sigma}")
        t = c.tensor(name).astype(np.int64)
        if t.shape != (self.L, self.gc.n - 1):
            raise ModelError(f"{name}: shape {t.shape}, expected ({self.L}, {self.gc.n - 1})")
        bad = np.nonzero(np.any(np.diff(t, axis=1) < 0, axis=1))[0]
        if bad.size:
            raise ModelError(f"{name}: row {int(bad[0])}: thresholds are not non-decreasing")
        self.thresholds_by_rate = t
        tabs = {}
        for k in ("level_offsets", "ratio", "alpha"):
            rec = c.tensor_record(f"sampler.{k}")
            arr = c.tensor(f"sampler.{k}")
            if rec.dtype != "int32" or arr.shape != (4, 4):
                raise ModelError(f"sampler.{k} must be int32 (4, 4)")
            tabs[k] = arr.astype(np.int64)
        for n in range(1, 5):
            d = tabs["level_offsets"][n - 1, :n]
            if d[0] != 0 or np.any(np.diff(d) <= 0) or d[-1] > self.E:
                raise ModelError(f"sampler.level_offsets row {n - 1}: {d.tolist()} is not 0, increasing, ≤ E")
            for k in ("ratio", "alpha"):
                v = tabs[k][n - 1, :n]
                if np.any(v < 0) or np.any(v > 1 << 15):
                    raise ModelError(f"sampler.{k} row {n - 1} outside 0…2^15")
        self.d, self.rho, self.alpha = tabs["level_offsets"], tabs["ratio"], tabs["alpha"]
        self.reverse = Graph(c, "reverse")
        r_in = self._single_input(self.reverse)
        r_out = self._single_output(self.reverse)
        for v in (r_in, r_out):
            if v.channels != self.M or v.exponent != self.e_y:
                raise ModelError("reverse graph: input and output must be latents in y's format")
        # x_0 = ŷ and every x_i (clamped to g_s's input range) must be valid reverse inputs,
        # and x_n = x̂ (not clamped, §7.2) must be a valid g_s input (SPEC_NOTES.md).
        lo, hi = self.gs_range
        if not (r_in.lo <= lo and hi <= r_in.hi):
            raise ModelError("reverse graph: its input range must contain g_s's input range")
        if not (lo <= r_out.lo and r_out.hi <= hi):
            raise ModelError("reverse graph: its output range must lie within g_s's input range")
        lv = self.reverse.levels
        if lv is not None and lv != self.L + self.E:
            raise ModelError(f"reverse graph: conditioned_affine nodes have {lv} levels, expected L + E")


def noise(seed, step, channels, rows, cols):
    """spec/bitstream.md §7.3 for every (c, a, b) of a (channels, rows, cols) latent: int64 array."""
    c = np.arange(channels, dtype=np.uint64)[:, None, None]
    a = np.arange(rows, dtype=np.uint64)[None, :, None]
    b = np.arange(cols, dtype=np.uint64)[None, None, :]
    key = (np.uint64(step) << np.uint64(48)) + (c << np.uint64(32)) + (a << np.uint64(16)) + b
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + key * np.uint64(GOLDEN)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(MIX1)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(MIX2)
    z = z ^ (z >> np.uint64(31))
    v = (z >> np.uint64(48)).astype(np.int64)
    return np.where(v >= 32768, v - 65536, v)


def noise_scalar(seed, step, c, a, b):
    """The same with Python integers (a cross-check for the vectorised version)."""
    mask = (1 << 64) - 1
    key = (step << 48) + (c << 32) + (a << 16) + b
    z = (seed + key * GOLDEN) & mask
    z = ((z ^ (z >> 30)) * MIX1) & mask
    z = ((z ^ (z >> 27)) * MIX2) & mask
    z ^= z >> 31
    v = z >> 48
    return v - 65536 if v >= 32768 else v


# ---------------------------------------------------------------------------------------------
# spec/bitstream.md §7.5: the detail fill (bitstream version 1.1)

DETAIL_BLOCK = 32
DETAIL_NOISE_STEP = 8  # u[a, c] = noise(S, 8, 0, a, c)
DETAIL_SHIFT = 48
DETAIL_AMPLITUDE = np.array([0, 91, 128, 181, 256, 362, 512, 724, 1024, 1448, 2048, 2896, 4096, 5793,
                             8192, 11585], dtype=np.int64)  # A
DETAIL_M = (254854, 4419)  # M_0, M_1
DETAIL_PRECISION = 16
DETAIL_OFFSET = 0
DETAIL_TABLE = (  # table DETAIL: row b codes the values of band b; symbols 0…15, symbol 16 the escape
    (0, 33530, 35058, 38462, 41399, 44231, 46979, 49527, 51822, 54462, 57402, 60011, 62979,
     65021, 65515, 65519, 65520, 65536),
    (0, 41572, 42060, 43089, 44643, 46898, 49827, 53888, 58304, 61602, 63801, 65052, 65489,
     65520, 65521, 65522, 65523, 65536),
)
DETAIL_CODES = len(DETAIL_AMPLITUDE)  # values 0…15
BINOMIAL = (1, 4, 6, 4, 1)


def detail_grid(height, width):
    """(n_y, n_x) = (⌈H / B⌉, ⌈W / B⌉), B = 32."""
    return -(-height // DETAIL_BLOCK), -(-width // DETAIL_BLOCK)


def _decode_block_codes(data, height, width, base_offset, where, table, codes, offset=0, what="band"):
    """len(table)·n_y·n_x values of a per-block substream (§7.5, §7.6, §7.7): row 0's codes in
    block raster order, then row 1's, …, each value of part b (a band, or a colour channel) coded
    with row b of `table` (precision 16, the given offset).  A value outside offset…offset +
    codes − 1 is a damaged stream naming `where`, the band or channel, the block and the byte
    offset.  Returns int64 (len(table), n_y, n_x)."""
    n_y, n_x = detail_grid(height, width)
    parts = len(table)
    lo, hi = offset, offset + codes - 1
    out = np.empty((parts, n_y * n_x), dtype=np.int64)
    try:
        dec = RansDecoder(data, base_offset)
        for b in range(parts):
            cdf = list(table[b])
            for k in range(n_y * n_x):
                at = dec.pos
                v = dec.decode_value(offset, cdf, DETAIL_PRECISION)
                if not lo <= v <= hi:
                    i, j = divmod(k, n_x)
                    raise DamagedStream(
                        f"value {v} of {what} {b}, block ({i}, {j}) is outside {lo}…{hi}, at byte {at}"
                        f" of the substream (file byte {base_offset + at})")
                out[b, k] = v
        dec.finish()
    except DamagedStream as e:
        raise DamagedStream(f"{where}: {e}") from None
    return out.reshape(parts, n_y, n_x)


def decode_detail(data, height, width, base_offset=0):
    """The detail substream (§7.5): 2·n_y·n_x values, band 0's codes k_0[i, j] in block raster
    order, then band 1's, each value of band b coded with row b of DETAIL.  A value outside
    0…15 (any escape: the rows' direct range is exactly 0…15) is a damaged stream.
    Returns int64 (2, n_y, n_x)."""
    return _decode_block_codes(data, height, width, base_offset,
                               f"detail substream (the third, at file byte {base_offset})", DETAIL_TABLE, DETAIL_CODES)


def binomial(x, t):
    """P_t(x) of §7.5 for an int64 (H, W) array: Σ_i Σ_j w_i·w_j·x[e_H(a + (i − 2)t), e_W(c + (j − 2)t)].
    The clamped indices of rows and columns are independent, so the double sum is computed as a
    sum over columns then over rows (the same integers: every partial sum is exact)."""
    H, W = x.shape
    rows = np.arange(H)
    cols = np.arange(W)
    tmp = np.zeros_like(x)
    for j, w in enumerate(BINOMIAL):
        tmp += w * x[:, np.clip(cols + (j - 2) * t, 0, W - 1)]
    out = np.zeros_like(x)
    for i, w in enumerate(BINOMIAL):
        out += w * tmp[np.clip(rows + (i - 2) * t, 0, H - 1), :]
    return out


def detail_bands(u):
    """(β_0, β_1) of §7.5: β_0 = 256·u − P_1(u), β_1 = 256·P_1(u) − P_2(P_1(u))."""
    p1 = binomial(u, 1)
    return 256 * u - p1, 256 * p1 - binomial(p1, 2)


def detail_noise(codes, height, width, seed):
    """n[a, c] of §7.5 for codes (2, n_y, n_x) in 0…15 and the seed S (0 without one): int64 (H, W)."""
    u = noise(seed, DETAIL_NOISE_STEP, 1, height, width)[0]
    beta0, beta1 = detail_bands(u)
    bi = np.arange(height) // DETAIL_BLOCK
    bj = np.arange(width) // DETAIL_BLOCK
    k0 = np.asarray(codes[0], dtype=np.int64)[bi[:, None], bj[None, :]]
    k1 = np.asarray(codes[1], dtype=np.int64)[bi[:, None], bj[None, :]]
    # each product below 2^58 in magnitude, the sum within int64 (§7.5)
    acc = DETAIL_AMPLITUDE[k0] * DETAIL_M[0] * beta0 + DETAIL_AMPLITUDE[k1] * DETAIL_M[1] * beta1
    return rshift(acc, DETAIL_SHIFT)


def detail_fill(rgb, codes, seed):
    """The fill of §7.5 on the decoded picture rgb (H, W, 3): clamp(x̂_ch + n, 0, 255), uint8."""
    H, W = rgb.shape[:2]
    n = detail_noise(codes, H, W, 0 if seed is None else seed)
    return np.clip(rgb.astype(np.int64) + n[:, :, None], 0, 255).astype(np.uint8)


# ---------------------------------------------------------------------------------------------
# spec/bitstream.md §7.6: the band gains (bitstream version 1.2; signed gains in version 1.3)

GAIN = np.array([0, 27146, 65536, 119828, 196608], dtype=np.int64)  # F[k] for k = 0…4: round(2^16 (2^(k/2) − 1))
GAIN_CODES = len(GAIN)  # values 0…4
GAIN_SHIFT = 40  # v' = clamp(v + rshift(F[g_0]·γ_0·2^16 + F[g_1]·γ_1·2^8 + F[g_2]·γ_2, 40), 0, 255)
GAIN_PRECISION = 16
GAIN_OFFSET = 0
GAIN_TABLE = (  # table GAIN: row b codes the values of band b; symbols 0…4, symbol 5 the escape
    (0, 36611, 47778, 55225, 59734, 65534, 65536),
    (0, 49794, 60545, 63530, 64597, 65531, 65536),
)
# F indexed by code k = −1…4 (F[−1] = −2^16 removes the band; it occurs only with signed gains):
# GAIN_F[k − GAIN_F_FIRST]
GAIN_F = np.array([-65536, 0, 27146, 65536, 119828, 196608], dtype=np.int64)
GAIN_F_FIRST = -1
# the scale of band b's term before the shift by 40: γ_0 in units of 2^−8, γ_1 of 2^−16, γ_2 of
# 2^−24, F of 2^−16
GAIN_BAND_SCALE = (1 << 16, 1 << 8, 1)
# table SIGNED_GAIN (header flags bit 2, bitstream version 1.3): precision 16, offset −1; row b
# codes the values −1…4 of band b (three bands) with symbols 0…5, symbol 6 the escape
SIGNED_GAIN_OFFSET = -1
SIGNED_GAIN_CODES = 6  # values −1…4
SIGNED_GAIN_PRECISION = 16
SIGNED_GAIN_TABLE = (
    (0, 22597, 36612, 47779, 55226, 59735, 65535, 65536),
    (0, 31436, 49793, 60544, 63529, 64596, 65530, 65536),
    (0, 26968, 58235, 63364, 64737, 65285, 65530, 65536),
)


def decode_gains(data, height, width, base_offset=0, signed=False):
    """The gains substream (§7.6) in the order of §7.5: without signed gains 2·n_y·n_x values,
    g_0[i, j] of band 0 then g_1[i, j] of band 1, band b coded with row b of GAIN; with signed
    gains (the header's flags bit 2) 3·n_y·n_x values, g_0, g_1 then g_2 of band 2, band b coded
    with row b of SIGNED_GAIN (offset −1).  A value outside 0…4 (−1…4 with signed gains; any
    escape: the rows' direct ranges are exactly these) is a damaged stream.
    Returns int64 (2, n_y, n_x), or (3, n_y, n_x) with signed gains."""
    where = f"gains substream (the fourth, at file byte {base_offset})"
    if signed:
        return _decode_block_codes(data, height, width, base_offset, where, SIGNED_GAIN_TABLE, SIGNED_GAIN_CODES,
                                   offset=SIGNED_GAIN_OFFSET)
    return _decode_block_codes(data, height, width, base_offset, where, GAIN_TABLE, GAIN_CODES)


def gain_bands(x, count=3):
    """The first `count` (2 or 3) of (γ_0, γ_1, γ_2) of §7.6 for one channel x (int64 (H, W),
    samples 0…255): γ_0 = 256·x − P_1(x), γ_1 = 256·P_1(x) − P_2(P_1(x)),
    γ_2 = 256·P_2(P_1(x)) − P_4(P_2(P_1(x))) (P_t of §7.5 with dilation 4 for the last)."""
    p1 = binomial(x, 1)
    p2 = binomial(p1, 2)
    bands = [256 * x - p1, 256 * p1 - p2]
    if count > 2:
        bands.append(256 * p2 - binomial(p2, 4))
    return tuple(bands)


def gain_factors(codes):
    """F[k] of §7.6 for an array of gain codes k in −1…4 (F[−1] = −65536, F[0] = 0, …,
    F[4] = 196608); a code outside −1…4 is a ValueError (never a wrapped index)."""
    k = np.asarray(codes, dtype=np.int64)
    if k.size and (k.min() < GAIN_F_FIRST or k.max() > GAIN_F_FIRST + len(GAIN_F) - 1):
        raise ValueError(f"gain codes must be in {GAIN_F_FIRST}…{GAIN_F_FIRST + len(GAIN_F) - 1}")
    return GAIN_F[k - GAIN_F_FIRST]


def band_gains(rgb, codes):
    """The band gains of §7.6 on the decoded picture rgb (H, W, 3), codes (2, n_y, n_x) (without
    signed gains: g_2 = 0) or (3, n_y, n_x) (signed gains) in −1…4 (−1 only with signed gains):
    per channel v' = clamp(v + rshift(F[g_0]·γ_0·2^16 + F[g_1]·γ_1·2^8 + F[g_2]·γ_2, 40), 0, 255),
    every term below 2^50 in magnitude and the sum below 2^52 (exact in int64), all of v' from v.
    With two planes this is clamp(v + rshift(F[g_0]·γ_0·2^8 + F[g_1]·γ_1, 32)), bitstream 1.2's
    formula (the sum is 2^8 times its sum).  Returns uint8 (H, W, 3)."""
    codes = np.asarray(codes)
    if codes.ndim != 3 or codes.shape[0] not in (2, 3):
        raise ValueError(f"gain codes must be (2 or 3, n_y, n_x), not {codes.shape}")
    H, W = rgb.shape[:2]
    bi = np.arange(H) // DETAIL_BLOCK
    bj = np.arange(W) // DETAIL_BLOCK
    f = gain_factors(codes)
    per_pixel = [f[b][bi[:, None], bj[None, :]] * GAIN_BAND_SCALE[b] for b in range(codes.shape[0])]
    x = rgb.astype(np.int64)
    out = np.empty((H, W, 3), dtype=np.uint8)
    for ch in range(3):
        acc = np.zeros((H, W), dtype=np.int64)
        for fb, gamma in zip(per_pixel, gain_bands(x[:, :, ch], codes.shape[0])):
            acc += fb * gamma
        out[:, :, ch] = np.clip(x[:, :, ch] + rshift(acc, GAIN_SHIFT), 0, 255)
    return out


# ---------------------------------------------------------------------------------------------
# spec/bitstream.md §7.7: the low-pass residual (bitstream version 1.2)

RESIDUAL_OFFSET = -31
RESIDUAL_CODES = 63  # values −31…31
RESIDUAL_SHIFT = 11  # the weights of a pixel sum to (2B)² = 2^12: code k is 2k samples
RESIDUAL_PRECISION = 16
RESIDUAL_TABLE = (  # table RESIDUAL: row m codes the values of channel m; symbols 0…62, symbol 63 the escape
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 35, 57, 107, 182, 312,
     524, 880, 1401, 2219, 3660, 6590, 12584, 24156, 46574, 56014, 59756, 61975, 63368, 64269,
     64767, 65016, 65191, 65299, 65372, 65424, 65449, 65457, 65458, 65459, 65460, 65461,
     65462, 65463, 65464, 65465, 65466, 65467, 65468, 65469, 65470, 65471, 65472, 65473,
     65474, 65475, 65536),
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 48, 99, 186, 310,
     507, 845, 1390, 2355, 4001, 6827, 12157, 25616, 49097, 59067, 62414, 63893, 64672, 65052,
     65260, 65375, 65432, 65454, 65455, 65456, 65457, 65458, 65459, 65460, 65461, 65462,
     65463, 65464, 65465, 65466, 65467, 65468, 65469, 65470, 65471, 65472, 65473, 65474,
     65475, 65476, 65536),
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 28, 52, 77, 112, 157, 215, 292, 390, 477, 602, 739,
     957, 1256, 1660, 2210, 3020, 4310, 6513, 10470, 18171, 31566, 47139, 55992, 60054, 62290,
     63620, 64405, 64821, 65089, 65241, 65322, 65392, 65422, 65444, 65456, 65457, 65458,
     65459, 65460, 65461, 65462, 65463, 65464, 65465, 65466, 65467, 65468, 65469, 65470,
     65471, 65472, 65473, 65474, 65536),
)


def decode_residual(data, height, width, base_offset=0):
    """The residual substream (§7.7): 3·n_y·n_x values, k_0[i, j] of red in block raster order,
    then k_1 of green, then k_2 of blue, each value of channel m coded with row m of RESIDUAL
    (offset −31).  A value outside −31…31 (any escape: the rows' direct range is exactly
    −31…31) is a damaged stream.  Returns int64 (3, n_y, n_x)."""
    return _decode_block_codes(data, height, width, base_offset,
                               f"residual substream (the fifth, at file byte {base_offset})", RESIDUAL_TABLE,
                               RESIDUAL_CODES, offset=RESIDUAL_OFFSET, what="channel")


def residual_taps(n, blocks):
    """For the n rows (or columns) of the picture and its `blocks` block rows (columns), §7.7's
    (r_0, r_1, v_0, v_1): u = 2a + 1 − B, i = ⌊u / 2B⌋, f = u − 2B·i, r_p = e(i + p) clamped to
    0…blocks − 1, v_0 = 2B − f, v_1 = f.  int64 arrays of length n."""
    B = DETAIL_BLOCK
    a = np.arange(n, dtype=np.int64)
    u = 2 * a + 1 - B
    i = np.floor_divide(u, 2 * B)  # rounded toward −∞
    f = u - 2 * B * i
    return np.clip(i, 0, blocks - 1), np.clip(i + 1, 0, blocks - 1), 2 * B - f, f


def residual_delta(codes, height, width):
    """δ_m[a, c] of §7.7 for codes (3, n_y, n_x) in −31…31: rshift(Σ_p Σ_q v_p(a)·h_q(c)·
    k_m[r_p(a), s_q(c)], 11), int64 (3, H, W); |δ| ≤ 62."""
    n_y, n_x = detail_grid(height, width)
    k = np.asarray(codes, dtype=np.int64)
    assert k.shape == (3, n_y, n_x), (k.shape, (3, n_y, n_x))
    r0, r1, v0, v1 = residual_taps(height, n_y)
    s0, s1, h0, h1 = residual_taps(width, n_x)
    acc = np.zeros((3, height, width), dtype=np.int64)
    for r, v in ((r0, v0), (r1, v1)):
        for sc, hw in ((s0, h0), (s1, h1)):
            acc += (v[:, None] * hw[None, :])[None] * k[:, r[:, None], sc[None, :]]
    return rshift(acc, RESIDUAL_SHIFT)


def lowpass_residual(rgb, codes):
    """The low-pass residual of §7.7 on the decoded picture rgb (H, W, 3), codes (3, n_y, n_x):
    channel m becomes clamp(x̂_m + δ_m, 0, 255).  Returns uint8 (H, W, 3)."""
    H, W = rgb.shape[:2]
    d = residual_delta(codes, H, W)
    return np.clip(rgb.astype(np.int64) + d.transpose(1, 2, 0), 0, 255).astype(np.uint8)


def _load_model(model):
    return model if isinstance(model, Model) else Model(model)


def decode(gic_bytes, model, return_latents=False, symbol_bits=64):
    """Decode a .gic bitstream with a model (path, bytes, Container or Model).

    Returns (rgb, info): rgb is a uint8 array (H, W, 3) of the normative RGB samples.
    symbol_bits: the range of decoded symbol values accepted (spec/entropy-coding.md §5: any
    signed 64-bit value); 32 refuses what the reference decoder refuses (SPEC_NOTES.md)."""
    h = bitstream.parse(gic_bytes)
    model = _load_model(model)
    if h.digest_prefix != model.digest[:8]:
        raise bitstream.BitstreamError(
            f"model digest prefix at byte 8 ({h.digest_prefix.hex()}) differs from the model's"
            f" ({model.digest[:8].hex()}): the stream was made with another model")
    if h.profile != model.profile:
        raise bitstream.BitstreamError(
            f"profile at byte 6 ({h.profile_name}) differs from the model's gic.profile ({model.profile_name})")
    if h.profile == 3 and h.rate_index >= model.L:
        raise bitstream.BitstreamError(f"rate index at byte 20: {h.rate_index} is not below L = {model.L}")
    W, H = h.width, h.height
    s_z, s_y = model.s_z, model.s_y
    wp = -(-W // s_z) * s_z
    hp = -(-H // s_z) * s_z
    if wp * hp > MAX_PIXELS:
        raise bitstream.BitstreamError(f"padded picture {wp}×{hp} has more than 2^26 pixels")

    if h.profile == 4:
        # §10.2: the one substream y, factorized table row c for channel c, around the medians
        yh, yw = hp // s_y, wp // s_y
        ys_raw = decode_factorized(h.substreams[0], model.eb, model.M, yh * yw, h.substream_offsets[0],
                                   symbol_bits).reshape(model.M, yh, yw)
        lo, hi = model.gs_range
        x = np.clip(np.clip(ys_raw, -Z_CLAMP, Z_CLAMP) * (1 << model.e_y) + model.medians[:, None, None], lo, hi)
        zs = np.zeros((0, hp // s_z, wp // s_z), dtype=np.int64)
        return _picture(model, x, h, hp, wp, zs, ys_raw, return_latents)

    # §6.2 hyper-latent
    zh, zw = hp // s_z, wp // s_z
    zs = decode_factorized(h.substreams[0], model.eb, model.N, zh * zw, h.substream_offsets[0],
                           symbol_bits)
    zs = zs.reshape(model.N, zh, zw)
    lo, hi = model.hs_range
    z_hat = np.clip(np.clip(zs, -Z_CLAMP, Z_CLAMP) * (1 << model.e_z) + model.medians[:, None, None], lo, hi)

    if h.profile in CONTEXT_PROFILES:
        x, ys_raw = _decode_context(model, h, z_hat, hp, wp, symbol_bits)
        return _picture(model, x, h, hp, wp, zs, ys_raw, return_latents)

    # §6.3 latent
    outs = model.h_s.run({model.h_s.inputs[0]: z_hat})
    sigma = outs[model.scales_name]
    yh, yw = hp // s_y, wp // s_y
    if sigma.shape != (model.M, yh, yw):
        raise bitstream.BitstreamError(f"h_s gave scales of shape {sigma.shape}, expected {(model.M, yh, yw)}")
    mu = outs[model.means_name] if model.means_name is not None else np.zeros_like(sigma)
    thresholds = model.thresholds if h.profile != 3 else model.thresholds_by_rate[h.rate_index]
    idx = gaussian_indexes(sigma, thresholds)
    ys_raw = decode_gaussian(h.substreams[1], model.gc, idx, h.substream_offsets[1], symbol_bits)
    lo, hi = model.gs_range
    ys = np.clip(ys_raw, -Z_CLAMP, Z_CLAMP)
    if h.profile != 3:
        y_hat = np.clip(ys * (1 << model.e_y) + mu, lo, hi)
        x = y_hat
    else:
        r, n = h.rate_index, h.steps
        q = model.q
        y_hat = np.clip(mu + rshift(ys * q[r], 8), lo, hi)
        x = y_hat
        for i in range(n):
            level = r + int(model.d[n - 1, i])
            xhat = model.reverse.run({model.reverse.inputs[0]: x}, level=level)[model.reverse.outputs[0]]
            if i == n - 1:
                x = xhat
            else:
                rho = int(model.rho[n - 1, i])
                nxt = xhat + rshift(rho * (x - xhat), 15)
                if h.has_seed:
                    alpha = int(model.alpha[n - 1, i])
                    q_next = int(q[r + int(model.d[n - 1, i + 1])])
                    v = noise(h.seed, i, model.M, yh, yw)
                    nxt = nxt + rshift(alpha * q_next * v, 39)
                x = np.clip(nxt, lo, hi)

    detail = gains = residual = None
    if h.has_detail:  # §7.5: the third substream
        detail = decode_detail(h.substreams[2], H, W, h.substream_offsets[2])
    if h.has_gains:  # §7.6: the fourth substream
        gains = decode_gains(h.substreams[3], H, W, h.substream_offsets[3], signed=h.signed_gains)
    if h.has_residual:  # §7.7: the fifth substream
        residual = decode_residual(h.substreams[4], H, W, h.substream_offsets[4])
    return _picture(model, x, h, hp, wp, zs, ys_raw, return_latents, detail, gains, residual)


def context_latent(model, z_hat, hp, wp, code_position):
    """spec/bitstream.md §11.2–§11.4: form the latent ŷ of profile 5 one position at a time in
    raster order.  At each position (i, j) the context ctx, the scales σ and the means μ are
    computed from ŷ at the positions before it, then code_position(i, j, rows) gives the M
    symbols of (i, j) (rows: their `gaussian_conditional` rows, channel order) and ŷ at (i, j) is
    formed from them (§11.3).  Returns (ŷ, the symbols), both (M, h, w) int64."""
    M, s_y = model.M, model.s_y
    yh, yw = hp // s_y, wp // s_y
    P = model.h_s.run({model.h_s.inputs[0]: z_hat})[model.params_name]
    if P.shape[1:] != (yh, yw):
        raise bitstream.BitstreamError(f"h_s gave parameters of shape {P.shape}, expected (…, {yh}, {yw})")
    node = model.context_prediction.nodes[0]
    _, b, m, s = node.params
    c_lo, c_hi = node.attrs["lo"], node.attrs["hi"]
    wc = model.ctx_weights
    ep = model.entropy_parameters
    p_name, ctx_name = ep.inputs
    lo, hi = model.gs_range
    # ŷ with a border of 2 rows above and 2 columns either side: ŷ outside the latent is 0
    # (spec/integer-ops.md §4), and so is every position not formed yet (only the causal taps
    # are read, their weights being the only non-zero ones).
    yp = np.zeros((M, yh + 2, yw + 4), dtype=np.int64)
    syms = np.empty((M, yh, yw), dtype=np.int64)
    tu, tv = model.ctx_tap_u, model.ctx_tap_v
    scale = 1 << model.e_y
    for i in range(yh):
        for j in range(yw):
            # a[o] = b[o] + Σ_causal (u, v) Σ_c w[o, c, u, v] · ŷ[c, i + u − 2, j + v − 2],
            # and ŷ[c, i + u − 2, j + v − 2] is yp[c, i + u, j + v]
            acc = b + wc @ yp[:, i + tu, j + tv].reshape(-1)
            ctx = requant(acc, m, s, c_lo, c_hi)
            outs = ep.run({p_name: P[:, i:i + 1, j:j + 1], ctx_name: ctx[:, None, None]})
            sigma = outs[model.scales_name][:, 0, 0]
            mu = outs[model.means_name][:, 0, 0]
            sv = code_position(i, j, gaussian_indexes(sigma, model.thresholds).tolist())
            syms[:, i, j] = sv
            clamped = np.array([min(max(v, -Z_CLAMP), Z_CLAMP) for v in sv], dtype=np.int64)
            yp[:, i + 2, j + 2] = np.clip(clamped * scale + mu, lo, hi)
    return yp[:, 2:2 + yh, 2:2 + yw].copy(), syms


def _decode_context(model, h, z_hat, hp, wp, symbol_bits):
    """§11.4: the M symbols of each position decoded from substream y, position-major."""
    rows = [model.gc.row(k) for k in range(model.gc.n)]
    prec = model.gc.precision
    dec = RansDecoder(h.substreams[1], h.substream_offsets[1], symbol_bits)
    dv = dec.decode_value

    def decode_position(i, j, idx):
        return [dv(rows[k][0], rows[k][1], prec) for k in idx]

    result = context_latent(model, z_hat, hp, wp, decode_position)
    dec.finish()
    return result


def _picture(model, x, h, hp, wp, zs, ys_raw, return_latents, detail=None, gains=None, residual=None):
    """§6.4: g_s on the latent x, cropped to W × H; then, with residual codes, the low-pass
    residual of §7.7; then, with gain codes, the band gains of §7.6; then, with detail codes, the
    fill of §7.5 (§7.2: residual, then gains, then fill — the reverse of the substreams' order)."""
    H, W = h.height, h.width
    x_hat = model.g_s.run({model.g_s.inputs[0]: x})[model.g_s.outputs[0]]
    if x_hat.shape != (3, hp, wp):
        raise bitstream.BitstreamError(f"g_s gave shape {x_hat.shape}, expected {(3, hp, wp)}")
    rgb = np.ascontiguousarray(x_hat[:, :H, :W].transpose(1, 2, 0)).astype(np.uint8)
    info = h.as_dict()
    if return_latents:
        info["z_symbols"] = zs
        info["y_symbols"] = ys_raw
        info["y_hat"] = x  # the latent g_s decodes
        if residual is not None:
            info["residual_codes"] = residual
            info["rgb_before_residual"] = rgb
    if residual is not None:
        rgb = lowpass_residual(rgb, residual)
    if return_latents:
        if gains is not None:
            info["gain_codes"] = gains
            info["rgb_before_gains"] = rgb  # after the residual when the stream has one
    if gains is not None:
        rgb = band_gains(rgb, gains)
    if return_latents and detail is not None:
        info["detail_codes"] = detail
        info["rgb_before_fill"] = rgb  # after the gains when the stream has them
    if detail is not None:
        rgb = detail_fill(rgb, detail, h.seed)
    return rgb, info


def to_gray(rgb):
    """spec/bitstream.md §6.4: gray = ⌊(R + G + B + 1) / 3⌋."""
    s = rgb.astype(np.int32).sum(axis=2)
    return ((s + 1) // 3).astype(np.uint8)
