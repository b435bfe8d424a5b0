"""The normative PMF-to-CDF algorithm of spec/entropy-coding.md §7 (CompressAI's
`pmf_to_quantized_cdf` on float64 masses), in exact integer arithmetic after one rounding.

Shared by python/make_entropy_fixtures.py (which checks it against CompressAI's C++ on every row
of its fixtures) and python/gicv2/detail_fill.py (the DETAIL table of spec/bitstream.md §7.5).
NumPy only.
"""
import numpy as np


def pmf_to_cdf_reference(masses, precision):
    """The n + 1 entries of the row for masses m[0 … n−1] (the last one the escape mass)."""
    n = len(masses)
    assert 1 <= n <= 1 << precision
    scale = 1 << precision
    freq = []
    for m in masses:
        m = float(m)
        assert np.isfinite(m) and m >= 0
        x = m * scale
        freq.append(int(np.floor(x + 0.5)) if x >= 0 else 0)  # half away from zero, x >= 0
    total = sum(freq)
    assert total > 0
    freq = [(f * scale) // total for f in freq]
    cdf = [0]
    for f in freq:
        cdf.append(cdf[-1] + f)
    cdf[n] = scale
    for i in range(n):
        if cdf[i] == cdf[i + 1]:
            best, best_j = None, -1
            for j in range(n):
                f = cdf[j + 1] - cdf[j]
                if f > 1 and (best is None or f < best):
                    best, best_j = f, j
            assert best_j >= 0
            if best_j < i:
                for k in range(best_j + 1, i + 1):
                    cdf[k] -= 1
            else:
                for k in range(i + 1, best_j + 1):
                    cdf[k] += 1
    return cdf

