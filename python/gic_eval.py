"""Shared helpers for the CompressAI comparison scripts (python/compare_compressai.py,
bench/decode_vs_compressai.py).

- `detect_architecture` / `load_model`: build the CompressAI model an exported .npz belongs to
  (python/export_compressai.py output) and load its state dict, CDF tables included.
- `pad_replicate` / `crop`: gic's padding convention: the image is padded to a multiple of 64 by
  replicating its last column / row to the right / bottom (`F.pad(x, (0, pw, 0, ph),
  mode="replicate")`) and the reconstruction is cropped back to the top-left W x H. (This differs
  from python/datasets.py's centred split, which follows CompressAI's `compute_padding`.)
- `find_binary`, `run_json`: locate gic's CLIs and run them with `--json`, failing with a clear
  message.
- `machine_info`, `proc_status_mib`: what the benchmark records about the machine and process.

Torch, NumPy, PIL and CompressAI are imported inside the functions that need them, so that a
lean parent process (the decode benchmark's) can import this module without growing its own
resident set.
"""
import json
import os
import platform
import subprocess
import sys

PYTHON_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(PYTHON_DIR)
DEFAULT_BIN_DIR = os.path.join(REPO, ".build", "release")  # swift build -c release
MULTIPLE = 64

ARCHITECTURES = ("bmshj2018-hyperprior", "mbt2018-mean")


class GicError(RuntimeError):
    """A gic CLI is missing or failed."""


# --------------------------------------------------------------------------------------------
# models

def detect_architecture(shapes):
    """(architecture, N, M) from a {key: shape} map of a CompressAI state dict.

    N = g_a.0 output channels, M = g_a.6 output channels; h_s.4 (the last hyper-synthesis conv)
    has 2*M output channels in mbt2018-mean (scales and means) and M in bmshj2018-hyperprior; a
    state dict without h_s (no hyperprior) is bmshj2018-factorized. A state dict with
    `context_prediction.weight` (an autoregressive context model, issue #15) is mbt2018
    (JointAutoregressiveHierarchicalPriors: N, M as above) or, with residual blocks in g_a
    (`g_a.0.conv1.weight`), cheng2020-anchor (Cheng2020Anchor: N = g_a.0.conv1 output channels,
    M = N), with attention blocks too (`g_a.3.conv_a.*`) cheng2020-attn (Cheng2020Attention).
    """
    if "context_prediction.weight" in shapes:
        if "g_a.0.conv1.weight" in shapes:
            n = int(shapes["g_a.0.conv1.weight"][0])
            attn = any(".conv_a." in k for k in shapes)
            return ("cheng2020-attn" if attn else "cheng2020-anchor"), n, n
        for key in ("g_a.0.weight", "g_a.6.weight"):
            if key not in shapes:
                raise ValueError(f"not a CompressAI mbt2018 / cheng2020-anchor state dict: no {key}")
        return "mbt2018", int(shapes["g_a.0.weight"][0]), int(shapes["g_a.6.weight"][0])
    for key in ("g_a.0.weight", "g_a.6.weight"):
        if key not in shapes:
            raise ValueError(f"not a CompressAI bmshj2018 / mbt2018-mean state dict: no {key}")
    if not any(k.startswith(("h_a.", "h_s.", "gaussian_conditional.")) for k in shapes):
        return "bmshj2018-factorized", int(shapes["g_a.0.weight"][0]), int(shapes["g_a.6.weight"][0])
    for key in ("h_s.4.weight",):
        if key not in shapes:
            raise ValueError(f"not a bmshj2018-hyperprior / mbt2018-mean state dict: no {key}")
    n = int(shapes["g_a.0.weight"][0])
    m = int(shapes["g_a.6.weight"][0])
    out = int(shapes["h_s.4.weight"][0])
    if out == 2 * m:
        return "mbt2018-mean", n, m
    if out == m:
        return "bmshj2018-hyperprior", n, m
    raise ValueError(f"h_s.4.weight has {out} output channels; expected M={m} or 2M={2 * m}")


def load_model(path):
    """Builds the CompressAI model for an exported .npz and loads it; returns (model, info).

    CompressAI's `load_state_dict` resizes the entropy models' CDF buffers to the stored ones, so
    the exported `_quantized_cdf` / `_cdf_length` / `_offset` (from `update(force=True)` at export)
    are used as they are. If the file lacks them (or they do not load), the model is loaded
    without them and `update(force=True)` recomputes them; `info["cdf"]` says which happened.
    """
    import numpy as np
    import torch

    sys.path.insert(0, PYTHON_DIR)
    from compressai_env import import_compressai
    compressai = import_compressai()
    from compressai.models import (Cheng2020Anchor, Cheng2020Attention, FactorizedPrior,
                                   JointAutoregressiveHierarchicalPriors, MeanScaleHyperprior,
                                   ScaleHyperprior)

    with np.load(path) as z:
        state = {k: torch.from_numpy(np.array(z[k])) for k in z.files}
    state = {k[len("module."):] if k.startswith("module.") else k: v for k, v in state.items()}
    arch, n, m = detect_architecture({k: tuple(v.shape) for k, v in state.items()})
    cls = {"bmshj2018-factorized": FactorizedPrior, "bmshj2018-hyperprior": ScaleHyperprior,
           "mbt2018-mean": MeanScaleHyperprior, "mbt2018": JointAutoregressiveHierarchicalPriors,
           "cheng2020-anchor": Cheng2020Anchor, "cheng2020-attn": Cheng2020Attention}[arch]
    model = cls(n) if arch.startswith("cheng2020") else cls(n, m)
    try:
        model.load_state_dict(state)
        cdf = "npz"
    except (RuntimeError, KeyError, ValueError) as e:
        print(f"note: load_state_dict failed ({str(e).splitlines()[0]}); loading weights only and "
              "calling update(force=True)", file=sys.stderr)
        cdf_keys = ("_quantized_cdf", "_cdf_length", "_offset")
        weights = {k: v for k, v in state.items() if not k.endswith(cdf_keys)}
        model.load_state_dict(weights, strict=False)
        model.update(force=True)
        cdf = "update()"
    model.eval()
    info = {"architecture": arch, "N": n, "M": m, "cdf": cdf, "npz": os.path.abspath(path),
            "torch": torch.__version__, "compressai": compressai.__version__}
    return model, info


# --------------------------------------------------------------------------------------------
# images

def load_rgb_u8(path):
    """An image file as a uint8 array [H, W, 3] (grayscale replicated to RGB, alpha dropped)."""
    import numpy as np
    from PIL import Image
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8).copy()


def to_tensor(rgb_u8):
    """uint8 [H, W, 3] -> float32 tensor [1, 3, H, W] in [0, 1]."""
    import torch
    return torch.from_numpy(rgb_u8).permute(2, 0, 1).unsqueeze(0).float().div(255.0).contiguous()


def pad_replicate(x, multiple=MULTIPLE):
    """Pads [B, C, H, W] to multiples of `multiple` by replicating the last column / row to the
    right / bottom (gic's convention)."""
    import torch.nn.functional as F
    h, w = x.shape[-2:]
    ph = (-h) % multiple
    pw = (-w) % multiple
    if ph == 0 and pw == 0:
        return x
    return F.pad(x, (0, pw, 0, ph), mode="replicate")


def crop(x, height, width):
    """The top-left height x width of [B, C, H', W']."""
    return x[..., :height, :width]


def psnr_u8(a, b):
    """(PSNR in dB, MSE) of two uint8 RGB arrays, peak 255, MSE over all pixels and channels."""
    from gic import metrics
    mse = metrics.mse(a, b)
    return metrics.psnr_from_mse(mse, 255.0), mse


def psnr_unit(a, b):
    """PSNR (dB) of two float tensors in [0, 1] (peak 1), MSE in float64."""
    from gic import metrics
    return metrics.psnr(a, b, data_range=1.0)


def default_images():
    """The test split and the bench image (data/images/manifest.json)."""
    with open(os.path.join(REPO, "data", "images", "manifest.json"), encoding="utf-8") as f:
        entries = json.load(f)["images"]
    root = os.path.join(REPO, "data", "images")
    test = [os.path.join(root, e["file"]) for e in entries if "test" in e["splits"]]
    bench = [os.path.join(root, e["file"]) for e in entries if "bench" in e["splits"]]
    return test + [p for p in bench if p not in test]


# --------------------------------------------------------------------------------------------
# gic CLIs

def find_binary(bin_dir, name):
    """Absolute path of `bin_dir/name`; raises GicError with a build hint if it is missing."""
    path = os.path.abspath(os.path.join(bin_dir, name))
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise GicError(
            f"{name} not found at {path}.\n"
            f"Build the release binaries first (from the repository root: `swift build -c release`)"
            f" or point --bin-dir at the directory holding {name}.")
    return path


def run_json(cmd, cwd=None):
    """Runs a gic CLI that prints one JSON object on stdout; returns it parsed."""
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise GicError(f"command failed (exit {proc.returncode}): {' '.join(cmd)}\n{proc.stderr.strip()}")
    return parse_json_output(proc.stdout, cmd)


def parse_json_output(text, cmd):
    """The JSON object a CLI printed (the last line that parses, so stray log lines are ignored)."""
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                pass
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise GicError(f"no JSON object in the output of {' '.join(cmd)}:\n{text[-2000:]}") from None


# --------------------------------------------------------------------------------------------
# machine / process

def machine_info():
    """CPU model, logical CPUs (total and usable by this process), kernel, Python."""
    cpu = None
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {"cpu": cpu or platform.processor() or platform.machine(), "logical_cpus": os.cpu_count(),
            "usable_cpus": usable, "system": f"{platform.system()} {platform.release()}",
            "python": platform.python_version()}


def proc_status_mib(*fields):
    """Values (MiB) of /proc/self/status fields such as VmRSS, VmHWM; None where unavailable."""
    out = {f: None for f in fields}
    try:
        with open("/proc/self/status", encoding="utf-8") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in out:
                    out[key] = int(rest.split()[0]) / 1024.0  # kB
    except OSError:
        pass
    return out
