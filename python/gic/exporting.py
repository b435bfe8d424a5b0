"""Exporting PyTorch models to the NumPy .npz that `gic-convert` reads (needs torch; CompressAI
for CompressAI models and for gic-v1/gic-v2's entropy tables).

Supported, with the gic-convert profile each becomes:

| model | architecture | profile |
|---|---|---|
| `compressai.models.FactorizedPrior` (zoo name `bmshj2018-factorized`) | `bmshj2018-factorized` | codec |
| `compressai.models.ScaleHyperprior` (zoo name `bmshj2018-hyperprior`) | `bmshj2018-hyperprior` | codec |
| `compressai.models.MeanScaleHyperprior` (`mbt2018-mean`) | `mbt2018-mean` | codec |
| `compressai.models.JointAutoregressiveHierarchicalPriors` (`mbt2018`) | `mbt2018` | codec (context model) |
| `compressai.models.Cheng2020Anchor` (`cheng2020-anchor`) | `cheng2020-anchor` | codec (context model) |
| `compressai.models.Cheng2020Attention` (`cheng2020-attn`) | `cheng2020-attn` | codec (context model) |
| python/gicv1/model.py `GICv1` (gic-v1 and gic-v2 are both this network) | `gic-v1` | codec |
| any other module or state dict, with architecture="raw" | `raw` | raw / compressai-tables |

CompressAI models: `update(force=True)` is called first (the export then carries CompressAI's own
quantized CDF tables, `_quantized_cdf`, `_cdf_length`, `_offset`), every key keeps CompressAI's
spelling, a `module.` prefix (DataParallel) is stripped, and N, M are read from the weights.
gic-v1/gic-v2: the float32 state dict plus CompressAI-built entropy tables and the sampler's level
offsets (what python/gicv1/export.py writes, through gicv1_arrays below).
"""
import os
import tempfile

import numpy as np

__all__ = ["export", "export_arrays", "gicv1_arrays", "architecture_of", "compressai_class", "compressai_model",
           "ExportError"]

COMPRESSAI_CLASSES = {
    "FactorizedPrior": "bmshj2018-factorized",
    "ScaleHyperprior": "bmshj2018-hyperprior",
    "MeanScaleHyperprior": "mbt2018-mean",
    "JointAutoregressiveHierarchicalPriors": "mbt2018",
    "Cheng2020Anchor": "cheng2020-anchor",
    "Cheng2020Attention": "cheng2020-attn",
}
ARCHITECTURES = ("bmshj2018-factorized", "bmshj2018-hyperprior", "mbt2018-mean", "mbt2018", "cheng2020-anchor",
                 "cheng2020-attn", "gic-v1", "raw")
# Cheng et al. 2020's networks start with a residual block (g_a.0.conv1) and keep M = N channels.
CHENG2020 = ("cheng2020-anchor", "cheng2020-attn")


class ExportError(ValueError):
    """A model that gic cannot export (unsupported architecture, missing dependency)."""


def _import_compressai():
    try:
        import compressai  # noqa: F401
    except Exception as e:  # ImportError, or a broken torchvision underneath
        raise ExportError(
            f"CompressAI does not import ({type(e).__name__}: {e}); install it with "
            "`pip install gic-codec[compressai]`") from e


def compressai_class(architecture):
    """The compressai.models class of a CompressAI architecture name ("mbt2018-mean", "cheng2020-attn", …)."""
    for class_name, arch in COMPRESSAI_CLASSES.items():
        if arch == architecture:
            _import_compressai()
            import compressai.models

            return getattr(compressai.models, class_name)
    raise ExportError(f"{architecture!r} is not a CompressAI architecture (one of "
                      f"{', '.join(COMPRESSAI_CLASSES.values())})")


def compressai_model(architecture, N, M=None):
    """A new CompressAI model of `architecture` with N channels and M latent channels. The
    cheng2020 architectures take N only (their M is N): M must then be None or N."""
    cls = compressai_class(architecture)
    if architecture in CHENG2020:
        if M is not None and M != N:
            raise ExportError(f"{architecture} takes N only (its M is N = {N}); got M = {M}")
        return cls(N)
    if M is None:
        raise ExportError(f"{architecture} needs M (the latent channels) as well as N")
    return cls(N, M)


def _unwrap(model):
    # DataParallel / DistributedDataParallel keep the model in .module
    while type(model).__name__ in ("DataParallel", "DistributedDataParallel") and hasattr(model, "module"):
        model = model.module
    return model


def _strip(key):
    return key[len("module."):] if key.startswith("module.") else key


def architecture_of(model):
    """The architecture name of a supported model object (a key of ARCHITECTURES but "raw");
    None otherwise. Decided by the class (its exact name: a subclass may add layers gic-convert does
    not know; pass architecture= to export to override)."""
    model = _unwrap(model)
    cls = type(model)
    if cls.__name__ in COMPRESSAI_CLASSES and cls.__module__.startswith("compressai."):
        return COMPRESSAI_CLASSES[cls.__name__]
    if cls.__name__ == "GICv1" and all(hasattr(model, a) for a in ("reverse", "rate", "sampler", "g_a")):
        return "gic-v1"
    return None


def _numpy_state(state):
    out = {}
    for key, value in state.items():
        key = _strip(key)
        if key in out:
            raise ExportError(f"key {key!r} appears with and without the 'module.' prefix")
        if hasattr(value, "detach"):
            value = value.detach().cpu().numpy()
        out[key] = np.array(value, copy=True)
    return out


def _sizes(arrays, architecture):
    try:
        if architecture in CHENG2020:
            n = m = int(arrays["g_a.0.conv1.weight"].shape[0])
        else:
            n = int(arrays["g_a.0.weight"].shape[0])
            m = int(arrays["g_a.6.weight"].shape[0])
    except KeyError as e:
        raise ExportError(f"{architecture}: the state dict has no {e.args[0]!r}: not this architecture") from e
    sizes = {"N": n, "M": m}
    if architecture == "gic-v1":
        sizes["W"] = int(arrays["reverse.conv_in.weight"].shape[0])
    return sizes


def gicv1_arrays(model, update_quantiles=False):
    """{key: numpy array} for a gic-v1/gic-v2 model (python/gicv1/model.py GICv1): the float32
    state dict, entropy_bottleneck.* from CompressAI 1.2.8's EntropyBottleneck(N) loaded with the
    trained parameters and update(force=True) (optionally after its bisection quantile update),
    gaussian_conditional.* from GaussianConditional(None) with CompressAI's default scale table,
    and sampler.level_offsets int32 (4, 4) (the model module's level_offset_table)."""
    import importlib

    import torch

    _import_compressai()
    from compressai.entropy_models import EntropyBottleneck, GaussianConditional
    from compressai.models.base import get_scale_table

    model = _unwrap(model).float().cpu().eval()
    state = {_strip(k): v for k, v in model.state_dict().items()}
    arrays = {}
    for key, value in state.items():
        if key.startswith("entropy_bottleneck."):
            continue
        arrays[key] = value.detach().numpy().copy()

    eb = EntropyBottleneck(model.N)
    eb_state = {k[len("entropy_bottleneck."):]: v for k, v in state.items()
                if k.startswith("entropy_bottleneck.")}
    for k in ("_offset", "_quantized_cdf", "_cdf_length"):  # tables are rebuilt below
        eb_state[k] = torch.zeros(0, dtype=torch.int32)
    eb.load_state_dict(eb_state)
    with torch.no_grad():
        eb.update(force=True, update_quantiles=update_quantiles)
    for k, v in eb.state_dict().items():
        arrays["entropy_bottleneck." + k] = v.detach().numpy().copy()

    gc = GaussianConditional(None)
    gc.update_scale_table(get_scale_table())
    gc.update()
    for k, v in gc.state_dict().items():
        arrays["gaussian_conditional." + k] = v.detach().numpy().copy()

    gm = importlib.import_module(type(model).__module__)
    arrays["sampler.level_offsets"] = gm.level_offset_table(model.rate.delta())
    return arrays


def export_arrays(model, architecture=None, update=True):
    """(arrays, info): the {key: numpy array} gic-convert reads and {"architecture", "N", "M"
    (, "W")}. model: a supported model object, or (with architecture given) a state dict."""
    is_state = isinstance(model, dict)
    found = None if is_state else architecture_of(model)
    arch = architecture or found
    if arch is None:
        name = "a state dict" if is_state else f"a {type(_unwrap(model)).__name__}"
        raise ExportError(
            f"cannot tell the architecture of {name}: gic makes codec models of CompressAI's "
            "FactorizedPrior (bmshj2018-factorized), ScaleHyperprior (bmshj2018-hyperprior), MeanScaleHyperprior "
            "(mbt2018-mean), JointAutoregressiveHierarchicalPriors (mbt2018), Cheng2020Anchor (cheng2020-anchor) and "
            "Cheng2020Attention (cheng2020-attn) and of gic-v1/gic-v2 (python/gicv1/model.py GICv1); pass architecture=... for a state dict "
            "of one of them, or architecture='raw' to store any state dict as plain arrays")
    if arch not in ARCHITECTURES:
        raise ExportError(f"unknown architecture {arch!r} (one of {', '.join(ARCHITECTURES)})")
    if arch == "gic-v1":
        if is_state or found != "gic-v1":
            raise ExportError("gic-v1 exports need the GICv1 model object (python/gicv1/model.py "
                              "model_from_state builds one from a state dict)")
        arrays = gicv1_arrays(model)
    else:
        if not is_state:
            m = _unwrap(model)
            if update and hasattr(m, "update") and arch != "raw":
                import torch

                _import_compressai()
                with torch.no_grad():
                    m.update(force=True)
            state = m.state_dict()
        else:
            state = model
        arrays = _numpy_state(state)
    info = {"architecture": arch}
    if arch != "raw":
        info.update(_sizes(arrays, arch))
    return arrays, info


def export(model, path, architecture=None, update=True, calibration=()):
    """Export a model for gic-convert and return {"architecture", "N", "M"[, "W"], "path",
    "arrays"}.

    path ending in .npz: writes the arrays with numpy.savez (uncompressed), which
    `gic-convert path -o model.gicw` converts. path ending in .gicw: exports to a temporary .npz
    and runs gic-convert on it (which must be installed: see gic.tools), passing calibration
    (PNG files or folders; gic-convert's default otherwise), and adds its report as "convert".
    update=False skips CompressAI's update(force=True) (keeps tables already built)."""
    arrays, info = export_arrays(model, architecture, update)
    path = os.fspath(path)
    if path.lower().endswith(".gicw"):
        from . import tools

        tools.find_tool("gic-convert")  # fail before the export work when it is missing
        with tempfile.TemporaryDirectory(prefix="gic-export-") as tmp:
            npz = os.path.join(tmp, "model.npz")
            np.savez(npz, **arrays)
            profile = "auto" if info["architecture"] == "raw" else info["architecture"]
            info["convert"] = tools.convert(npz, path, profile=profile, calibration=calibration)
    else:
        if not path.lower().endswith(".npz"):
            raise ExportError(f"{path}: the output must end in .npz (or .gicw to convert as well)")
        np.savez(path, **arrays)
    info["path"] = path
    info["arrays"] = len(arrays)
    return info
