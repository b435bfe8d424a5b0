"""The NumPy spec decoder's `lookup` and `mul` (spec/integer-ops.md §6.1, §6.2).

Run: python3 -m unittest discover -s python/tests -v   (scripts/test.sh does)

- The reference decoder's outputs on seeded random nodes, committed by the Swift suite
  LookupMulCrossCheckTests as Tests/ReferenceCodecTests/Fixtures/golden/lookup-mul-cases.json,
  reproduced from the spec text.
- Stored graphs with both nodes: loading, shapes, running, and the nodes a decoder refuses.
- §6.1.1's sigmoid table and its stated error bound, measured exhaustively.
"""
import json
import os
import sys
import unittest

import numpy as np

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))

from gic_spec_decoder import Container, GraphError  # noqa: E402
from gic_spec_decoder.container import write_container  # noqa: E402
from gic_spec_decoder.graph import Graph, lookup, mul, rshift  # noqa: E402

CASES = os.path.join(ROOT, "Tests", "ReferenceCodecTests", "Fixtures", "golden", "lookup-mul-cases.json")


def graph(nodes, tensors, inputs=(("x", 2, 0, -32767, 32767), ("x2", 2, 0, -32767, 32767)),
          outputs=("y",)):
    items = [["input", *i] for i in inputs] + [["output", o] for o in outputs] + nodes
    data = write_container({"gic.graph.test": items},
                           {k: (v, str(v.dtype), None) for k, v in tensors.items()}, {})
    return Graph(Container(data), "test")


def lookup_node(out="y", shift=0, first=0, lo=0, hi=100, table="t"):
    return ["node", "lookup", ["x"], out,
            ["shift", shift, "first", first, "exponent", 15, "lo", lo, "hi", hi], [table]]


def mul_node(out="y", m=1 << 30, s=30, lo=-32767, hi=32767, inputs=("x", "x2")):
    return ["node", "mul", list(inputs), out,
            ["multiplier", m, "shift", s, "exponent", 4, "lo", lo, "hi", hi], []]


def sigmoid_table(e, lo, hi):
    """§6.1.1: q(x) = min(floor(σ(x · 2^−e) · 2^15 + 1/2), 32767) with its end runs cut."""
    x = np.arange(lo, hi + 1, dtype=np.float64)
    with np.errstate(over="ignore"):
        s = 1.0 / (1.0 + np.exp(-x * 2.0 ** -e))
    q = np.minimum(np.floor(s * 32768 + 0.5), 32767).astype(np.int64)
    start = int(np.nonzero(q == q[0])[0][-1])
    end = max(start, int(np.nonzero(q == q[-1])[0][0]))
    return lo + start, q[start:end + 1], s


class ReferenceCases(unittest.TestCase):
    def test_reference_outputs_reproduced(self):
        with open(CASES) as f:
            cases = json.load(f)
        self.assertEqual(len(cases), 24)
        for n, c in enumerate(cases):
            shape = tuple(c["shape"])
            x = np.array(c["x"], dtype=np.int64).reshape(shape)
            x2 = np.array(c["x2"], dtype=np.int64).reshape(shape)
            lk, mu = c["lookup"], c["mul"]
            got = lookup(x, lk["table"], lk["shift"], lk["first"])
            np.testing.assert_array_equal(got.reshape(-1), lk["out"], err_msg=f"case {n} lookup")
            got = mul(x, x2, mu["multiplier"], mu["shift"], mu["lo"], mu["hi"])
            np.testing.assert_array_equal(got.reshape(-1), mu["out"], err_msg=f"case {n} mul")


class StoredGraphs(unittest.TestCase):
    def test_lookup_and_mul_in_a_graph(self):
        rng = np.random.default_rng(15)
        table = np.arange(-20, 21, dtype=np.int16) * 3
        g = graph([lookup_node("s", shift=4, first=-20, lo=-60, hi=60), mul_node("p", inputs=("s", "x2"))],
                  {"t": table}, outputs=("s", "p"))
        self.assertEqual(g.spatial({"x": (3, 5), "x2": (3, 5)}), {"s": (3, 5), "p": (3, 5)})
        x = rng.integers(-32767, 32768, size=(2, 3, 5))
        x2 = rng.integers(-32767, 32768, size=(2, 3, 5))
        out = g.run({"x": x, "x2": x2})
        idx = np.clip((x + 8) >> 4, -20, 20)
        np.testing.assert_array_equal(out["s"], (idx * 3))
        np.testing.assert_array_equal(out["p"], np.clip(rshift(out["s"] * x2 * (1 << 30), 30), -32767, 32767))
        self.assertEqual((g.info["s"].exponent, g.info["s"].lo, g.info["s"].hi), (15, -60, 60))
        self.assertEqual(g.info["p"].exponent, 4)

    def test_extremes(self):
        self.assertEqual(rshift(np.int64(-2), 2), 0)       # half up: the index of −2 is 0 for k = 2
        np.testing.assert_array_equal(lookup(np.array([-7, -6, -3, -2, 1, 2, 32767]), [1, 2, 3], 2, -1),
                                      [1, 1, 1, 2, 2, 3, 3])
        np.testing.assert_array_equal(
            lookup(np.array([-32767, -16385, -16384, 16383, 16384, 32767]), [7, 8, 9], 15, -1),
            [7, 7, 8, 8, 9, 9])
        big = (1 << 31) - 1
        x1 = np.array([32767, -32767, 181, 3, -3, 0])
        x2 = np.array([32767, 32767, 181, -5, 1, -32767])
        np.testing.assert_array_equal(mul(x1, x2, 1 << 30, 30, -32767, 32767), [32767, -32767, 32761, -15, -3, 0])
        np.testing.assert_array_equal(mul(x1, x2, big, 61, -32767, 32767), [1, -1, 0, 0, 0, 0])
        np.testing.assert_array_equal(mul(x1, x2, big, 46, -32767, 32767), [32766, -32766, 1, 0, 0, 0])
        np.testing.assert_array_equal(mul(x1, x2, big, 62, -32767, 32767), [0] * 6)

    def test_malformed_nodes_are_refused(self):
        t = {"t": np.array([0, 50, 100], dtype=np.int16)}
        graph([lookup_node()], t)
        graph([mul_node()], {})
        bad = [
            ([lookup_node()], {"t": np.array([0, 101], dtype=np.int16)}),
            ([lookup_node(lo=1)], t),
            ([lookup_node(shift=16)], t),
            ([lookup_node(first=-32768)], t),
            ([lookup_node(first=32766)], t),
            ([lookup_node()], {"t": np.array([0, 1], dtype=np.int32)}),
            ([lookup_node()], {"t": np.array([[0, 1]], dtype=np.int16)}),
            ([lookup_node(table="nope")], t),
            ([mul_node(m=0)], {}),
            ([mul_node(m=1 << 31)], {}),
            ([mul_node(s=63)], {}),
            ([mul_node(inputs=("x",))], {}),
        ]
        for nodes, tensors in bad:
            with self.assertRaises(GraphError, msg=str(nodes)):
                graph(nodes, tensors)
        with self.assertRaises(GraphError):
            graph([mul_node()], {}, inputs=(("x", 2, 0, -5, 5), ("x2", 3, 0, -5, 5)))


class SigmoidTable(unittest.TestCase):
    def test_error_bound_measured_exhaustively(self):
        """Every input of every converter format (e = −16 … 24, x = −4095 … 4095)."""
        worst, worst_below_top, longest, count = 0.0, 0.0, 0, 0
        for e in range(-16, 25):
            first, table, s = sigmoid_table(e, -4095, 4095)
            longest = max(longest, len(table))
            self.assertTrue(np.all(np.diff(table) >= 0))
            x = np.arange(-4095, 4096)
            out = lookup(x, table, 0, first)
            err = np.abs(out / 32768 - s)
            worst = max(worst, float(err.max()))
            below = out < 32767
            if below.any():
                worst_below_top = max(worst_below_top, float(err[below].max()))
            count += len(x)
        self.assertEqual(count, 335831)
        self.assertEqual(worst, 2.0 ** -15)
        self.assertLessEqual(worst_below_top, 2.0 ** -16)
        self.assertAlmostEqual(worst_below_top, 1.5258789058e-05, delta=1e-14)
        self.assertEqual(longest, 8191)

    def test_constant_table(self):
        first, table, _ = sigmoid_table(-30, 1, 4095)
        self.assertEqual((first, table.tolist()), (4095, [32767]))


if __name__ == "__main__":
    unittest.main()
