"""The integer network engine of spec/integer-ops.md, in NumPy.

Every operator is exact.  Convolutions accumulate in float64: the converter proves (and the
loader re-checks, §3) that every partial sum is below 2^31 in magnitude, so every float64
partial sum is an exact integer whatever order BLAS uses; the sums are turned back into int64
with np.rint.  Everything after the accumulation (requantization, GDN, elementwise operators)
is int64 arithmetic with explicit overflow guards, falling back to Python integers where a
product could leave 63 bits.
"""
import numpy as np

I16_MAX = 32767
MAX_CONV_BUF = 1 << 24  # elements of one im2col / scatter chunk


class GraphError(ValueError):
    """A graph that spec/integer-ops.md §8 says a decoder must refuse."""


# ---------------------------------------------------------------------------------------------
# §2 shared primitives (scalar and vectorised)

def rshift_int(a, s):
    """§2.1 on Python integers."""
    if s == 0:
        return a
    return (a + (1 << (s - 1))) >> s


def rshift(a, s):
    """§2.1 on int64 arrays; s is a scalar or an array broadcastable to a (0 ≤ s ≤ 62).
    The caller guarantees a + 2^(s−1) fits in int64."""
    a = np.asarray(a, dtype=np.int64)
    if np.ndim(s) == 0:
        s = int(s)
        return a if s == 0 else (a + (1 << (s - 1))) >> s
    s = np.asarray(s, dtype=np.int64)
    half = np.where(s > 0, np.left_shift(np.int64(1), np.maximum(s - 1, 0)), 0).astype(np.int64)
    return np.right_shift(a + half, s)


def _requant_object(a, m, s, lo, hi):
    """Exact fallback with Python integers (used only when int64 could overflow)."""
    a_o = a.astype(object)
    m_o = np.broadcast_to(m, a.shape).astype(object)
    s_b = np.broadcast_to(s, a.shape)
    out = np.empty(a.shape, dtype=np.int64)
    flat_out = out.reshape(-1)
    for k, (av, mv, sv) in enumerate(zip(a_o.reshape(-1), m_o.reshape(-1), s_b.reshape(-1))):
        v = rshift_int(int(av) * int(mv), int(sv))
        flat_out[k] = min(max(v, lo), hi)
    return out


def requant(a, m, s, lo, hi):
    """§2.2: clamp(rshift(a·m, s), lo, hi), the product exact.  a int64 array; m, s arrays
    broadcastable to a (per channel: shape (C, 1, 1))."""
    a = np.asarray(a, dtype=np.int64)
    m = np.asarray(m, dtype=np.int64)
    s = np.asarray(s, dtype=np.int64)
    amax = int(np.max(np.abs(a))) if a.size else 0
    mmax = int(np.max(m)) if m.size else 0
    smax = int(np.max(s)) if s.size else 0
    if amax * mmax + (1 << max(smax - 1, 0)) < (1 << 63):
        return np.clip(rshift(a * m, s), lo, hi)
    return _requant_object(a, m, s, lo, hi)


def isqrt(n):
    """§2.3 floor square root of an int64 array 0 ≤ n < 2^62 (float estimate, then corrected)."""
    n = np.asarray(n, dtype=np.int64)
    r = np.floor(np.sqrt(n.astype(np.float64))).astype(np.int64)
    if n.size == 0 or int(n.max()) < 1 << 52:
        # n is exact in float64 and sqrt is correctly rounded: for n = k² − 1 < 2^52 the
        # root k − 1/(2k) + … stays below k, so the floor is already exact.
        return r
    for _ in range(2):
        r = np.where(r * r > n, r - 1, r)
        r = np.where((r + 1) * (r + 1) <= n, r + 1, r)
    return r


def rdiv(a, d):
    """§2.4 rounding division, half away from zero, d > 0 (int64 arrays)."""
    a = np.asarray(a, dtype=np.int64)
    d = np.asarray(d, dtype=np.int64)
    q = (2 * np.abs(a) + d) // (2 * d)
    return np.where(a < 0, -q, q)


def rdiv_int(a, d):
    q = (2 * abs(a) + d) // (2 * d)
    return -q if a < 0 else q


# ---------------------------------------------------------------------------------------------
# §4 convolutions (exact float64 accumulation)

def _to_int(acc):
    return np.rint(acc).astype(np.int64)


def conv2d_acc(x, w, b, stride, padding):
    """§4: a[o, y, x] = b[o] + Σ w·x over the zero-padded input; returns int64 (C_out, H_out, W_out)."""
    c_in, h, wd = x.shape
    c_out, c_in_w, kh, kw = w.shape
    assert c_in == c_in_w
    h_out = (h + 2 * padding - kh) // stride + 1
    w_out = (wd + 2 * padding - kw) // stride + 1
    if h_out <= 0 or w_out <= 0:
        raise GraphError(f"conv2d: input {h}×{wd} too small for kernel {kh} and padding {padding}")
    xp = np.zeros((c_in, h + 2 * padding, wd + 2 * padding), dtype=np.float64)
    xp[:, padding:padding + h, padding:padding + wd] = x
    wm = w.reshape(c_out, c_in * kh * kw).astype(np.float64)
    out = np.empty((c_out, h_out, w_out), dtype=np.float64)
    kdim = c_in * kh * kw
    rows = max(1, min(h_out, MAX_CONV_BUF // max(1, kdim * w_out)))
    s0, s1, s2 = xp.strides
    for y0 in range(0, h_out, rows):
        y1 = min(h_out, y0 + rows)
        base = xp[:, y0 * stride:, :]
        view = np.lib.stride_tricks.as_strided(
            base, shape=(c_in, kh, kw, y1 - y0, w_out),
            strides=(s0, s1, s2, s1 * stride, s2 * stride), writeable=False)
        cols = view.reshape(kdim, (y1 - y0) * w_out)
        out[:, y0:y1, :] = (wm @ cols).reshape(c_out, y1 - y0, w_out)
    out += b.astype(np.float64)[:, None, None]
    return _to_int(out)


def conv_transpose2d_acc(x, w, b, stride, padding, output_padding):
    """§4.1: a[o, Y, X] = b[o] + Σ w[i, o, u, v]·x[i, y, x] with Y = y·stride − p + u."""
    c_in, h, wd = x.shape
    c_in_w, c_out, kh, kw = w.shape
    assert c_in == c_in_w
    h_out = (h - 1) * stride - 2 * padding + kh + output_padding
    w_out = (wd - 1) * stride - 2 * padding + kw + output_padding
    if h_out <= 0 or w_out <= 0:
        raise GraphError("conv_transpose2d: empty output")
    # accumulator indexed by Y + padding; big enough for every tap and for the output window
    ah = max((h - 1) * stride + kh, padding + h_out)
    aw = max((wd - 1) * stride + kw, padding + w_out)
    acc = np.zeros((c_out, ah, aw), dtype=np.float64)
    xm = x.reshape(c_in, h * wd).astype(np.float64)
    # weights as (u, v, o, i)
    wt = np.ascontiguousarray(w.transpose(2, 3, 1, 0)).astype(np.float64)
    for u in range(kh):
        prod = (wt[u].reshape(kw * c_out, c_in) @ xm).reshape(kw, c_out, h, wd)
        for v in range(kw):
            acc[:, u:u + (h - 1) * stride + 1:stride, v:v + (wd - 1) * stride + 1:stride] += prod[v]
    out = acc[:, padding:padding + h_out, padding:padding + w_out]
    out = out + b.astype(np.float64)[:, None, None]
    return _to_int(out)


# ---------------------------------------------------------------------------------------------
# §6.1, §6.2 lookup and mul

def lookup(x, table, shift, first):
    """§6.1: T[clamp(rshift(x, k), first, first + L − 1) − first] (int64 arrays)."""
    i = np.clip(rshift(x, shift), first, first + len(table) - 1)
    return np.asarray(table, dtype=np.int64)[i - first]


def mul(x1, x2, m, s, lo, hi):
    """§6.2: requant(x1 · x2, m, s, lo, hi); |x1 · x2| < 2^30, so the product is exact."""
    return requant(np.asarray(x1, dtype=np.int64) * np.asarray(x2, dtype=np.int64), m, s, lo, hi)


# ---------------------------------------------------------------------------------------------
# §8 graph

OPS = {
    "conv2d": (1, ["kernel", "stride", "padding", "exponent", "lo", "hi", "accumulator_bound"], 4),
    "conv_transpose2d": (1, ["kernel", "stride", "padding", "output_padding", "exponent", "lo", "hi",
                             "accumulator_bound"], 4),
    "gdn": (1, ["square_shift", "exponent", "lo", "hi", "accumulator_bound"], 4),
    "igdn": (1, ["square_shift", "exponent", "lo", "hi", "accumulator_bound"], 4),
    "relu": (1, [], 0),
    "abs": (1, [], 0),
    "leaky_relu": (1, ["slope", "slope_shift"], 0),
    "clamp": (1, ["lo", "hi"], 0),
    "add": (2, ["multiplier_0", "shift_0", "multiplier_1", "shift_1", "exponent", "lo", "hi"], 0),
    "concat": (None, None, 0),
    "pixel_shuffle": (1, ["factor"], 0),
    "affine": (1, ["exponent", "lo", "hi"], 4),
    "conditioned_affine": (1, ["exponent", "lo", "hi"], 4),
    "lookup": (1, ["shift", "first", "exponent", "lo", "hi"], 1),
    "mul": (2, ["multiplier", "shift", "exponent", "lo", "hi"], 0),
}


class ValueInfo:
    __slots__ = ("channels", "exponent", "lo", "hi")

    def __init__(self, channels, exponent, lo, hi):
        self.channels, self.exponent, self.lo, self.hi = channels, exponent, lo, hi

    @property
    def bound(self):
        return max(abs(self.lo), abs(self.hi))

    def __repr__(self):
        return f"ValueInfo(C={self.channels}, e={self.exponent}, [{self.lo}, {self.hi}])"


class Node:
    __slots__ = ("op", "inputs", "output", "attrs", "params", "name", "levels")


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


class Graph:
    """A graph `gic.graph.<name>` loaded from a container and fully checked (§8, §3)."""

    def __init__(self, container, name):
        self.name = name
        key = f"gic.graph.{name}"
        items = container.metadata.get(key)
        if not isinstance(items, list):
            raise GraphError(f"graph {name!r}: metadata {key!r} missing or not a list")
        self.inputs = []   # names
        self.outputs = []
        self.nodes = []
        self.info = {}
        phase = 0  # 0 inputs, 1 outputs, 2 nodes
        for idx, item in enumerate(items):
            where = f"graph {name!r} item {idx}"
            if not isinstance(item, list) or not item or not isinstance(item[0], str):
                raise GraphError(f"{where}: not a list starting with a kind")
            kind = item[0]
            if kind == "input":
                if phase != 0:
                    raise GraphError(f"{where}: input after outputs or nodes")
                if len(item) != 6 or not isinstance(item[1], str) or not all(_is_int(v) for v in item[2:]):
                    raise GraphError(f"{where}: malformed input item")
                _, vname, ch, e, lo, hi = item
                self._check_range(where, e, lo, hi)
                if ch < 1:
                    raise GraphError(f"{where}: {ch} channels")
                self._define(where, vname, ValueInfo(ch, e, lo, hi))
                self.inputs.append(vname)
            elif kind == "output":
                if phase > 1:
                    raise GraphError(f"{where}: output after nodes")
                phase = 1
                if len(item) != 2 or not isinstance(item[1], str):
                    raise GraphError(f"{where}: malformed output item")
                self.outputs.append(item[1])
            elif kind == "node":
                phase = 2
                self._node(container, where, item)
            else:
                raise GraphError(f"{where}: unknown item kind {kind!r}")
        if not self.inputs or not self.outputs:
            raise GraphError(f"graph {name!r}: needs at least one input and one output")
        for o in self.outputs:
            if o not in self.info:
                raise GraphError(f"graph {name!r}: output {o!r} is never defined")

    # -- checking ----------------------------------------------------------------------------
    @staticmethod
    def _check_range(where, e, lo, hi):
        if not -64 <= e <= 64:
            raise GraphError(f"{where}: exponent {e} outside −64…64")
        if not (-I16_MAX <= lo <= hi <= I16_MAX):
            raise GraphError(f"{where}: clamp range [{lo}, {hi}] invalid")

    def _define(self, where, vname, info):
        if vname in self.info:
            raise GraphError(f"{where}: value {vname!r} redefined")
        self.info[vname] = info

    def _node(self, container, where, item):
        if len(item) != 6:
            raise GraphError(f"{where}: a node has 6 elements")
        _, op, ins, out, attr_list, params = item
        if not isinstance(op, str) or op not in OPS:
            raise GraphError(f"{where}: unknown operator {op!r}")
        where = f"graph {self.name!r} node {out!r} ({op})"
        if not isinstance(ins, list) or not all(isinstance(v, str) for v in ins):
            raise GraphError(f"{where}: inputs must be a list of value names")
        if not isinstance(out, str):
            raise GraphError(f"{where}: output must be a value name")
        if not isinstance(attr_list, list) or len(attr_list) % 2:
            raise GraphError(f"{where}: attributes must be name, integer pairs")
        attrs = {}
        for k in range(0, len(attr_list), 2):
            an, av = attr_list[k], attr_list[k + 1]
            if not isinstance(an, str) or not _is_int(av):
                raise GraphError(f"{where}: mistyped attribute at position {k}")
            if an in attrs:
                raise GraphError(f"{where}: attribute {an!r} repeated")
            attrs[an] = av
        if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
            raise GraphError(f"{where}: parameters must be a list of tensor names")
        n_in, needed, n_params = OPS[op]
        if op == "concat":
            n_in = len(ins)
            if not 1 <= n_in <= 64:
                raise GraphError(f"{where}: concat of {n_in} inputs")
            needed = [f"{a}_{k}" for k in range(n_in) for a in ("multiplier", "shift")] + ["exponent", "lo", "hi"]
        if len(ins) != n_in:
            raise GraphError(f"{where}: {len(ins)} inputs, expected {n_in}")
        for a in needed:
            if a not in attrs:
                raise GraphError(f"{where}: missing attribute {a!r}")
        # Attributes that the operator does not define are ignored (spec/integer-ops.md §8 is
        # silent; the reference implementation accepts them: SPEC_NOTES.md).
        if len(params) != n_params:
            raise GraphError(f"{where}: {len(params)} parameters, expected {n_params}")
        for v in ins:
            if v not in self.info:
                raise GraphError(f"{where}: input {v!r} undefined")
        xin = [self.info[v] for v in ins]
        tensors = []
        for p in params:
            if not container.has_tensor(p):
                raise GraphError(f"{where}: parameter tensor {p!r} missing")
            tensors.append((container.tensor_record(p), container.tensor(p)))

        node = Node()
        node.op, node.inputs, node.output, node.attrs, node.name = op, ins, out, attrs, where
        node.levels = None
        x0 = xin[0]

        def ptensor(k, dtype, shape):
            rec, arr = tensors[k]
            if rec.dtype != dtype or tuple(arr.shape) != tuple(shape):
                raise GraphError(f"{where}: parameter {rec.name!r} is {rec.dtype} {tuple(arr.shape)},"
                                 f" expected {dtype} {tuple(shape)}")
            return arr.astype(np.int64)

        def mult_shift(k_m, k_s, c, smax):
            m = ptensor(k_m, "int32", (c,))
            s = ptensor(k_s, "int32", (c,))
            if np.any(m < 1):
                raise GraphError(f"{where}: multiplier out of 1…2^31−1")
            if np.any(s < 0) or np.any(s > smax):
                raise GraphError(f"{where}: shift out of 0…{smax}")
            return m, s

        def out_range():
            e, lo, hi = attrs["exponent"], attrs["lo"], attrs["hi"]
            self._check_range(where, e, lo, hi)
            return e, lo, hi

        if op in ("conv2d", "conv_transpose2d"):
            k, st, pd = attrs["kernel"], attrs["stride"], attrs["padding"]
            if not 1 <= k <= 15 or not 1 <= st <= 8 or not 0 <= pd <= k - 1:
                raise GraphError(f"{where}: kernel/stride/padding out of range")
            if op == "conv_transpose2d" and not 0 <= attrs["output_padding"] <= st - 1:
                raise GraphError(f"{where}: output_padding out of range")
            w_rec = tensors[0][1]
            if w_rec.ndim != 4:
                raise GraphError(f"{where}: weight must have rank 4")
            c_out = w_rec.shape[0] if op == "conv2d" else w_rec.shape[1]
            wshape = (c_out, x0.channels, k, k) if op == "conv2d" else (x0.channels, c_out, k, k)
            w = ptensor(0, "int16", wshape)
            b = ptensor(1, "int32", (c_out,))
            m, s = mult_shift(2, 3, c_out, 62)
            e, lo, hi = out_range()
            wabs = np.abs(w).sum(axis=(1, 2, 3)) if op == "conv2d" else np.abs(w).sum(axis=(0, 2, 3))
            bound = int(np.max(np.abs(b) + wabs * x0.bound))
            self._check_bound(where, bound, attrs["accumulator_bound"])
            node.params = (w, b, m, s)
            info = ValueInfo(c_out, e, lo, hi)
        elif op in ("gdn", "igdn"):
            c = x0.channels
            t = attrs["square_shift"]
            if not 0 <= t <= 30:
                raise GraphError(f"{where}: square_shift {t} outside 0…30")
            gamma = ptensor(0, "int16", (c, c))
            beta = ptensor(1, "int32", (c,))
            m, s = mult_shift(2, 3, c, 46 if op == "gdn" else 62)
            e, lo, hi = out_range()
            U = min(rshift_int(x0.bound * x0.bound, t), I16_MAX)
            bound = int(np.max(np.abs(beta) + np.abs(gamma).sum(axis=1) * U))
            self._check_bound(where, bound, attrs["accumulator_bound"])
            node.params = (gamma, beta, m, s)
            info = ValueInfo(c, e, lo, hi)
        elif op == "relu":
            info = ValueInfo(x0.channels, x0.exponent, max(x0.lo, 0), max(x0.hi, 0))
        elif op == "abs":
            a, bb = abs(x0.lo), abs(x0.hi)
            lo = 0 if x0.lo <= 0 <= x0.hi else min(a, bb)
            info = ValueInfo(x0.channels, x0.exponent, lo, max(a, bb))
        elif op == "leaky_relu":
            a, sa = attrs["slope"], attrs["slope_shift"]
            if not 0 <= a <= I16_MAX or not 0 <= sa <= 30:
                raise GraphError(f"{where}: slope/slope_shift out of range")
            lo = rshift_int(x0.lo * a, sa) if x0.lo < 0 else x0.lo
            info = ValueInfo(x0.channels, x0.exponent, lo, x0.hi)
        elif op == "clamp":
            lo, hi = attrs["lo"], attrs["hi"]
            self._check_range(where, 0, lo, hi)
            info = ValueInfo(x0.channels, x0.exponent, lo, hi)
        elif op in ("add", "concat"):
            e, lo, hi = out_range()
            for kk in range(len(ins)):
                mk, sk = attrs[f"multiplier_{kk}"], attrs[f"shift_{kk}"]
                if not 1 <= mk <= (1 << 31) - 1 or not 0 <= sk <= 62:
                    raise GraphError(f"{where}: multiplier_{kk}/shift_{kk} out of range")
            if op == "add":
                if xin[0].channels != xin[1].channels:
                    raise GraphError(f"{where}: inputs have {xin[0].channels} and {xin[1].channels} channels")
                info = ValueInfo(x0.channels, e, lo, hi)
            else:
                info = ValueInfo(sum(v.channels for v in xin), e, lo, hi)
        elif op == "pixel_shuffle":
            r = attrs["factor"]
            if not 1 <= r <= 8 or x0.channels % (r * r):
                raise GraphError(f"{where}: factor {r} does not divide {x0.channels} channels")
            info = ValueInfo(x0.channels // (r * r), x0.exponent, x0.lo, x0.hi)
        elif op == "affine":
            c = x0.channels
            a = ptensor(0, "int16", (c,))
            b = ptensor(1, "int32", (c,))
            m, s = mult_shift(2, 3, c, 62)
            node.params = (a, b, m, s)
            info = ValueInfo(c, *out_range())
        elif op == "conditioned_affine":
            c = x0.channels
            a_arr = tensors[0][1]
            if a_arr.ndim != 2:
                raise GraphError(f"{where}: a must be (levels, C)")
            levels = a_arr.shape[0]
            a = ptensor(0, "int16", (levels, c))
            b = ptensor(1, "int32", (levels, c))
            m, s = mult_shift(2, 3, c, 62)
            node.params = (a, b, m, s)
            node.levels = levels
            info = ValueInfo(c, *out_range())
        elif op == "lookup":
            k, first = attrs["shift"], attrs["first"]
            if not 0 <= k <= 15 or not -I16_MAX <= first <= I16_MAX:
                raise GraphError(f"{where}: shift {k} or first {first} out of range")
            rec, arr = tensors[0]
            if rec.dtype != "int16" or arr.ndim != 1 or not 1 <= arr.shape[0] <= 65535:
                raise GraphError(f"{where}: table {rec.name!r} must be int16 (L), 1 ≤ L ≤ 65535")
            table = arr.astype(np.int64)
            if first + len(table) - 1 > I16_MAX:
                raise GraphError(f"{where}: first + L − 1 = {first + len(table) - 1} exceeds 32767")
            e, lo, hi = out_range()
            if table.min() < lo or table.max() > hi:
                raise GraphError(f"{where}: a table entry lies outside [{lo}, {hi}]")
            node.params = (table,)
            info = ValueInfo(x0.channels, e, lo, hi)
        elif op == "mul":
            mk, sk = attrs["multiplier"], attrs["shift"]
            if not 1 <= mk <= (1 << 31) - 1 or not 0 <= sk <= 62:
                raise GraphError(f"{where}: multiplier/shift out of range")
            if xin[0].channels != xin[1].channels:
                raise GraphError(f"{where}: inputs have {xin[0].channels} and {xin[1].channels} channels")
            info = ValueInfo(x0.channels, *out_range())
        if op not in ("conv2d", "conv_transpose2d", "gdn", "igdn", "affine", "conditioned_affine",
                      "lookup"):
            node.params = ()
        self._define(where, out, info)
        self.nodes.append(node)

    @staticmethod
    def _check_bound(where, bound, recorded):
        if bound > (1 << 31) - 1:
            raise GraphError(f"{where}: accumulator bound {bound} exceeds 2^31 − 1")
        if bound != recorded:
            raise GraphError(f"{where}: accumulator bound {bound} differs from the recorded {recorded}")

    @property
    def levels(self):
        ls = {n.levels for n in self.nodes if n.op == "conditioned_affine"}
        return ls.pop() if len(ls) == 1 else (None if not ls else ls)

    def spatial(self, sizes):
        """Static shape inference: {input name: (H, W)} -> {output name: (H, W)} (§4, §6)."""
        hw = dict(sizes)
        for n in self.nodes:
            ins = [hw[v] for v in n.inputs]
            h, w = ins[0]
            a = n.attrs
            if n.op == "conv2d":
                k, st, p = a["kernel"], a["stride"], a["padding"]
                h, w = (h + 2 * p - k) // st + 1, (w + 2 * p - k) // st + 1
            elif n.op == "conv_transpose2d":
                k, st, p, op = a["kernel"], a["stride"], a["padding"], a["output_padding"]
                h, w = (h - 1) * st - 2 * p + k + op, (w - 1) * st - 2 * p + k + op
            elif n.op == "pixel_shuffle":
                h, w = h * a["factor"], w * a["factor"]
            elif n.op in ("add", "concat", "mul") and any(x != ins[0] for x in ins):
                raise GraphError(f"{n.name}: inputs of different spatial sizes {ins}")
            if h < 1 or w < 1:
                raise GraphError(f"{n.name}: empty output for inputs {ins}")
            hw[n.output] = (h, w)
        return {o: hw[o] for o in self.outputs}

    # -- evaluation --------------------------------------------------------------------------
    def run(self, inputs, level=None):
        """Evaluate on {input name: int64 array (C, H, W)}; returns {output name: array}."""
        vals = {}
        for name in self.inputs:
            x = np.asarray(inputs[name], dtype=np.int64)
            info = self.info[name]
            if x.ndim != 3 or x.shape[0] != info.channels:
                raise GraphError(f"graph {self.name!r}: input {name!r} has shape {x.shape}")
            if x.size and (x.min() < info.lo or x.max() > info.hi):
                raise GraphError(f"graph {self.name!r}: input {name!r} outside its clamp range")
            vals[name] = x
        # free values once their last reader has run
        last_use = {}
        for k, n in enumerate(self.nodes):
            for v in n.inputs:
                last_use[v] = k
        for k, n in enumerate(self.nodes):
            xs = [vals[v] for v in n.inputs]
            vals[n.output] = self._eval(n, xs, level)
            for v in n.inputs:
                if last_use.get(v) == k and v not in self.outputs and v not in self.inputs:
                    del vals[v]
        return {o: vals[o] for o in self.outputs}

    def _eval(self, n, xs, level):
        a = n.attrs
        x = xs[0]
        op = n.op
        if op == "conv2d":
            w, b, m, s = n.params
            acc = conv2d_acc(x, w, b, a["stride"], a["padding"])
            return requant(acc, m[:, None, None], s[:, None, None], a["lo"], a["hi"])
        if op == "conv_transpose2d":
            w, b, m, s = n.params
            acc = conv_transpose2d_acc(x, w, b, a["stride"], a["padding"], a["output_padding"])
            return requant(acc, m[:, None, None], s[:, None, None], a["lo"], a["hi"])
        if op in ("gdn", "igdn"):
            gamma, beta, m, s = n.params
            c, h, wd = x.shape
            u = np.minimum(rshift(x * x, a["square_shift"]), I16_MAX)
            nn = gamma.astype(np.float64) @ u.reshape(c, h * wd).astype(np.float64)
            nn = _to_int(nn + beta.astype(np.float64)[:, None]).reshape(c, h, wd)
            r = isqrt(np.maximum(nn, 0))
            if op == "igdn":
                return requant(x * r, m[:, None, None], s[:, None, None], a["lo"], a["hi"])
            num = x * m[:, None, None]
            den = np.maximum(r, 1) << s[:, None, None]
            return np.clip(rdiv(num, den), a["lo"], a["hi"])
        if op == "relu":
            return np.maximum(x, 0)
        if op == "abs":
            return np.abs(x)
        if op == "leaky_relu":
            return np.where(x >= 0, x, rshift(x * a["slope"], a["slope_shift"]))
        if op == "clamp":
            return np.clip(x, a["lo"], a["hi"])
        if op == "add":
            y = xs[1]
            if x.shape != y.shape:
                raise GraphError(f"{n.name}: input shapes {x.shape} and {y.shape} differ")
            v = rshift(x * a["multiplier_0"], a["shift_0"]) + rshift(y * a["multiplier_1"], a["shift_1"])
            return np.clip(v, a["lo"], a["hi"])
        if op == "concat":
            hw = x.shape[1:]
            parts = []
            for k, xk in enumerate(xs):
                if xk.shape[1:] != hw:
                    raise GraphError(f"{n.name}: inputs of different spatial sizes")
                parts.append(requant(xk, a[f"multiplier_{k}"], a[f"shift_{k}"], a["lo"], a["hi"]))
            return np.concatenate(parts, axis=0)
        if op == "pixel_shuffle":
            r = a["factor"]
            c, h, wd = x.shape
            co = c // (r * r)
            return x.reshape(co, r, r, h, wd).transpose(0, 3, 1, 4, 2).reshape(co, h * r, wd * r)
        if op in ("affine", "conditioned_affine"):
            av, bv, m, s = n.params
            if op == "conditioned_affine":
                if level is None or not 0 <= level < n.levels:
                    raise GraphError(f"{n.name}: conditioning level {level} outside 0…{n.levels - 1}")
                av, bv = av[level], bv[level]
            acc = x * av[:, None, None] + bv[:, None, None]
            return requant(acc, m[:, None, None], s[:, None, None], a["lo"], a["hi"])
        if op == "lookup":
            return lookup(x, n.params[0], a["shift"], a["first"])
        if op == "mul":
            y = xs[1]
            if x.shape != y.shape:
                raise GraphError(f"{n.name}: input shapes {x.shape} and {y.shape} differ")
            return mul(x, y, a["multiplier"], a["shift"], a["lo"], a["hi"])
        raise GraphError(f"{n.name}: unknown operator")
