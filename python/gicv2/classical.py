"""The classical codecs a user would pick instead of gic, through their Debian command-line tools,
each at the largest quality whose file is no larger than a byte budget.

    apt-get install -y libavif-bin libjxl-tools webp libjpeg-turbo-progs

Versions used for docs/ (Debian 12, `versions()` records what is installed): libavif-bin 0.11.1
(avifenc/avifdec, libaom 3.6.0 encoder, dav1d 1.0.0 decoder), libjxl-tools 0.7.0 (cjxl/djxl),
webp 1.2.4 (cwebp/dwebp), libjpeg-turbo-progs 2.1.5 (cjpeg/djpeg).

Settings (fixed, single-threaded, so that results do not depend on the machine's cores):

| codec | encoder | quality parameter searched | chroma | decoder |
|---|---|---|---|---|
| `avif` | `avifenc -j 1 -s 6 -y 420 --ignore-icc --min Q --max Q` (libaom, speed 6 = avifenc's default) | quantizer Q, integer 1..63 (quality = 63 - Q; Q = 0, lossless, excluded) | 4:2:0 (set explicitly; avifenc's default for PNG input would be 4:4:4) | `avifdec -j 1 -d 8` (dav1d), PNG |
| `jxl` | `cjxl -e 7 --num_threads=1 -d D` (effort 7 = default) | Butteraugli distance D, continuous 0.05..25 (quality = -D) | codec default: XYB, no chroma subsampling | `djxl --num_threads=1 --bits_per_sample=8`, PNG |
| `webp` | `cwebp -m 4 -q Q -metadata none` (method 4 = default) | quality Q, continuous 0..100 | 4:2:0 (the only lossy WebP format) | `dwebp`, PNG |
| `jpeg` | `cjpeg -quality Q -sample 2x2 -optimize` (libjpeg-turbo, baseline, Huffman tables optimised) | quality Q, integer 1..100 | 4:2:0 | `djpeg -ppm` (default islow IDCT, fancy upsampling) |

The source goes to the encoders as a plain PNG (or PPM for cjpeg) written from the RGB samples,
without ICC profile or other metadata, so that no container carries a profile gic does not store.

Search (`match_size`): the quality parameter is bisected for the largest value whose file is no
larger than the target: integer parameters exactly (assuming the file size grows with quality),
continuous ones to 1/512 of the log range for JXL's distance (1.2 %) and 0.05 for
WebP's quality. File size is not strictly monotone in the quality parameter, so the answer is
the largest quality the bisection met below the target, not a proof that no larger quality fits.
When even the lowest quality exceeds the target, `match_size` returns None ("no match").
"""
import math
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field

import numpy as np

CODECS = ("avif", "jxl", "webp", "jpeg")
TOOLS = {"avif": ("avifenc", "avifdec"), "jxl": ("cjxl", "djxl"), "webp": ("cwebp", "dwebp"),
         "jpeg": ("cjpeg", "djpeg")}
PACKAGES = {"avif": "libavif-bin", "jxl": "libjxl-tools", "webp": "webp", "jpeg": "libjpeg-turbo-progs"}


def _run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}): {(p.stderr or p.stdout)[-800:]}")
    return p


def _read(path):
    from PIL import Image

    with Image.open(path) as im:
        if im.mode not in ("RGB", "L", "P", "RGBA"):
            raise RuntimeError(f"{path}: unexpected decoded mode {im.mode}")
        return np.asarray(im.convert("RGB"), dtype=np.uint8)


@dataclass
class Spec:
    name: str
    lo: float            # lowest quality parameter (smallest file)
    hi: float            # highest
    integer: bool
    tol: float = 0.0     # continuous search: stop when hi - lo <= tol (in search units)
    log: bool = False    # search on -log(distance)
    param_name: str = "quality"

    def to_param(self, u):
        """Search unit (increasing with quality) -> the value passed to the encoder."""
        return round(math.exp(-u), 6) if self.log else (int(u) if self.integer else round(u, 4))


SPECS = {
    "avif": Spec("avif", 0, 62, True, param_name="quality (63 - quantizer)"),
    "jxl": Spec("jxl", -math.log(25.0), -math.log(0.05), False, tol=(math.log(25.0) - math.log(0.05)) / 512,
                log=True, param_name="distance"),
    "webp": Spec("webp", 0.0, 100.0, False, tol=0.05),
    "jpeg": Spec("jpeg", 1, 100, True),
}


def encode_cmd(codec, param, src_png, src_ppm, out):
    if codec == "avif":
        q = 63 - int(param)
        return ["avifenc", "-j", "1", "-s", "6", "-y", "420", "--ignore-icc", "--ignore-exif",
                "--ignore-xmp", "--min", str(q), "--max", str(q), src_png, out]
    if codec == "jxl":
        return ["cjxl", src_png, out, "-e", "7", "--num_threads=1", "-d", f"{param:g}"]
    if codec == "webp":
        return ["cwebp", "-quiet", "-m", "4", "-q", f"{param:g}", "-metadata", "none", src_png, "-o", out]
    if codec == "jpeg":
        return ["cjpeg", "-quality", str(int(param)), "-sample", "2x2", "-optimize", "-outfile", out, src_ppm]
    raise ValueError(codec)


def decode_cmd(codec, src, out_png):
    if codec == "avif":
        return ["avifdec", "-j", "1", "-d", "8", src, out_png]
    if codec == "jxl":
        return ["djxl", src, out_png, "--num_threads=1", "--bits_per_sample=8", "--quiet"]
    if codec == "webp":
        return ["dwebp", "-quiet", src, "-o", out_png]
    if codec == "jpeg":
        return ["djpeg", "-ppm", "-outfile", out_png, src]
    raise ValueError(codec)


EXT = {"avif": ".avif", "jxl": ".jxl", "webp": ".webp", "jpeg": ".jpg"}


@dataclass
class Match:
    codec: str
    param: float           # the encoder's parameter (see SPECS[codec].param_name)
    bytes: int
    target: int
    decoded: np.ndarray = field(repr=False)
    path: str = ""         # the compressed file (inside the Coder's work directory)
    encodes: int = 0       # encoder runs the search took (cached ones not counted)


class Coder:
    """Codes one picture with the classical codecs; caches the size at every parameter tried, so
    that searches for several budgets on the same picture share encoder runs."""

    def __init__(self, img, workdir=None):
        from PIL import Image

        self.img = np.asarray(img, dtype=np.uint8)
        if self.img.ndim != 3 or self.img.shape[2] != 3:
            raise ValueError("expected RGB uint8 [H, W, 3]")
        self.dir = workdir or tempfile.mkdtemp(prefix="gicv2-classical-")
        os.makedirs(self.dir, exist_ok=True)
        self.png = os.path.join(self.dir, "source.png")
        self.ppm = os.path.join(self.dir, "source.ppm")
        Image.fromarray(self.img, "RGB").save(self.png)  # no ICC/metadata chunks
        Image.fromarray(self.img, "RGB").save(self.ppm)
        self.sizes = {}  # (codec, u) -> bytes
        self.encodes = 0

    def _file(self, codec, u):
        return os.path.join(self.dir, f"{codec}-{u!r}{EXT[codec]}")

    def size(self, codec, u):
        key = (codec, u)
        if key not in self.sizes:
            out = self._file(codec, u)
            _run(encode_cmd(codec, SPECS[codec].to_param(u), self.png, self.ppm, out))
            self.sizes[key] = os.path.getsize(out)
            self.encodes += 1
        return self.sizes[key]

    def decode(self, codec, u):
        out = os.path.join(self.dir, f"decoded-{codec}.{'ppm' if codec == 'jpeg' else 'png'}")
        _run(decode_cmd(codec, self._file(codec, u), out))
        d = _read(out)
        if d.shape != self.img.shape:
            raise RuntimeError(f"{codec}: decoded {d.shape}, expected {self.img.shape}")
        return d

    def match_size(self, codec, target_bytes):
        """Match with the largest quality whose file has <= target_bytes, or None."""
        spec = SPECS[codec]
        before = self.encodes
        lo, hi = spec.lo, spec.hi
        if self.size(codec, lo) > target_bytes:
            return None
        if self.size(codec, hi) <= target_bytes:
            best = hi
        else:
            # invariant: size(lo) <= target < size(hi)
            if spec.integer:
                lo, hi = int(lo), int(hi)
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    if self.size(codec, mid) <= target_bytes:
                        lo = mid
                    else:
                        hi = mid
            else:
                while hi - lo > spec.tol:
                    mid = (lo + hi) / 2
                    if self.size(codec, mid) <= target_bytes:
                        lo = mid
                    else:
                        hi = mid
            best = lo
        return Match(codec=codec, param=spec.to_param(best), bytes=self.size(codec, best),
                     target=int(target_bytes), decoded=self.decode(codec, best),
                     path=self._file(codec, best), encodes=self.encodes - before)

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def missing_tools():
    """The command-line tools not on PATH, with the Debian package that has them."""
    return [(t, PACKAGES[c]) for c in CODECS for t in TOOLS[c] if shutil.which(t) is None]


def versions():
    """{codec: version string} of the installed tools (dpkg version of the package, and what
    the encoder itself says)."""
    out = {}
    for c in CODECS:
        pkg = PACKAGES[c]
        try:
            dv = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", pkg], capture_output=True,
                                text=True).stdout.strip()
        except OSError:
            dv = ""
        enc = TOOLS[c][0]
        try:
            if c == "avif":
                v = subprocess.run([enc, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
            elif c == "jxl":
                v = subprocess.run([enc, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
            elif c == "webp":
                v = "cwebp " + subprocess.run([enc, "-version"], capture_output=True, text=True).stdout.strip()
            else:
                p = subprocess.run([enc, "-version"], capture_output=True, text=True)
                v = (p.stderr or p.stdout).strip().splitlines()[0]
        except (OSError, IndexError):
            v = "not installed"
        out[c] = f"{pkg} {dv or '?'}: {v}"
    return out


def settings():
    """The fixed encoder/decoder command lines; P stands for the searched parameter."""
    templates = {
        "avif": "avifenc -j 1 -s 6 -y 420 --ignore-icc --ignore-exif --ignore-xmp --min P --max P in.png out.avif  (P = 63 - quality)",
        "jxl": "cjxl in.png out.jxl -e 7 --num_threads=1 -d P  (P = distance)",
        "webp": "cwebp -quiet -m 4 -q P -metadata none in.png -o out.webp",
        "jpeg": "cjpeg -quality P -sample 2x2 -optimize -outfile out.jpg in.ppm",
    }
    return {c: {"encode": templates[c], "decode": " ".join(decode_cmd(c, "out" + EXT[c], "out.png")),
                "parameter": SPECS[c].param_name} for c in CODECS}
