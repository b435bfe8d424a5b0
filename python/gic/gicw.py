"""Reading and writing .gicw weight containers (spec/container.md).

The parsing, checking and canonical serialisation are those of gic_spec_decoder.container (the
reader written from the specification alone, shipped in the same distribution); this module is
the user-facing API over it.
"""
import os
import tempfile

import numpy as np

from gic_spec_decoder.container import DTYPES, Container, ContainerError, write_container

__all__ = ["read", "write", "open_container", "describe", "Container", "ContainerError"]

_DTYPE_NAMES = {np.dtype(v[1]).newbyteorder("=").name if v[0] != "bool" else "bool": v[0]
                for v in DTYPES.values()}
_INT64 = (-(1 << 63), (1 << 63) - 1)


def open_container(source):
    """A checked Container (gic_spec_decoder.container) from a path, bytes or Container."""
    if isinstance(source, Container):
        return source
    if isinstance(source, (bytes, bytearray, memoryview)):
        return Container(source)
    return Container.open(os.fspath(source))


def _quantization(rec):
    if rec.quantization == 0:
        return None
    if rec.quantization == 1:
        return ("tensor", list(rec.params))
    return ("axis", rec.axis, list(rec.params))


def read(path, extras=False):
    """(metadata, {name: ndarray}) of a .gicw file, every check of spec/container.md §9 made and
    every tensor's SHA-256 verified.

    With extras=True, returns (metadata, tensors, extras) where extras is
    {"quantization": {name: ("tensor", [(m, s, z)]) | ("axis", axis, [(m, s, z), …])},
     "cdf_tables": {name: (precision, offsets, lengths, cdf)}}: what a container holds beyond
    plain arrays. `write(path, tensors, metadata, **extras)` then writes the same bytes."""
    c = open_container(path)
    tensors = {name: c.tensor(name) for name in c.tensors}
    metadata = dict(c.metadata)
    if not extras:
        return metadata, tensors
    quant = {n: _quantization(r) for n, r in c.tensors.items() if r.quantization}
    cdfs = {}
    for n in c.cdfs:
        t = c.cdf_table(n)
        cdfs[n] = (t.precision, t.offsets, t.lengths, t.cdf)
    return metadata, tensors, {"quantization": quant, "cdf_tables": cdfs}


def _to_numpy(value, name):
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor
        value = value.detach().cpu().numpy()
    arr = np.asarray(value)
    if arr.dtype.kind == "b":
        dname = "bool"
    else:
        dname = _DTYPE_NAMES.get(arr.dtype.newbyteorder("=").name) if arr.dtype.kind in "iuf" else None
    if dname is None:
        raise ValueError(f"tensor {name!r}: dtype {arr.dtype} has no .gicw code (bool, int8…int64, "
                         "uint8…uint64, float16, float32, float64)")
    return arr, dname


def _check_metadata_value(key, v, depth=1):
    if isinstance(v, bool) or not isinstance(v, (str, int, list, tuple, np.integer)):
        raise ValueError(f"metadata {key!r}: values are strings, integers or lists of them, "
                         f"not {type(v).__name__}")
    if isinstance(v, (int, np.integer)):
        if not _INT64[0] <= int(v) <= _INT64[1]:
            raise ValueError(f"metadata {key!r}: integer {v} outside the signed 64-bit range")
        return int(v)
    if isinstance(v, str):
        if "\x00" in v:
            raise ValueError(f"metadata {key!r}: strings must not contain U+0000")
        return v
    if depth >= 4 and len(v):
        raise ValueError(f"metadata {key!r}: lists nest at most 4 deep")
    return [_check_metadata_value(key, e, depth + 1) for e in v]


def write(path, tensors, metadata=None, quantization=None, cdf_tables=None):
    """Write a .gicw container in canonical form (spec/container.md §7) and return its model
    digest (hex).

    tensors: {name: array} (NumPy arrays, or anything numpy.asarray takes; torch tensors are
    copied to the CPU), stored with their dtype and shape, little-endian, C order.
    metadata: {key: str | int | list}; "gic.profile" defaults to "raw", as gic-convert writes it
    for a raw container. For the same arrays and metadata the bytes are those of
    `gic-convert model.npz --profile raw`. quantization and cdf_tables: see read(extras=True).
    The file is written to a temporary name and renamed; the bytes are parsed back with every
    check of §9 before that."""
    meta = {"gic.profile": "raw"}
    for k, v in dict(metadata or {}).items():
        if not isinstance(k, str) or not 1 <= len(k.encode("utf-8")) <= 255 or "\x00" in k:
            raise ValueError(f"metadata key {k!r}: 1 to 255 bytes of UTF-8 without U+0000")
        meta[k] = _check_metadata_value(k, v)
    quantization = dict(quantization or {})
    cdfs = {}
    for n, t in dict(cdf_tables or {}).items():
        if hasattr(t, "cdf"):  # a gic_spec_decoder CdfTable
            t = (t.precision, t.offsets, t.lengths, t.cdf)
        cdfs[n] = t
    out = {}
    for name, value in tensors.items():
        if not isinstance(name, str) or not 1 <= len(name.encode("utf-8")) <= 1024 or "\x00" in name:
            raise ValueError(f"tensor name {name!r}: 1 to 1,024 bytes of UTF-8 without U+0000")
        if name in cdfs:
            raise ValueError(f"{name!r} names both a tensor and a CDF table")
        arr, dname = _to_numpy(value, name)
        out[name] = (arr, dname, quantization.pop(name, None))
    if quantization:
        raise ValueError(f"quantization given for names that are not tensors: {sorted(quantization)}")
    data = write_container(meta, out, cdfs)
    Container(data)  # every check of spec/container.md §9: refuse to write what no reader takes
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".gicw-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return data[32:64].hex()


def _quant_json(rec):
    q = {"kind": "per_tensor" if rec.quantization == 1 else "per_axis",
         "multipliers": [p[0] for p in rec.params], "shifts": [p[1] for p in rec.params],
         "zero_points": [p[2] for p in rec.params]}
    if rec.quantization == 2:
        q["axis"] = rec.axis
    return q


def describe(source, verify=True):
    """The container's summary in the layout of `gic-convert inspect --json`: format, version,
    model_digest, metadata, tensors [{name, dtype, shape, bytes, sha256, quantization}],
    cdf_tables [{name, precision, distributions, stride, sha256}]."""
    c = open_container(source)
    if verify:
        c.verify_all()
    tensors = []
    for n in sorted(c.tensors, key=lambda s: s.encode("utf-8")):
        r = c.tensors[n]
        t = {"name": n, "dtype": r.dtype, "shape": list(r.shape), "bytes": r.length,
             "sha256": r.sha256.hex()}
        if r.quantization:
            t["quantization"] = _quant_json(r)
        tensors.append(t)
    cdfs = [{"name": n, "precision": r.precision, "distributions": r.distributions,
             "stride": r.stride, "sha256": r.sha256.hex()}
            for n, r in sorted(c.cdfs.items(), key=lambda kv: kv[0].encode("utf-8"))]
    out = {"format": "gicw", "version": f"1.{c.minor}", "model_digest": c.model_digest.hex(),
           "file_bytes": len(c.buf), "metadata": dict(c.metadata), "tensors": tensors,
           "cdf_tables": cdfs}
    return out
