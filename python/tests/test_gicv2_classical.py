"""Tests of the classical-codec wrappers of the gic-v2 evaluation (python/gicv2/classical.py).

Run: python3 -m unittest discover -s python/tests -p 'test_gicv2_*.py' -v
Skipped where the tools are missing: apt-get install -y libavif-bin libjxl-tools webp
libjpeg-turbo-progs.
"""
import os
import sys
import unittest

import numpy as np

PYTHON = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
ROOT = os.path.dirname(PYTHON)
sys.path.insert(0, PYTHON)
from gicv2 import classical  # noqa: E402

try:
    from PIL import Image
except ImportError:  # pragma: no cover
    raise unittest.SkipTest("pillow not installed")

if classical.missing_tools():
    raise unittest.SkipTest(f"missing codec tools: {classical.missing_tools()}")


class ClassicalTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with Image.open(os.path.join(ROOT, "data", "images", "test-768x512.png")) as im:
            img = np.asarray(im.convert("RGB"))
        cls.img = np.ascontiguousarray(img[200:328, 300:460])  # 128 x 160
        cls.coder = classical.Coder(cls.img)

    @classmethod
    def tearDownClass(cls):
        cls.coder.cleanup()

    def test_match_below_target(self):
        for codec in classical.CODECS:
            with self.subTest(codec=codec):
                small = self.coder.match_size(codec, 2500)
                large = self.coder.match_size(codec, 6000)
                self.assertIsNotNone(small)
                self.assertLessEqual(small.bytes, 2500)
                self.assertLessEqual(large.bytes, 6000)
                self.assertGreater(large.bytes, small.bytes)
                self.assertEqual(small.decoded.shape, self.img.shape)
                self.assertEqual(small.decoded.dtype, np.uint8)
                err_s = np.mean((small.decoded.astype(float) - self.img) ** 2)
                err_l = np.mean((large.decoded.astype(float) - self.img) ** 2)
                self.assertLess(err_l, err_s)
                self.assertGreater(small.bytes, 0.6 * 2500)  # the search does not stop far below

    def test_no_match(self):
        for codec in classical.CODECS:
            with self.subTest(codec=codec):
                self.assertIsNone(self.coder.match_size(codec, 50))

    def test_integer_search_is_tight(self):
        for codec in ("avif", "jpeg"):
            m = self.coder.match_size(codec, 3000)
            spec = classical.SPECS[codec]
            u = int(m.param)  # avif: quality = 63 - quantizer; jpeg: quality
            self.assertLessEqual(m.bytes, 3000)
            if u < spec.hi:
                self.assertGreater(self.coder.size(codec, u + 1), 3000)

    def test_versions_and_settings(self):
        v = classical.versions()
        self.assertEqual(set(v), set(classical.CODECS))
        s = classical.settings()
        self.assertIn("-y 420", s["avif"]["encode"])


if __name__ == "__main__":
    unittest.main()
