#!/usr/bin/env python3
"""The crafted model of issue #17: two zero-weight 1x1 convolutions (3 -> CHANNELS -> 3)
appended to g_s of MODEL, every digest recomputed. It passes every container and graph check;
decoding a 768x512 picture with it would need 48 GiB, which gic-ref must refuse with an error.

usage: make_wide_model.py MODEL OUT [CHANNELS]   (run from the repository root)"""
import sys

import numpy as np

sys.path.insert(0, "python")
import gic.gicw as gicw  # noqa: E402


def main():
    source, out = sys.argv[1], sys.argv[2]
    channels = int(sys.argv[3]) if len(sys.argv) > 3 else 65536
    metadata, tensors, extras = gicw.read(source, extras=True)
    graph = list(metadata["gic.graph.g_s"])
    output = next(item[1] for item in graph if item[0] == "output")
    graph = [item for item in graph if item[0] != "output"]
    for n, (cin, cout) in enumerate([(3, channels), (channels, 3)]):
        name = f"wide{n}"
        tensors[f"{name}.w"] = np.zeros((cout, cin, 1, 1), np.int16)
        tensors[f"{name}.b"] = np.zeros(cout, np.int32)
        tensors[f"{name}.m"] = np.full(cout, 1 << 30, np.int32)
        tensors[f"{name}.s"] = np.full(cout, 30, np.int32)
        attributes = ["kernel", 1, "stride", 1, "padding", 0, "exponent", 0, "lo", 0, "hi", 255,
                      "accumulator_bound", 0]
        graph.append(["node", "conv2d", [output if n == 0 else "wide0"], name, attributes,
                      [f"{name}.w", f"{name}.b", f"{name}.m", f"{name}.s"]])
    graph.insert(1, ["output", "wide1"])
    metadata["gic.graph.g_s"] = graph
    gicw.write(out, tensors, metadata, **extras)


if __name__ == "__main__":
    main()
