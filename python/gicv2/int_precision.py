"""Where the integer decoder of a gic-v1/v2 model departs from its float decoder, layer by layer.

    python3 python/gicv2/int_precision.py --image data/photos/test/path.png --rate 0 \
        [--model models/gic-v2.gicw --float-model models/gic-v2.npz --crop 256]

Encodes a central crop with `gic-ref encode` (0 steps), decodes it with the NumPy spec decoder
(python/gic_spec_decoder, bit-exact with gic-ref) keeping every activation of g_s and h_s, and
runs the float model (float64) on the *same* integer inputs of each graph, so that each row is
one graph's own error, not the error it inherits. Prints the SNR of every activation against
the float one, and the PSNR of the integer picture against the float decoder's picture.
A diagnostic: it decides nothing and writes nothing but a temporary directory.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "python", "gicv1"))

import float_codec as fc  # noqa: E402
from gic_spec_decoder import bitstream, decoder  # noqa: E402


def run_all(graph, inputs):
    """graph.run, keeping every value (name -> int64 array)."""
    vals = {k: np.asarray(v, dtype=np.int64) for k, v in inputs.items()}
    for n in graph.nodes:
        vals[n.output] = graph._eval(n, [vals[v] for v in n.inputs], None)
    return vals


def snr(ref, test):
    err = np.mean((ref - test) ** 2)
    return 10 * np.log10(np.mean(ref ** 2) / err) if err > 0 else float("inf")


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 10 * np.log10(255.0 ** 2 / mse) if mse > 0 else float("inf")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--image", required=True)
    ap.add_argument("--rate", type=float, default=0.0)
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "gic-v2.gicw"))
    ap.add_argument("--float-model", default=os.path.join(ROOT, "models", "gic-v2.npz"))
    ap.add_argument("--gic-ref", default=os.path.join(ROOT, ".build", "release", "gic-ref"))
    ap.add_argument("--crop", type=int, default=256)
    args = ap.parse_args(argv)

    img = fc.read_png(args.image)
    h, w = img.shape[:2]
    c = args.crop
    img = np.ascontiguousarray(img[(h - c) // 2:(h - c) // 2 + c, (w - c) // 2:(w - c) // 2 + c])
    with tempfile.TemporaryDirectory() as tmp:
        src, gic = os.path.join(tmp, "crop.png"), os.path.join(tmp, "crop.gic")
        fc.write_png(src, img)
        subprocess.run([args.gic_ref, "encode", src, "-m", args.model, "-o", gic, "--rate", str(args.rate),
                        "--steps", "0", "--quiet"], check=True)
        data = open(gic, "rb").read()
    model = decoder.Model(args.model)
    rgb_int, info = decoder.decode(data, model, return_latents=True)
    hdr = bitstream.parse(data)
    fm = fc.load_model(args.float_model, dtype=torch.float64)
    print(f"{os.path.basename(args.image)} {c}x{c} rate {args.rate} (index {hdr.rate_index}), {len(data)} bytes, "
          f"{8 * len(data) / (c * c):.4f} bpp")

    # float decoder on the same symbols (its own y_hat)
    flt = fc.decode_symbols(fm, info["z_symbols"], info["y_symbols"], hdr.rate_index, 0, None, c, c)
    print(f"picture: integer vs float decoder {psnr(rgb_int, flt):.2f} dB, "
          f"{100 * np.mean(rgb_int != flt):.1f} % of samples differ, max |d| {np.abs(rgb_int.astype(int) - flt).max()}")

    # y_hat: integer (exponent e) vs float
    e_y = model.g_s.info[model.g_s.inputs[0]].exponent
    y_int = info["y_hat"].astype(np.float64) / 2.0 ** e_y
    with torch.no_grad():
        s_z = torch.as_tensor(info["z_symbols"].astype(np.int32)).unsqueeze(0)
        s_y = torch.as_tensor(info["y_symbols"].astype(np.int32)).unsqueeze(0)
        y_flt = fm.y_hat(s_z, s_y, hdr.rate_index)[0].numpy()
    print(f"y_hat (exponent {e_y}): SNR {snr(y_flt, y_int):.2f} dB, max |d| {np.abs(y_flt - y_int).max():.4f}, "
          f"rms {np.sqrt(np.mean((y_flt - y_int) ** 2)):.4f}, max |y| {np.abs(y_flt).max():.1f}")

    # g_s layer by layer, float on the integer input of each layer
    g = model.g_s
    vals = run_all(g, {g.inputs[0]: info["y_hat"]})
    prev = torch.from_numpy(y_int[None])
    chain = torch.from_numpy(y_int[None])
    layers = list(fm.g_s)
    print("g_s layer            exp   SNR own (dB)  SNR chain (dB)  max|a| / bound")
    for k, n in enumerate(g.nodes):
        layer = layers[k]
        with torch.no_grad():
            own = layer(prev)
            chain = layer(chain)
        e = g.info[n.output].exponent
        if n.output == g.outputs[0]:
            scale, ref_own, ref_chain = 1.0, own.clamp(0, 1) * 255, chain.clamp(0, 1) * 255
        else:
            scale, ref_own, ref_chain = 2.0 ** -e, own, chain
        a = vals[n.output][None].astype(np.float64) * scale
        print(f"{n.output:18s} {e:5d} {snr(ref_own.numpy(), a):14.2f} {snr(ref_chain.numpy(), a):15.2f}"
              f"  {np.abs(ref_own.numpy()).max() / (max(abs(g.info[n.output].lo), g.info[n.output].hi) * scale):.3f}")
        prev = torch.from_numpy(a)


if __name__ == "__main__":
    main()
