#!/usr/bin/env python3
"""Generate the PyTorch reference fixtures for the Swift float32 calibration kernels.

Usage:  python3 python/make_float_fixtures.py

Writes Tests/ConvertersTests/Fixtures/float/ (torch CPU, float32, CompressAI 1.2.8 for GDN), one
`.npy` file per array, named `<case>.<array>.npy`, plus `cases.json` listing each case and its
hyper-parameters. The script deletes every file there but README.md and writes them again; with
its fixed seed the output is the same on every run with the same torch build.

Cases (batch 1; arrays without the batch axis):

- `conv2d_*` — `torch.nn.functional.conv2d`: `x` (C_in, H, W), `weight` (C_out, C_in, k, k),
  `bias` (C_out,), `y` (C_out, H_out, W_out).
- `conv_transpose2d_*` — `torch.nn.functional.conv_transpose2d`: `weight` in PyTorch's
  (C_in, C_out, k, k) layout, otherwise as above.
- `gdn` / `igdn` — `compressai.layers.GDN(6)` with perturbed parameters, run by CompressAI
  itself: `beta` (C,) and `gamma` (C, C) are the *effective* values (after CompressAI's
  reparametrisation), `x` and `y` as above.
- `leaky_relu` — `torch.nn.functional.leaky_relu` with the slope in `cases.json`.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

from compressai_env import import_compressai

import_compressai()
from compressai.layers import GDN  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "Tests", "ConvertersTests", "Fixtures", "float")


def save(case, arrays):
    for name, value in arrays.items():
        a = value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else value
        a = np.ascontiguousarray(a.astype(np.float32))
        np.save(os.path.join(OUT, f"{case}.{name}.npy"), a, allow_pickle=False)


def conv_case(gen, c_in, c_out, h, w, k, stride, padding, transposed, output_padding=0):
    x = torch.randn(1, c_in, h, w, generator=gen)
    scale = 1.0 / (c_in * k * k) ** 0.5
    shape = (c_in, c_out, k, k) if transposed else (c_out, c_in, k, k)
    weight = torch.randn(*shape, generator=gen) * scale
    bias = torch.randn(c_out, generator=gen) * 0.1
    if transposed:
        y = F.conv_transpose2d(x, weight, bias, stride=stride, padding=padding,
                               output_padding=output_padding)
    else:
        y = F.conv2d(x, weight, bias, stride=stride, padding=padding)
    return {"x": x[0], "weight": weight, "bias": bias, "y": y[0]}


def gdn_case(gen, inverse):
    c = 6
    layer = GDN(c, inverse=inverse)
    with torch.no_grad():
        # Trained-looking parameters: β around 1, γ mostly small and some exactly zero, so the
        # reparametrisation's lower bound is exercised.
        layer.beta.copy_(layer.beta_reparam.init(0.5 + torch.rand(c, generator=gen)))
        gamma = 0.3 * torch.rand(c, c, generator=gen) * (torch.rand(c, c, generator=gen) > 0.3)
        layer.gamma.copy_(layer.gamma_reparam.init(gamma))
        beta_eff = layer.beta_reparam(layer.beta)
        gamma_eff = layer.gamma_reparam(layer.gamma)
        x = 2.0 * torch.randn(1, c, 7, 9, generator=gen)
        y = layer(x)
    assert (beta_eff > 0).all() and (gamma_eff >= 0).all()
    return {"x": x[0], "beta": beta_eff, "gamma": gamma_eff, "y": y[0]}


def main():
    torch.manual_seed(20240611)
    gen = torch.Generator().manual_seed(20240611)
    # Recreate the folder, keeping its README.
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        if name != "README.md":
            os.remove(os.path.join(OUT, name))
    cases = {}

    def conv(name, c_in, c_out, h, w, k, s, p, transposed=False, op=0):
        save(name, conv_case(gen, c_in, c_out, h, w, k, s, p, transposed, op))
        cases[name] = {"op": "conv_transpose2d" if transposed else "conv2d", "kernel": k,
                       "stride": s, "padding": p, "output_padding": op, "out_channels": c_out}

    conv("conv2d_k3_s1_p1", 3, 5, 7, 9, 3, 1, 1)
    conv("conv2d_k5_s2_p2", 3, 5, 7, 9, 5, 2, 2)
    conv("conv2d_k5_s2_p2_c10_13", 10, 13, 11, 13, 5, 2, 2)
    conv("conv2d_k3_s2_p0", 4, 9, 8, 7, 3, 2, 0)
    conv("conv_transpose2d_k5_s2_p2_op1", 3, 5, 7, 9, 5, 2, 2, transposed=True, op=1)
    conv("conv_transpose2d_k3_s1_p1_op0", 3, 5, 7, 9, 3, 1, 1, transposed=True, op=0)
    conv("conv_transpose2d_k5_s2_p2_op1_c10_13", 10, 13, 6, 7, 5, 2, 2, transposed=True, op=1)
    conv("conv_transpose2d_k5_s2_p2_op0", 4, 3, 5, 6, 5, 2, 2, transposed=True, op=0)

    for name, inverse in [("gdn", False), ("igdn", True)]:
        save(name, gdn_case(gen, inverse))
        cases[name] = {"op": "gdn", "inverse": inverse}

    slope = 0.01
    x = torch.randn(6, 7, 9, generator=gen)
    save("leaky_relu", {"x": x, "y": F.leaky_relu(x, slope)})
    cases["leaky_relu"] = {"op": "leaky_relu", "slope": slope}

    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump(cases, f, indent=2, sort_keys=True)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))  # with README
    print(f"wrote {len(os.listdir(OUT))} files, {total} bytes, to {os.path.relpath(OUT, ROOT)}")
    if total >= 300_000:
        sys.exit("fixtures exceed 300 KB")


if __name__ == "__main__":
    main()
