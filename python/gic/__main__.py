"""python -m gic inspect FILE [--json]                   a .gicw container, a .gic stream or a .npz
       python -m gic decode X.gic -m M.gicw [-o OUT] [--json]   OUT: .png, .npy or .rgb (raw RGB)
       python -m gic export CHECKPOINT -o OUT.npz|OUT.gicw [--architecture A] [--calibration P…]
       python -m gic tools                                where gic-convert and gic-ref were found

decode prints the SHA-256 of the decoded 8-bit RGB samples (R G B interleaved, rows top to
bottom), the value conformance compares. export reads a checkpoint saved with torch.save (a state
dict, or a dict holding one under "model" or "state_dict"), builds the model (CompressAI's
from_state_dict; gic-v1 through python/gicv1/model.py, which must be importable) and calls
gic.export. Without --architecture it is told by the keys: reverse.* (gic-v1), context_prediction.*
(mbt2018; with g_a.0.conv1.* cheng2020-anchor, and with attention blocks cheng2020-attn), the
hyperprior's h_s widths (mbt2018-mean or bmshj2018-hyperprior), or g_a alone (bmshj2018-factorized). Exit status 0 on success, 1 with one line `error: …` on stderr otherwise.
"""
import argparse
import hashlib
import json
import os
import sys
import time


def _inspect(args):
    import gic

    path = args.input
    with open(path, "rb") as f:
        head = f.read(8)
    if head == b"\x89GICW\r\n\x1a":
        d = gic.describe(path)
        try:
            m = gic.load_model(path)
            d["codec"] = {"profile": m.profile_name, "N": m.N, "M": m.M}
        except gic.ModelError as e:
            d["codec"] = None
            if d["metadata"].get("gic.profile") not in (None, "raw", "compressai-tables"):
                d["codec_error"] = str(e)
        if args.json:
            print(json.dumps(d, indent=2))
            return
        print(f"file:         {path} ({d['file_bytes']} bytes)")
        print(f"format:       gicw {d['version']}")
        print(f"model digest: {d['model_digest']}")
        if d["codec"]:
            print(f"codec model:  {d['codec']['profile']} (N={d['codec']['N']}, M={d['codec']['M']})")
        print("metadata:")
        for k, v in d["metadata"].items():
            s = json.dumps(v, ensure_ascii=False)
            print(f"  {k} = {s if len(s) <= 100 else s[:97] + '...'}")
        print(f"tensors:      {len(d['tensors'])} ({sum(t['bytes'] for t in d['tensors'])} data bytes)")
        for t in d["tensors"]:
            q = f"  quantized {t['quantization']['kind']}" if "quantization" in t else ""
            print(f"  {t['name']:<46} {t['dtype']:<8} {str(tuple(t['shape'])):<19} {t['sha256'][:16]}{q}")
        print(f"cdf tables:   {len(d['cdf_tables'])}")
        for c in d["cdf_tables"]:
            print(f"  {c['name']:<46} precision {c['precision']}, {c['distributions']} x {c['stride']}")
    elif head[:4] == b"PK\x03\x04" or path.lower().endswith(".npz"):
        import numpy as np

        with np.load(path, allow_pickle=False) as z:
            arrays = [{"name": k, "dtype": str(z[k].dtype), "shape": list(z[k].shape)} for k in z.files]
        out = {"format": "npz", "arrays": arrays}
        if args.json:
            print(json.dumps(out, indent=2))
        else:
            print(f"file:   {path}\nformat: npz\narrays: {len(arrays)}")
            for a in arrays:
                print(f"  {a['name']:<46} {a['dtype']:<8} {tuple(a['shape'])}")
    else:
        h = gic.info(path)
        print(json.dumps(h, indent=2) if args.json else
              "\n".join(f"{k}: {v}" for k, v in h.items()))


def _decode(args):
    import numpy as np

    import gic
    from gic.png import write_png
    from gic_spec_decoder import to_gray

    t0 = time.perf_counter()
    model = gic.load_model(args.model)
    t1 = time.perf_counter()
    rgb = gic.decode(args.input, model, rgb=True)
    t2 = time.perf_counter()
    header = gic.info(args.input)
    digest = hashlib.sha256(rgb.tobytes()).hexdigest()
    if args.output:
        out = args.output
        pixels = to_gray(rgb) if header["grayscale"] else rgb
        if out.lower().endswith(".png"):
            write_png(out, pixels)
        elif out.lower().endswith(".npy"):
            np.save(out, pixels)
        else:
            with open(out, "wb") as f:
                f.write(rgb.tobytes())
    if args.json:
        print(json.dumps({"rgb_sha256": digest, "width": header["width"], "height": header["height"],
                          "grayscale": header["grayscale"], "load_seconds": t1 - t0,
                          "decode_seconds": t2 - t1}, indent=2))
    else:
        print(digest)


def _load_state(path):
    try:
        import torch
    except ImportError as e:
        raise ImportError(f"reading a PyTorch checkpoint needs torch ({e}); install it, e.g. "
                          "`pip install gic-codec[compressai]`") from e

    ckpt = torch.load(path, map_location="cpu", weights_only=False)
    for key in ("model", "state_dict"):
        if isinstance(ckpt, dict) and isinstance(ckpt.get(key), dict):
            ckpt = ckpt[key]
            break
    if not isinstance(ckpt, dict):
        raise ValueError(f"{path}: not a state dict (a {type(ckpt).__name__})")
    return {k[len("module."):] if k.startswith("module.") else k: v for k, v in ckpt.items()}


def _export(args):
    import gic
    from gic.exporting import ExportError, _import_compressai

    state = _load_state(args.checkpoint)
    arch = args.architecture
    if arch is None:
        if any(k.startswith("reverse.") for k in state):
            arch = "gic-v1"
        elif "context_prediction.weight" in state:  # before mbt2018-mean: the same h_s ratio
            if "g_a.0.conv1.weight" not in state:
                arch = "mbt2018"
            elif any(".conv_a." in k for k in state):  # Cheng2020Attention's attention blocks
                arch = "cheng2020-attn"
            else:
                arch = "cheng2020-anchor"
        elif "h_s.4.weight" in state and "g_a.6.weight" in state:
            ratio = state["h_s.4.weight"].shape[0] / state["g_a.6.weight"].shape[0]
            arch = "mbt2018-mean" if ratio == 2 else "bmshj2018-hyperprior"
        elif "g_a.6.weight" in state and not any(
                k.startswith(("h_a.", "h_s.", "gaussian_conditional.", "context_prediction."))
                for k in state):
            arch = "bmshj2018-factorized"
        else:
            raise ExportError("cannot tell the architecture from the keys: pass --architecture")
    if arch == "gic-v1":
        try:
            from gicv1.model import model_from_state
        except ImportError as e:
            raise ExportError("gic-v1 checkpoints need python/gicv1 of a gic checkout on the "
                              f"Python path (PYTHONPATH=…/python): {e}") from e
        model = model_from_state(state)
    elif arch == "raw":
        model = state
    else:
        _import_compressai()
        model = gic.exporting.compressai_class(arch).from_state_dict(state)
        model.eval()
    info = gic.export(model, args.output, architecture=arch, calibration=args.calibration or ())
    print(json.dumps(info, indent=2) if args.json else
          f"wrote {info['path']}: {info['architecture']}"
          + "".join(f" {k}={info[k]}" for k in ("N", "M", "W") if k in info)
          + f", {info['arrays']} arrays")


def _tools(args):
    import gic

    out = {}
    for name in gic.tools.TOOLS:
        try:
            out[name] = gic.find_tool(name)
        except gic.ToolNotFound as e:
            out[name] = None
            print(f"note: {e}", file=sys.stderr)
    print(json.dumps(out, indent=2) if args.json else
          "\n".join(f"{k}: {v or 'not found'}" for k, v in out.items()))


def main(argv=None):
    from gic.exporting import ARCHITECTURES

    ap = argparse.ArgumentParser(prog="python -m gic", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    i = sub.add_parser("inspect", help="describe a .gicw container, a .gic stream or a .npz export")
    i.add_argument("input")
    i.add_argument("--json", action="store_true")
    d = sub.add_parser("decode", help="decode a .gic bitstream with the NumPy spec decoder")
    d.add_argument("input")
    d.add_argument("-m", "--model", required=True)
    d.add_argument("-o", "--output", help="a .png, .npy, or raw RGB samples (any other name)")
    d.add_argument("--json", action="store_true")
    e = sub.add_parser("export", help="export a PyTorch checkpoint for gic-convert")
    e.add_argument("checkpoint")
    e.add_argument("-o", "--output", required=True, help=".npz, or .gicw to run gic-convert too")
    e.add_argument("--architecture", choices=ARCHITECTURES)
    e.add_argument("--calibration", action="append", help="PNG or folder for gic-convert (with .gicw)")
    e.add_argument("--json", action="store_true")
    t = sub.add_parser("tools", help="where gic-convert and gic-ref are (GIC_BIN, PATH, .build/release)")
    t.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    try:
        {"inspect": _inspect, "decode": _decode, "export": _export, "tools": _tools}[args.cmd](args)
        sys.stdout.flush()
    except BrokenPipeError:  # `python -m gic inspect … | head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (ValueError, OSError, RuntimeError, ImportError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
