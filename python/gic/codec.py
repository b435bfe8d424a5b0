"""Decoding .gic bitstreams with the NumPy spec decoder (gic_spec_decoder)."""
import os

from gic_spec_decoder import bitstream as _bitstream
from gic_spec_decoder.decoder import Model, decode as _decode, to_gray

__all__ = ["decode", "info", "load_model", "Model"]

_CACHE = {}
_CACHE_SIZE = 4


def _read_bytes(source):
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    with open(os.fspath(source), "rb") as f:
        return f.read()


def load_model(model):
    """A checked codec model (spec/bitstream.md §4, §7) from a .gicw path, bytes or Model.

    Models loaded from a path are kept (up to four, keyed by path, size and modification time),
    so decoding many streams with the same path loads it once."""
    if isinstance(model, Model):
        return model
    if isinstance(model, (bytes, bytearray, memoryview)):
        return Model(bytes(model))
    path = os.path.abspath(os.fspath(model))
    st = os.stat(path)
    key = (path, st.st_size, st.st_mtime_ns)
    m = _CACHE.get(key)
    if m is None:
        m = Model(path)
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = m
    return m


def decode(stream, model, rgb=False):
    """Decode a .gic bitstream (bytes or a path) with a codec model (a .gicw path, bytes or a
    Model from load_model) to a uint8 array: [H, W, 3] for a colour picture, [H, W] for a
    grayscale one (gray = ⌊(R + G + B + 1) / 3⌋ of the decoded samples, spec/bitstream.md §6.4).
    rgb=True always returns the normative RGB samples [H, W, 3], what conformance hashes."""
    data = _read_bytes(stream)
    pixels, header = _decode(data, load_model(model))
    if header["grayscale"] and not rgb:
        return to_gray(pixels)
    return pixels


def info(stream):
    """The header of a .gic bitstream (bytes or a path) as a dict: version, profile, width,
    height, grayscale, rate index, steps, seed, model digest prefix, substream sizes."""
    return _bitstream.parse(_read_bytes(stream)).as_dict()
