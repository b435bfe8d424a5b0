#!/usr/bin/env python3
"""Generate the PNG fixtures for the reference codec's image I/O (PNGCodec).

Usage:  python3 python/make_png_fixtures.py [--out DIR]

Writes Tests/ReferenceCodecTests/Fixtures/png/ (Pillow and NumPy; the files are committed, so
CI needs neither):

- valid images, each with the 8-bit RGB bytes a decoder must produce: Pillow-written RGB (1×1,
  17×31), gray (a 16×16 ramp of all 256 values), gray+alpha, RGBA (alpha 0, 1, 128 and 255 over
  arbitrary colours: dropping alpha must keep the stored colour), palette and palette+tRNS; and
  hand-assembled Adam7-interlaced RGB, 4-bit gray, gray+tRNS, and gray and RGB files whose gAMA
  (1.0) and cHRM chunks declare a non-sRGB colour space (the decoder takes samples as stored);
- refused images: 16-bit RGB and 16-bit gray;
- malformed files: not a PNG, empty, a file that ends inside IHDR, truncated in IDAT, a bad IHDR
  CRC, width 0, height 0, 70000×70000 and 9000×9000 (IHDR patched and its CRC fixed, so only a
  resource-limit check can refuse them).

`expected.json` maps each file name to `{"width", "height", "source_format", "source_bit_depth",
"dropped_alpha", "ignored_chunks", "rgb_sha256"}` for valid files and to `{"error": code}`
(an `ImageError.code`) for refused and malformed ones.

Every byte is a function of this script: fixed NumPy seeds, zlib level 9, no time chunks. Each
valid file is read back with Pillow (which applies no gamma) and compared with its expected RGB
bytes before anything is written.
"""
import argparse
import hashlib
import io
import json
import os
import struct
import zlib

import numpy as np
from PIL import Image

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
OUT = os.path.join(ROOT, "Tests", "ReferenceCodecTests", "Fixtures", "png")
SIGNATURE = b"\x89PNG\r\n\x1a\n"

# PNG colour types.
GRAY, RGB, PALETTE, GRAY_ALPHA, RGBA = 0, 2, 3, 4, 6
CHANNELS = {GRAY: 1, RGB: 3, PALETTE: 1, GRAY_ALPHA: 2, RGBA: 4}

# Adam7: (x start, y start, x step, y step) of each pass.
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
         (0, 1, 1, 2)]


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def ihdr(width, height, bit_depth, color_type, interlace=0):
    return chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0,
                                      interlace))


def scanlines(samples, bit_depth):
    """Filter-type-0 scanlines of an (h, w, c) sample array."""
    h = samples.shape[0]
    out = bytearray()
    for y in range(h):
        row = samples[y].reshape(-1)
        if bit_depth == 16:
            data = row.astype(">u2").tobytes()
        elif bit_depth == 8:
            data = row.astype(np.uint8).tobytes()
        else:
            data = np.packbits(np.unpackbits(row.astype(np.uint8)[:, None], axis=1)
                               [:, 8 - bit_depth:].reshape(-1)).tobytes()
        out += b"\x00" + data
    return bytes(out)


def assemble(samples, bit_depth, color_type, interlace=False, before_idat=()):
    """A PNG of an (h, w, c) sample array, assembled chunk by chunk."""
    h, w = samples.shape[:2]
    if interlace:
        raw = b"".join(scanlines(samples[y0::dy, x0::dx], bit_depth)
                       for x0, y0, dx, dy in ADAM7 if x0 < w and y0 < h)
    else:
        raw = scanlines(samples, bit_depth)
    return (SIGNATURE + ihdr(w, h, bit_depth, color_type, 1 if interlace else 0)
            + b"".join(before_idat) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def pillow_png(image):
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=9)
    return buffer.getvalue()


def chunks(data):
    """(offset, type, length) of each chunk."""
    out, at = [], 8
    while at + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        out.append((at, kind, length))
        at += 12 + length
    return out


def patch_ihdr(data, width=None, height=None, fix_crc=True):
    """Rewrites IHDR's width and height and (if asked) recomputes its CRC."""
    data = bytearray(data)
    if width is not None:
        data[16:20] = struct.pack(">I", width)
    if height is not None:
        data[20:24] = struct.pack(">I", height)
    if fix_crc:
        data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def gama(gamma):
    return chunk(b"gAMA", struct.pack(">I", round(gamma * 100000)))


def chrm(*points):
    return chunk(b"cHRM", struct.pack(">8I", *(round(p * 100000) for p in points)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=OUT)
    out_dir = parser.parse_args().out
    os.makedirs(out_dir, exist_ok=True)

    rng = np.random.default_rng(20240604)
    files, expected = {}, {}

    def valid(name, data, rgb, source_format, bit_depth=8, dropped_alpha=False,
              ignored_chunks=()):
        rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
        assert rgb.ndim == 3 and rgb.shape[2] == 3
        # Independent check: Pillow applies no gamma and drops alpha without compositing.
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            if im.mode == "P":
                back = np.asarray(im.convert("RGBA"))[:, :, :3]
            elif im.mode in ("LA", "RGBA"):
                back = np.asarray(im)[:, :, :-1]
            else:
                back = np.asarray(im)
            if back.ndim == 2:
                back = back[:, :, None]
            if back.shape[2] == 1:
                back = np.repeat(back, 3, axis=2)
            assert back.shape == rgb.shape, (name, back.shape, rgb.shape)
            assert np.array_equal(back, rgb), name
        files[name] = data
        expected[name] = {
            "width": rgb.shape[1], "height": rgb.shape[0], "source_format": source_format,
            "source_bit_depth": bit_depth, "dropped_alpha": dropped_alpha,
            "ignored_chunks": list(ignored_chunks),
            "rgb_sha256": hashlib.sha256(rgb.tobytes()).hexdigest(),
        }

    def refused(name, data, code):
        files[name] = data
        expected[name] = {"error": code}

    # --- valid: Pillow-written --------------------------------------------------------------
    px = np.array([[[201, 7, 99]]], dtype=np.uint8)
    valid("rgb_1x1.png", pillow_png(Image.fromarray(px, "RGB")), px, "rgb")

    px = rng.integers(0, 256, (31, 17, 3), dtype=np.uint8)
    rgb_17x31 = pillow_png(Image.fromarray(px, "RGB"))
    valid("rgb_17x31.png", rgb_17x31, px, "rgb")

    ramp = np.arange(256, dtype=np.uint8).reshape(16, 16)
    valid("gray_8bit.png", pillow_png(Image.fromarray(ramp, "L")),
          np.repeat(ramp[:, :, None], 3, axis=2), "gray")

    la = rng.integers(0, 256, (7, 9, 2), dtype=np.uint8)
    la[0, 0] = (173, 0)
    la[0, 1] = (91, 255)
    valid("gray_alpha.png", pillow_png(Image.fromarray(la, "LA")),
          np.repeat(la[:, :, :1], 3, axis=2), "grayAlpha", dropped_alpha=True)

    rgba = rng.integers(0, 256, (8, 8, 4), dtype=np.uint8)
    rgba[:, :, 3] = np.array([0, 255, 1, 128])[rng.integers(0, 4, (8, 8))]
    rgba[0, 0] = (200, 100, 50, 0)    # transparent: the stored colour must survive
    rgba[0, 1] = (10, 20, 30, 255)
    valid("rgba_alpha.png", pillow_png(Image.fromarray(rgba, "RGBA")), rgba[:, :, :3], "rgba",
          dropped_alpha=True)

    palette = rng.integers(0, 256, (40, 3), dtype=np.uint8)
    index = rng.integers(0, 40, (10, 12), dtype=np.uint8)
    index[0, :] = np.arange(12)
    image = Image.fromarray(index, "P")
    image.putpalette(palette.reshape(-1).tolist())
    valid("palette.png", pillow_png(image), palette[index], "palette")

    image = Image.fromarray(index, "P")
    image.putpalette(palette.reshape(-1).tolist())
    image.info["transparency"] = bytes([0, 128] + [255] * 38)
    data = pillow_png(image)
    assert any(kind == b"tRNS" for _, kind, _ in chunks(data)), "Pillow wrote no tRNS"
    valid("palette_trns.png", data, palette[index], "palette", dropped_alpha=True)

    # --- valid: assembled by hand -----------------------------------------------------------
    px = rng.integers(0, 256, (11, 13, 3), dtype=np.uint8)
    valid("interlaced_rgb.png", assemble(px, 8, RGB, interlace=True), px, "rgb")

    g4 = (np.arange(48, dtype=np.uint8) % 16).reshape(3, 16)
    valid("gray_4bit.png", assemble(g4[:, :, None], 4, GRAY),
          np.repeat((g4 * 17)[:, :, None], 3, axis=2), "gray", bit_depth=4)

    g = rng.integers(0, 256, (5, 6), dtype=np.uint8)
    g[0, 0] = 77
    valid("gray_trns.png", assemble(g[:, :, None], 8, GRAY,
                                    before_idat=[chunk(b"tRNS", struct.pack(">H", 77))]),
          np.repeat(g[:, :, None], 3, axis=2), "gray", dropped_alpha=True)

    # gAMA 1.0 would make libpng's simplified reader re-encode every sample to sRGB.
    valid("gray_gamma_linear.png", assemble(ramp[:, :, None], 8, GRAY, before_idat=[gama(1.0)]),
          np.repeat(ramp[:, :, None], 3, axis=2), "gray", ignored_chunks=["gAMA"])

    px = rng.integers(0, 256, (6, 7, 3), dtype=np.uint8)
    wide_gamut = chrm(0.3457, 0.3585, 0.7347, 0.2653, 0.1596, 0.8404, 0.0366, 0.0001)
    valid("rgb_gamma_chrm.png", assemble(px, 8, RGB, before_idat=[wide_gamut, gama(0.5)]),
          px, "rgb", ignored_chunks=["cHRM", "gAMA"])

    # --- refused: 16 bits per channel -------------------------------------------------------
    px16 = rng.integers(0, 65536, (4, 5, 3), dtype=np.uint16)
    refused("rgb_16bit.png", assemble(px16, 16, RGB), "image.unsupportedBitDepth")
    g16 = rng.integers(0, 65536, (4, 5, 1), dtype=np.uint16)
    refused("gray_16bit.png", assemble(g16, 16, GRAY), "image.unsupportedBitDepth")

    # --- malformed --------------------------------------------------------------------------
    refused("not_png.txt", b"This is a text file, not a PNG image.\n", "image.notPNG")
    refused("empty.png", b"", "image.notPNG")
    refused("truncated_ihdr.png", rgb_17x31[:20], "image.badHeader")

    idat = next((at, n) for at, kind, n in chunks(rgb_17x31) if kind == b"IDAT")
    refused("truncated_idat.png", rgb_17x31[:idat[0] + 8 + idat[1] // 2], "image.malformed")

    bad_crc = bytearray(rgb_17x31)
    bad_crc[32] ^= 0x01    # last byte of IHDR's CRC
    # PNGCodec checks IHDR's CRC itself, before its limit checks trust the header (libpng alone
    # also refuses the file: "IHDR: CRC error").
    refused("bad_crc_ihdr.png", bytes(bad_crc), "image.badHeader")

    one = files["rgb_1x1.png"]
    refused("width_zero.png", patch_ihdr(one, width=0), "image.dimensionsOutOfRange")
    refused("height_zero.png", patch_ihdr(one, height=0), "image.dimensionsOutOfRange")
    refused("huge_70000x70000.png", patch_ihdr(one, 70000, 70000), "image.dimensionsOutOfRange")
    refused("pixels_9000x9000.png", patch_ihdr(one, 9000, 9000), "image.tooManyPixels")

    total = sum(len(d) for d in files.values())
    assert total < 100_000, total
    for name, data in files.items():
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(data)
    with open(os.path.join(out_dir, "expected.json"), "w") as f:
        json.dump(dict(sorted(expected.items())), f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {len(files)} fixtures ({total} bytes) and expected.json to {out_dir}")


if __name__ == "__main__":
    main()
