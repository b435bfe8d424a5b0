#!/usr/bin/env python3
"""Generate the CompressAI entropy-table fixtures for the Swift table builder.

Usage:  python3 python/make_entropy_fixtures.py

Writes Tests/ConvertersTests/Fixtures/entropy/ (CompressAI 1.2.8, torch CPU, NumPy):

- `bottleneck.npz` — an EntropyBottleneck(8) with perturbed, trained-looking density parameters
  (seed 1234; quantiles found by CompressAI's own `update(force=True, update_quantiles=True)`),
  stored under `entropy_bottleneck.` with the v1.2.6+ spelling (`matrices.N`, `biases.N`,
  `factors.N`), CompressAI's tables (`_quantized_cdf`, `_cdf_length`, `_offset`), and the float32
  masses CompressAI fed to `pmf_to_quantized_cdf`: `reference.pmf` (C, max_length; the first
  `_cdf_length - 2` entries of a row are used) and `reference.tail_mass` (C,).
- `bottleneck_spellings.npz` — the same parameters without tables, twice: under
  `module.entropy_bottleneck.` with the v1.1.0–1.2.5 spelling (`_matrixN`, `_biasN`, `_factorN`)
  and under `v1_0.entropy_bottleneck.` with the v1.0 spelling (`_matrices.N`, `_biases.N`,
  `_factors.N`).
- `gaussian.npz` — a GaussianConditional with CompressAI's default scale table
  (`get_scale_table()`: 64 scales from 0.11 to 256): `scale_table`, `scale_bound` and the full
  table (64 × 3133 int32, 800 KB raw, about 31 KB deflated), plus `reference.pmf` /
  `reference.tail_mass` / `reference.rows` for a subset of rows (the rows listed in
  `reference.rows`).

Every file is written with `np.savez_compressed` (zip timestamps fixed by NumPy), so the output
is deterministic. The script also checks its own reference implementation of the normative
PMF-to-CDF algorithm (spec/entropy-coding.md, "PMF to CDF") against CompressAI's C++ on every
row: fed CompressAI's float32 masses, both must give the same table.
"""
import os
import sys

import numpy as np
import torch

from compressai_env import import_compressai
from pmf_to_cdf import pmf_to_cdf_reference

import_compressai()
from compressai.entropy_models import EntropyBottleneck, GaussianConditional  # noqa: E402
from compressai.models.base import get_scale_table  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
OUT = os.path.join(ROOT, "Tests", "ConvertersTests", "Fixtures", "entropy")
GAUSSIAN_REFERENCE_ROWS = list(range(0, 64, 9)) + [63]


def check_rows(name, quantized_cdf, cdf_length, pmf, tail, rows):
    """Asserts that the reference algorithm reproduces CompressAI's rows from its own masses."""
    for r, i in enumerate(rows):
        length = int(cdf_length[i])
        masses = [float(x) for x in pmf[r, : length - 2]] + [float(tail[r])]
        ours = pmf_to_cdf_reference(masses, 16)
        theirs = [int(x) for x in quantized_cdf[i, :length]]
        assert ours == theirs, f"{name}: row {i} differs"


def bottleneck():
    torch.manual_seed(1234)
    eb = EntropyBottleneck(8)
    with torch.no_grad():
        for p in list(eb.matrices) + list(eb.biases) + list(eb.factors):
            p.add_(torch.randn_like(p) * 0.3)
        # Different widths per channel, so that the rows have different lengths.
        eb.matrices[0].add_(torch.linspace(1.0, 4.0, 8)[:, None, None])
    eb.update(force=True, update_quantiles=True)

    # The masses exactly as EntropyBottleneck.update() computes them.
    with torch.no_grad():
        medians = eb.quantiles[:, 0, 1]
        minima = torch.clamp(torch.ceil(medians - eb.quantiles[:, 0, 0]).int(), min=0)
        maxima = torch.clamp(torch.ceil(eb.quantiles[:, 0, 2] - medians).int(), min=0)
        pmf_start = medians - minima
        pmf_length = maxima + minima + 1
        max_length = pmf_length.max().item()
        samples = torch.arange(max_length)[None, :] + pmf_start[:, None, None]
        pmf, lower, upper = eb._likelihood(samples, stop_gradient=True)
        pmf = pmf[:, 0, :]
        tail = torch.sigmoid(lower[:, 0, :1]) + torch.sigmoid(-upper[:, 0, -1:])
    assert torch.equal(-minima, eb._offset)

    state = {k: v.detach().cpu().numpy() for k, v in eb.state_dict().items()}
    reference = {
        "reference.pmf": pmf.numpy().astype(np.float32),
        "reference.tail_mass": tail[:, 0].numpy().astype(np.float32),
    }
    check_rows(
        "bottleneck", state["_quantized_cdf"], state["_cdf_length"], reference["reference.pmf"],
        reference["reference.tail_mass"], range(8))

    main = {f"entropy_bottleneck.{k}": v for k, v in state.items()}
    np.savez_compressed(os.path.join(OUT, "bottleneck.npz"), **main, **reference)

    spellings = {}
    for k, v in state.items():
        if k == "quantiles":
            spellings["module.entropy_bottleneck.quantiles"] = v
            spellings["v1_0.entropy_bottleneck.quantiles"] = v
            continue
        for plural, singular in (("matrices", "matrix"), ("biases", "bias"), ("factors", "factor")):
            if k.startswith(plural + "."):
                index = k.split(".")[1]
                spellings[f"module.entropy_bottleneck._{singular}{index}"] = v
                spellings[f"v1_0.entropy_bottleneck._{plural}.{index}"] = v
    assert len(spellings) == 2 * (1 + 5 + 5 + 4)
    np.savez_compressed(os.path.join(OUT, "bottleneck_spellings.npz"), **spellings)
    return state


def gaussian():
    gc = GaussianConditional(None)
    gc.update_scale_table(get_scale_table())
    state = {k: v.detach().cpu().numpy() for k, v in gc.state_dict().items()}

    # The masses exactly as GaussianConditional.update() computes them.
    with torch.no_grad():
        multiplier = -gc._standardized_quantile(gc.tail_mass / 2)
        pmf_center = torch.ceil(gc.scale_table * multiplier).int()
        max_length = torch.max(2 * pmf_center + 1).item()
        samples = torch.abs(torch.arange(max_length).int() - pmf_center[:, None]).float()
        scales = gc.scale_table.unsqueeze(1).float()
        upper = gc._standardized_cumulative((0.5 - samples) / scales)
        lower = gc._standardized_cumulative((-0.5 - samples) / scales)
        pmf = upper - lower
        tail = 2 * lower[:, 0]
    assert torch.equal(-pmf_center, gc._offset)

    rows = GAUSSIAN_REFERENCE_ROWS
    reference = {
        "reference.rows": np.array(rows, dtype=np.int32),
        "reference.pmf": pmf.numpy()[rows].astype(np.float32),
        "reference.tail_mass": tail.numpy()[rows].astype(np.float32),
    }
    check_rows(
        "gaussian", state["_quantized_cdf"], state["_cdf_length"], reference["reference.pmf"],
        reference["reference.tail_mass"], rows)
    main = {f"gaussian_conditional.{k}": v for k, v in state.items()}
    np.savez_compressed(os.path.join(OUT, "gaussian.npz"), **main, **reference)
    return state, float(multiplier)


def main(argv=None):
    import argparse
    global OUT
    ap = argparse.ArgumentParser(description="Regenerate the CompressAI entropy-table fixtures.")
    ap.add_argument("--out", default=OUT, help="output folder (default: the committed one)")
    OUT = ap.parse_args(argv).out
    os.makedirs(OUT, exist_ok=True)
    eb = bottleneck()
    gc, multiplier = gaussian()
    total = 0
    for name in sorted(os.listdir(OUT)):
        size = os.path.getsize(os.path.join(OUT, name))
        total += size
        print(f"{name}: {size} bytes", file=sys.stderr)
    print(f"total {total} bytes; bottleneck lengths {eb['_cdf_length'].tolist()}; "
          f"gaussian multiplier {multiplier!r}", file=sys.stderr)


if __name__ == "__main__":
    main()
