#!/usr/bin/env python3
"""Export a gic-v1 training checkpoint to the .npz that gic's converter reads (needs CompressAI).

Writes, with np.savez (uncompressed; keys as CompressAI spells them where CompressAI has them):
  * the float32 state dict of python/gicv1/model.py (g_a, g_s, h_a, h_s, reverse, rate.q_max,
    rate.q_min, sampler.alpha, sampler.extra_levels, entropy_bottleneck parameters);
  * entropy_bottleneck.{_offset,_quantized_cdf,_cdf_length} (and the rest of its state) from
    CompressAI 1.2.8's EntropyBottleneck(N) loaded with the trained parameters and
    update(force=True) (optionally after its bisection quantile update, --update-quantiles,
    which also rewrites `quantiles` and so the medians);
  * gaussian_conditional.{_offset,_quantized_cdf,_cdf_length,scale_table,scale_bound,
    likelihood_lower_bound.bound,lower_bound_scale.bound} from CompressAI's
    GaussianConditional(None) after update_scale_table(get_scale_table()) and update(): the
    symbols of y are coded with the table entry that CompressAI's build_indexes picks for
    sigma/q;
  * sampler.level_offsets int32 (4, 4): row n-1, column i = d_{n,i} (model.py eq. 5; 0 where
    i >= n), the level offsets the sampler uses, so that no decoder has to re-derive the
    rounding of ln(n/(n-i))/Delta.

Example:
  python3 python/gicv1/export.py --checkpoint /tmp/gic-v1.pt -o models/gic-v1.npz
"""
import argparse
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from compressai_env import import_compressai  # noqa: E402

import_compressai()
from gic.exporting import gicv1_arrays  # noqa: E402
from gicv1 import model as gm  # noqa: E402


def load_checkpoint(path):
    ckpt = torch.load(path, map_location="cpu")
    state = ckpt["model"] if isinstance(ckpt, dict) and "model" in ckpt else ckpt
    return {k[len("module."):] if k.startswith("module.") else k: v for k, v in state.items()}


def export_arrays(model, update_quantiles=False):
    """{key: numpy array} for a GICv1 (float32 parameters, CompressAI tables): gic.export's
    gicv1_arrays (python/gic/exporting.py), the one implementation."""
    return gicv1_arrays(model, update_quantiles)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True, help="train.py checkpoint (or a bare state dict)")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--alpha", type=float, help="set every used sampler.alpha entry to this value")
    ap.add_argument("--update-quantiles", action="store_true",
                    help="CompressAI's bisection update of the quantiles before building the tables")
    args = ap.parse_args(argv)

    model = gm.model_from_state(load_checkpoint(args.checkpoint))
    if args.alpha is not None:
        model.sampler.alpha.copy_(torch.from_numpy(gm.default_alpha(value=args.alpha)))
    arrays = export_arrays(model, args.update_quantiles)
    for k, a in arrays.items():
        if a.dtype not in (np.float32, np.int32):
            raise TypeError(f"{k}: unexpected dtype {a.dtype}")
    np.savez(args.output, **arrays)
    total = sum(a.nbytes for a in arrays.values())
    print(f"wrote {args.output}: {len(arrays)} arrays, {total} bytes "
          f"(N={model.N} M={model.M} W={model.W}, level offsets "
          f"{arrays['sampler.level_offsets'].tolist()})", file=sys.stderr)


if __name__ == "__main__":
    main()
