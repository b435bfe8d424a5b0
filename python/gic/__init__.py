"""gic for Python: read and write .gicw containers, decode .gic bitstreams with the NumPy
decoder written from gic's specification, export PyTorch/CompressAI models for gic-convert, and
the metrics gic reports.

    import gic
    meta, tensors = gic.read("model.gicw")                 # {name: numpy array}
    pixels = gic.decode("picture.gic", "model.gicw")       # uint8 [H, W, 3] ([H, W] if gray)
    gic.info("picture.gic")                                # the stream header
    gic.export(compressai_model, "model.npz")              # then gic-convert model.npz -o ….gicw
    gic.metrics.psnr(original, pixels), gic.metrics.ms_ssim(original, pixels)

NumPy is the only dependency; gic.export needs torch (and CompressAI for CompressAI models:
`pip install gic-codec[compressai]`). `python -m gic --help` lists the command line.
"""
from gic_spec_decoder import BitstreamError, ContainerError, ModelError

from . import metrics, tools
from .codec import Model, decode, info, load_model
from .exporting import ExportError, architecture_of, export, export_arrays
from .gicw import describe, open_container, read, write
from .tools import ToolError, ToolNotFound, find_tool

__version__ = "0.1.0"

__all__ = ["read", "write", "describe", "open_container", "decode", "info", "load_model", "Model",
           "export", "export_arrays", "architecture_of", "metrics", "tools", "find_tool",
           "ToolNotFound", "ToolError", "ExportError", "BitstreamError", "ContainerError",
           "ModelError", "__version__"]
