#!/usr/bin/env python3
"""Write PyTorch's own convolution results for the integer-operator tests.

PyTorch computes Conv2d and ConvTranspose2d in float64 here on small integers, which is exact, so
the outputs are the integer accumulators spec/integer-ops.md §4 and §4.1 define. The Swift tests
check the reference kernels against them: same layouts, padding and output_padding as CompressAI's
`conv` and `deconv` (k 5, stride 2, padding 2, output_padding 1).

Run: python3 python/make_graph_fixtures.py   (needs torch; the output is committed)
"""
import os

import numpy as np
import torch

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
OUT = os.path.join(ROOT, "Tests", "ReferenceCodecTests", "Fixtures", "graph", "conv.npz")


def main():
    rng = np.random.default_rng(4)
    cin, cout, h, w = 3, 4, 7, 9
    x = rng.integers(-300, 301, size=(1, cin, h, w)).astype(np.int16)
    wc = rng.integers(-900, 901, size=(cout, cin, 5, 5)).astype(np.int16)
    bc = rng.integers(-10**6, 10**6, size=(cout,)).astype(np.int32)
    wt = rng.integers(-900, 901, size=(cin, cout, 5, 5)).astype(np.int16)
    bt = rng.integers(-10**6, 10**6, size=(cout,)).astype(np.int32)
    xt = torch.from_numpy(x.astype(np.float64))
    conv = torch.nn.functional.conv2d(
        xt, torch.from_numpy(wc.astype(np.float64)), torch.from_numpy(bc.astype(np.float64)),
        stride=2, padding=2)
    deconv = torch.nn.functional.conv_transpose2d(
        xt, torch.from_numpy(wt.astype(np.float64)), torch.from_numpy(bt.astype(np.float64)),
        stride=2, padding=2, output_padding=1)
    conv3 = torch.nn.functional.conv2d(
        xt, torch.from_numpy(wc[:, :, :3, :3].astype(np.float64)), None, stride=1, padding=1)
    np.savez(OUT, x=x[0], conv_weight=wc, conv_bias=bc, conv_out=conv[0].numpy().astype(np.int64),
             deconv_weight=wt, deconv_bias=bt, deconv_out=deconv[0].numpy().astype(np.int64),
             conv3_weight=np.ascontiguousarray(wc[:, :, :3, :3]),
             conv3_out=conv3[0].numpy().astype(np.int64))
    print(f"wrote {OUT}: conv {tuple(conv.shape)}, deconv {tuple(deconv.shape)}")


if __name__ == "__main__":
    main()
