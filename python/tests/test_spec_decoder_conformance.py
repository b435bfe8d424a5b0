"""The independent NumPy decoder (python/gic_spec_decoder, written from spec/ alone) against the
published conformance vectors (conformance/manifest.json): every vector must decode to its
published SHA-256 and MD5. NumPy only; runs in CI.
"""
import hashlib
import json
import os
import sys
import time
import unittest

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))

from gic_spec_decoder import Model, bitstream, decode  # noqa: E402

SET = os.path.join(ROOT, "conformance")


class PublishedVectors(unittest.TestCase):
    def test_every_published_vector(self):
        self.check_set(SET, 40)

    def test_every_gic_v2_vector(self):
        """The gic-v2 set (conformance/gic-v2/): the same sources, the gic-v2 model; 12 of its
        streams carry the detail substream of spec/bitstream.md §7.5, 8 of them (bitstream
        version 1.2) also the gains substream of §7.6, and 4 of those the residual of §7.7."""
        self.check_set(os.path.join(SET, "gic-v2"), 36, detail=12, gains=8)

    def test_every_bmshj2018_factorized_vector(self):
        """The bmshj2018-factorized set (profile 4, spec/bitstream.md §10)."""
        self.check_set(os.path.join(SET, "bmshj2018-factorized"), 8)

    def test_every_mbt2018_vector(self):
        """The mbt2018 set (profile 5, spec/bitstream.md §11: the autoregressive context model,
        decoded position by position)."""
        self.check_set(os.path.join(SET, "mbt2018"), 8)

    def test_every_cheng2020_anchor_vector(self):
        """The cheng2020-anchor set (profile 6, spec/bitstream.md §12: residual transforms with
        sub-pixel upsampling, coded as profile 5)."""
        self.check_set(os.path.join(SET, "cheng2020-anchor"), 8)

    def test_every_cheng2020_attn_vector(self):
        """The cheng2020-attn set (profile 7, spec/bitstream.md §13: profile 6's transforms with
        attention blocks, lookup and mul, coded as profile 5)."""
        self.check_set(os.path.join(SET, "cheng2020-attn"), 8)

    def check_set(self, SET, count, detail=0, gains=0):
        with open(os.path.join(SET, "manifest.json"), encoding="utf-8") as f:
            manifest = json.load(f)
        models = {}
        for m in manifest["models"]:
            with open(os.path.join(SET, m["file"]), "rb") as f:
                data = f.read()
            self.assertEqual(hashlib.sha256(data).hexdigest(), m["sha256"], m["file"])
            models[m["file"]] = Model(data)
        start = time.time()
        failures = []
        with_detail = with_gains = 0
        for v in manifest["vectors"]:
            with open(os.path.join(SET, v["bitstream"]), "rb") as f:
                stream = f.read()
            self.assertEqual(hashlib.sha256(stream).hexdigest(), v["bitstream_sha256"], v["id"])
            header = bitstream.parse(stream)
            with_detail += header.has_detail
            with_gains += header.has_gains
            rgb, _ = decode(stream, models[v["model"]])
            raw = rgb.astype("uint8").tobytes()
            if (hashlib.sha256(raw).hexdigest() != v["decoded_rgb_sha256"]
                    or hashlib.md5(raw).hexdigest() != v["decoded_rgb_md5"]):
                failures.append(v["id"])
        print(f"\n{len(manifest['vectors']) - len(failures)}/{len(manifest['vectors'])} published "
              f"vectors reproduced by the NumPy spec decoder in {time.time() - start:.1f} s",
              file=sys.stderr)
        self.assertEqual(failures, [])
        self.assertEqual(len(manifest["vectors"]), count)
        self.assertEqual(with_detail, detail)
        self.assertEqual(with_gains, gains)


if __name__ == "__main__":
    unittest.main()
