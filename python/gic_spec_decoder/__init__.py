"""An independent gic decoder written from the normative specification alone
(spec/container.md, spec/entropy-coding.md, spec/integer-ops.md, spec/bitstream.md).

    from gic_spec_decoder import decode
    rgb, info = decode(open("x.gic", "rb").read(), "model.gicw")   # rgb: uint8 (H, W, 3)

NumPy is the only dependency.  See SPEC_NOTES.md for what the specification left open.
"""
from .bitstream import BitstreamError
from .container import Container, ContainerError
from .decoder import Model, ModelError, decode, to_gray
from .entropy import DamagedStream
from .graph import Graph, GraphError

__all__ = ["decode", "Model", "Container", "Graph", "to_gray", "BitstreamError", "ContainerError",
           "DamagedStream", "GraphError", "ModelError"]
