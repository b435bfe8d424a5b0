#!/usr/bin/env python3
"""Export a CompressAI model's state dict to a NumPy .npz that `gic-convert` reads.

The model's entropy models are updated first (`model.update(force=True)`), so the export carries
CompressAI's own quantized CDF tables (`_quantized_cdf`, `_cdf_length`, `_offset`) next to the
float parameters. Keys keep CompressAI's spelling; a `module.` prefix (from DataParallel) is
stripped.

Examples:
  # an untrained model with a fixed seed (the shipped structural example)
  python3 python/export_compressai.py bmshj2018-hyperprior --N 16 --M 24 --seed 0 -o example.npz
  # a checkpoint saved with torch.save(model.state_dict(), path)
  python3 python/export_compressai.py mbt2018-mean --N 128 --M 192 --checkpoint ckpt.pth -o m.npz
  # the context-model architectures (gic-convert profiles mbt2018, cheng2020-anchor; spec/bitstream.md
  # §11-§12); cheng2020-anchor takes N only (M = N)
  python3 python/export_compressai.py mbt2018 --N 64 --M 96 --checkpoint ckpt.pth -o m.npz
  python3 python/export_compressai.py cheng2020-anchor --N 64 --checkpoint ckpt.pth -o c.npz
  # cheng2020-attn (Cheng2020Attention: cheng2020-anchor with attention blocks, whose sigmoid
  # gate and product are the lookup and mul operators of spec/integer-ops.md §6.1, §6.2), seeded
  python3 python/export_compressai.py cheng2020-attn --N 16 --seed 0 -o attn.npz

mbt2018 (JointAutoregressiveHierarchicalPriors), cheng2020-anchor (Cheng2020Anchor) and
cheng2020-attn (Cheng2020Attention, a subclass of Cheng2020Anchor) are exported the same way (update(force=True), then the state dict with CompressAI's key names,
context_prediction.* and entropy_parameters.* included); gic.export (python/gic) knows them too.
"""
import argparse
import sys

import numpy as np
import torch

from compressai_env import import_compressai

import_compressai()
from gic.exporting import CHENG2020, COMPRESSAI_CLASSES, ExportError, compressai_model, export_arrays  # noqa: E402


def export(model, path):
    """Writes the model's state dict (after update(force=True)) to `path` with np.savez: the
    arrays of gic.export (python/gic/exporting.py)."""
    arrays, _ = export_arrays(model)
    np.savez(path, **arrays)
    return arrays


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("architecture", choices=sorted(COMPRESSAI_CLASSES.values()))
    ap.add_argument("--N", type=int, default=128)
    ap.add_argument("--M", type=int, default=None,
                    help="latent channels (default 192; cheng2020-anchor: omit, or give N: its M is N)")
    ap.add_argument("--checkpoint", help="a state dict saved with torch.save")
    ap.add_argument("--seed", type=int, default=0, help="initialisation seed (untrained export)")
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args(argv)

    torch.manual_seed(args.seed)
    default_m = args.N if args.architecture in CHENG2020 else 192
    try:
        model = compressai_model(args.architecture, args.N, default_m if args.M is None else args.M)
    except ExportError as e:
        ap.error(str(e))
    if args.checkpoint:
        state = torch.load(args.checkpoint, map_location="cpu")
        state = {k[len("module."):] if k.startswith("module.") else k: v for k, v in state.items()}
        model.load_state_dict(state)
    model.eval()
    arrays = export(model, args.output)
    total = sum(a.nbytes for a in arrays.values())
    print(f"wrote {args.output}: {len(arrays)} arrays, {total} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
