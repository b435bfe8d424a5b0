"""Writes Tests/ConvertersTests/Fixtures/import/: one small CompressAI state dict in each format
gic-convert reads (.npz, .safetensors, torch.save .pth, an examples/train.py-style checkpoint
with `module.` prefixes), and hostile files the readers must refuse.

The safetensors file is written by hand following the format (8-byte little-endian header
length, JSON header, data), so the `safetensors` package is not needed.

Run from the repository root: PYTHONPATH=python/compat python3 python/make_import_fixtures.py
"""

import collections
import io
import json
import os
import pickle
import struct
import zipfile

import numpy as np
import torch
from compressai.models import ScaleHyperprior

OUT = "Tests/ConvertersTests/Fixtures/import"
DTYPES = {np.float32: "F32", np.float64: "F64", np.float16: "F16", np.int32: "I32",
          np.int64: "I64", np.uint8: "U8", np.int8: "I8", np.int16: "I16", np.bool_: "BOOL"}


def write_safetensors(path, arrays, metadata=None):
    header, blobs, offset = {}, [], 0
    for name, a in arrays.items():
        a = np.ascontiguousarray(a)
        data = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": DTYPES[a.dtype.type], "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def small_model():
    # Without update(): empty entropy tables, which gic-convert computes (keeps the files small).
    torch.manual_seed(14)
    model = ScaleHyperprior(N=8, M=12)
    return model.state_dict()


class Call:
    """Pickles as a call of `function(*args)`: what a hostile file's author writes."""

    def __init__(self, function, args):
        self.function, self.args = function, args

    def __reduce__(self):
        return self.function, self.args


class Storage:
    def __init__(self, key, numel):
        self.key, self.numel = key, numel


def hostile_pth(path, obj, storages=None):
    """A torch.save-style zip whose data.pkl pickles `obj` (protocol 2)."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=2)
    pickler.persistent_id = lambda o: (
        ("storage", torch.FloatStorage, o.key, "cpu", o.numel) if isinstance(o, Storage) else None)
    pickler.dump(obj)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", buffer.getvalue())
        z.writestr("archive/byteorder", "little")
        for key, data in (storages or {}).items():
            z.writestr(f"archive/data/{key}", data)
        z.writestr("archive/version", "3\n")


def tensor(storage, offset, size, stride):
    return Call(torch._utils._rebuild_tensor_v2,
                (storage, offset, size, stride, False, collections.OrderedDict()))


def main():
    os.makedirs(OUT, exist_ok=True)
    state = small_model()
    arrays = {k: v.numpy() for k, v in state.items()}
    np.savez(f"{OUT}/small.npz", **arrays)
    write_safetensors(f"{OUT}/small.safetensors", arrays, {"format": "pt"})
    torch.save(state, f"{OUT}/small.pth")
    prefixed = collections.OrderedDict((f"module.{k}", v) for k, v in state.items())
    torch.save({"epoch": 3, "state_dict": prefixed, "loss": 0.25,
                "optimizer": {"state": {0: {"step": torch.tensor(3.0)}},
                              "param_groups": [{"lr": 1e-4, "params": [0, 1]}]}},
               f"{OUT}/small-train.pth.tar")
    torch.save({"w": torch.zeros(2, 3, dtype=torch.bfloat16)}, f"{OUT}/bf16.pth")
    # Hostile checkpoints.
    hostile_pth(f"{OUT}/hostile-system.pth", {"w": Call(os.system, ("echo pwned",))})
    four = struct.pack("<4f", 1, 2, 3, 4)
    hostile_pth(f"{OUT}/hostile-offset.pth", {"w": tensor(Storage("0", 4), 100, (2,), (1,))},
                {"0": four})
    hostile_pth(f"{OUT}/hostile-shape.pth",
                {"w": tensor(Storage("0", 4), 0, (1 << 20, 1 << 20), (1 << 20, 1))}, {"0": four})
    cycle = []
    cycle.append(cycle)
    hostile_pth(f"{OUT}/hostile-recursive.pth", {"w": cycle})
    nested = []
    for _ in range(400):
        nested = [nested]
    hostile_pth(f"{OUT}/hostile-nested.pth", {"w": nested})
    with open(f"{OUT}/legacy.pth", "wb") as f:
        torch.save({"w": torch.zeros(2)}, f, _use_new_zipfile_serialization=False)
    # Hostile safetensors.
    write_safetensors(f"{OUT}/bf16.safetensors", {"w": np.zeros(2, np.float32)})
    with open(f"{OUT}/bf16.safetensors", "r+b") as f:
        f.seek(0)
        raw = f.read().replace(b'"F32"', b'"BF16"')
        f.seek(0)
        f.write(raw)
    header = json.dumps({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                         "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}).encode()
    with open(f"{OUT}/overlap.safetensors", "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header + bytes(12))
    with open(f"{OUT}/huge-header.safetensors", "wb") as f:
        f.write(struct.pack("<Q", 1 << 40) + b"{}")


if __name__ == "__main__":
    main()
