#!/usr/bin/env python3
"""Writes compact copies of the test codec models as FuzzWeightFile seeds (NumPy).

The test models (Tests/ReferenceCodecTests/Fixtures/codec/*.gicw, about 1 MB each) are 78 %
Gaussian-conditional CDF table: 64 scale rows of up to 3,133 entries. A fuzzer spends most of
its time copying, hashing and validating that table, so mutants of those files ran at a few
hundred executions per second. This tool keeps every tensor, graph and metadata entry and the
64 rows, but gives the wide rows (index >= ROWS_KEPT) the shape and values of row ROWS_KEPT - 1,
which shrinks the table to 64 × that row's length. The result is still a complete codec model
that `HyperpriorCodec(file:)` loads (it codes worse, which a seed need not care about), at about
a quarter of the size.

    python3 FuzzTesting/Tools/make_compact_models.py OUT_DIR MODEL.gicw...

Reads and writes containers with the spec-only reader and writer of python/gic_spec_decoder.
"""
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))

from gic_spec_decoder import container as gicw  # noqa: E402

ROWS_KEPT = 8
TABLE = "gaussian_conditional"


def quantization(record):
    if record.quantization == 0:
        return None
    if record.quantization == 1:
        return ("tensor", list(record.params))
    return ("axis", record.axis, list(record.params))


def compact(path):
    c = gicw.Container(open(path, "rb").read())
    tensors = {}
    for name, record in c.tensors.items():
        tensors[name] = (c.tensor(name), record.dtype, quantization(record))
    cdfs = {}
    for name in c.cdfs:
        t = c.cdf_table(name)
        offsets = np.array(t.offsets, dtype=np.int64)
        lengths = np.array(t.lengths, dtype=np.int64)
        cdf = np.array(t.cdf, dtype=np.int64)
        if name == TABLE and t.n > ROWS_KEPT:
            last = ROWS_KEPT - 1
            offsets[ROWS_KEPT:] = offsets[last]
            lengths[ROWS_KEPT:] = lengths[last]
            cdf[ROWS_KEPT:] = cdf[last]
            cdf = cdf[:, : int(lengths.max())]
        cdfs[name] = (t.precision, offsets, lengths, cdf)
    return gicw.write_container(c.metadata, tensors, cdfs, minor=c.minor)


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    out = argv[1]
    os.makedirs(out, exist_ok=True)
    for path in argv[2:]:
        data = compact(path)
        target = os.path.join(out, "compact-" + os.path.basename(path))
        with open(target, "wb") as f:
            f.write(data)
        print(f"{target}: {len(data)} bytes (from {os.path.getsize(path)})", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv)
