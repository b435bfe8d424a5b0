"""The sampler's noise generator (normative): counter-based, independent of evaluation order.

For a seed S (uint64), sampler step i, channel c, row y and column x (each < 65536):

    key = (((i*65536 + c)*65536 + y)*65536 + x) mod 2^64      (= i<<48 | c<<32 | y<<16 | x)
    z = (S + key * 0x9E3779B97F4A7C15) mod 2^64
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9 mod 2^64
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB mod 2^64
    z = z ^ (z >> 31)
    v = z >> 48, minus 65536 if v >= 32768            (the top 16 bits as a signed int16)
    u = v / 65536                                       in [-1/2, 1/2), a multiple of 2^-16

(the SplitMix64 finaliser applied to S + key*golden). Three implementations: `value_int`
(plain Python integers, the reference), `noise_numpy` (uint64 arrays, wrapping; what the float
decoder uses) and `noise_torch` (int64 tensors with masked shifts, for device-side use).
"""
import numpy as np

GOLDEN = 0x9E3779B97F4A7C15
MIX1 = 0xBF58476D1CE4E5B9
MIX2 = 0x94D049BB133111EB
MASK64 = (1 << 64) - 1
LIMIT = 1 << 16


def _check(step, c, y, x):
    for name, v in (("step", step), ("channel", c), ("row", y), ("column", x)):
        if not 0 <= v < LIMIT:
            raise ValueError(f"{name} {v} out of [0, 65536)")


def z_int(seed, step, c, y, x):
    """The 64-bit z for one position, with Python integers (reference). For seed 0 and
    key k = 1, 2, 3 this is SplitMix64's first three outputs from state 0."""
    _check(step, c, y, x)
    key = (((step * LIMIT + c) * LIMIT + y) * LIMIT + x) & MASK64
    z = (int(seed) + key * GOLDEN) & MASK64
    z = ((z ^ (z >> 30)) * MIX1) & MASK64
    z = ((z ^ (z >> 27)) * MIX2) & MASK64
    return z ^ (z >> 31)


def value_int(seed, step, c, y, x):
    """v (a signed 16-bit integer) for one position, with Python integers (reference)."""
    v = z_int(seed, step, c, y, x) >> 48
    return v - 65536 if v >= 32768 else v


def uniform_int(seed, step, c, y, x):
    """u = v / 65536 for one position (Python float, exact)."""
    return value_int(seed, step, c, y, x) / 65536.0


def values_numpy(seed, step, channels, height, width):
    """v as an int32 array [channels, height, width] for sampler step `step` (numpy uint64)."""
    _check(step, channels - 1 if channels else 0, height - 1 if height else 0, width - 1 if width else 0)
    u64 = np.uint64
    c = np.arange(channels, dtype=np.uint64).reshape(-1, 1, 1)
    y = np.arange(height, dtype=np.uint64).reshape(1, -1, 1)
    x = np.arange(width, dtype=np.uint64).reshape(1, 1, -1)
    with np.errstate(over="ignore"):
        key = (u64(step) << u64(48)) | (c << u64(32)) | (y << u64(16)) | x
        z = u64(int(seed) & MASK64) + key * u64(GOLDEN)
        z = (z ^ (z >> u64(30))) * u64(MIX1)
        z = (z ^ (z >> u64(27))) * u64(MIX2)
        z = z ^ (z >> u64(31))
    v = (z >> u64(48)).astype(np.int32)
    return np.where(v >= 32768, v - 65536, v).astype(np.int32)


def noise_numpy(seed, step, channels, height, width, dtype=np.float32):
    """u = v / 65536 as an array [channels, height, width] in [-1/2, 1/2)."""
    return (values_numpy(seed, step, channels, height, width).astype(np.float64) / 65536.0).astype(dtype)


def _signed(v):
    """A uint64 constant as the int64 with the same bits."""
    v &= MASK64
    return v - (1 << 64) if v >= (1 << 63) else v


def values_torch(seed, step, channels, height, width, device="cpu"):
    """v as an int32 tensor [channels, height, width], computed with int64 tensors.

    int64 multiplication and addition wrap modulo 2^64 (two's complement), which gives the same
    bits as uint64 arithmetic; right shifts are made logical by masking off the sign extension.
    """
    import torch

    _check(step, channels - 1 if channels else 0, height - 1 if height else 0, width - 1 if width else 0)

    def shr(t, k):
        return (t >> k) & ((1 << (64 - k)) - 1)

    c = torch.arange(channels, dtype=torch.int64, device=device).view(-1, 1, 1)
    y = torch.arange(height, dtype=torch.int64, device=device).view(1, -1, 1)
    x = torch.arange(width, dtype=torch.int64, device=device).view(1, 1, -1)
    key = (c << 32) | (y << 16) | x
    key = key + _signed(step << 48)
    z = key * _signed(GOLDEN) + _signed(int(seed))
    z = (z ^ shr(z, 30)) * _signed(MIX1)
    z = (z ^ shr(z, 27)) * _signed(MIX2)
    z = z ^ shr(z, 31)
    v = shr(z, 48)
    return torch.where(v >= 32768, v - 65536, v).to(torch.int32)


def noise_torch(seed, step, channels, height, width, device="cpu", dtype=None):
    """u = v / 65536 as a tensor [channels, height, width]."""
    import torch

    v = values_torch(seed, step, channels, height, width, device)
    return v.to(dtype or torch.float32) / 65536.0
