"""gic-codec installed the way a user installs it: `python3 -m venv` in a temporary folder,
`pip install ./python` there (numpy comes from PyPI), then python/tests/gic_package_check.py run
by the environment's interpreter: `import gic` from site-packages, gic.read/gic.write of every
shipped .gicw (byte-identical), gic.decode of all 76 published conformance vectors to the
manifests' SHA-256, and (with the release tools built) gic.write against gic-convert.

A second environment made with --system-site-packages (so that it sees this interpreter's torch
and CompressAI) runs the CompressAI part: gic.export of an mbt2018-mean object, gic-convert,
gic-ref encode, gic.decode equal to gic-ref decode. It is skipped where torch or CompressAI do
not import (CI installs only numpy) or the tools are not built.

Skipped with the reason when venv or pip cannot work here (no ensurepip, no network to PyPI).
GIC_SKIP_VENV_TEST=1 skips it. The package is copied to the temporary folder first, so that the
build leaves nothing in the checkout. About 10 s each with a network (mostly pip).
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
PYTHON = os.path.join(ROOT, "python")
CHECK = os.path.join(PYTHON, "tests", "gic_package_check.py")
RELEASE = os.path.join(ROOT, ".build", "release")

NETWORK_SIGNS = ("No matching distribution", "Could not find a version", "NewConnectionError",
                 "Temporary failure in name resolution", "Network is unreachable", "ConnectionError",
                 "Max retries exceeded", "ReadTimeoutError", "Name or service not known")


def tools_built():
    return all(os.access(os.path.join(RELEASE, t), os.X_OK) for t in ("gic-convert", "gic-ref"))


def compressai_available():
    code = ("import sys; sys.path.insert(0, %r)\nfrom compressai_env import import_compressai\n"
            "import_compressai()\nimport torch, compressai.models" % PYTHON)
    return subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


@unittest.skipIf(os.environ.get("GIC_SKIP_VENV_TEST") == "1", "GIC_SKIP_VENV_TEST=1")
class InstalledPackage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="gic-venv-")
        src = os.path.join(cls.tmp.name, "src", "python")
        # what `pip install ./python` reads from a clean checkout (build leftovers excluded)
        shutil.copytree(PYTHON, src, ignore=shutil.ignore_patterns(
            "build", "*.egg-info", "__pycache__", "tests", "compat", "experiments"))
        cls.src = src

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def make_env(self, name, system_site=False):
        env_dir = os.path.join(self.tmp.name, name)
        args = [sys.executable, "-m", "venv", env_dir]
        if system_site:
            args.insert(3, "--system-site-packages")
        r = subprocess.run(args, capture_output=True, text=True)
        if r.returncode != 0:
            self.skipTest(f"python3 -m venv does not work here ({r.stderr.strip().splitlines()[-1:]}); "
                          "on Debian install python3-venv")
        py = os.path.join(env_dir, "bin", "python")
        start = time.perf_counter()
        r = subprocess.run([py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", self.src],
                           capture_output=True, text=True)
        if r.returncode != 0:
            out = r.stdout + r.stderr
            if any(s in out for s in NETWORK_SIGNS):
                self.skipTest("pip cannot reach PyPI for the build requirements and numpy "
                              f"(no network?): {out.strip().splitlines()[-1]}")
            self.fail(f"pip install ./python failed:\n{out}")
        print(f"\n{name}: venv + pip install ./python in {time.perf_counter() - start:.1f} s",
              file=sys.stderr)
        return py

    def run_check(self, py, *extra, env=None):
        e = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GIC_BIN")}
        # PyPI's numpy wheels bring a threaded OpenBLAS; on a busy 2-core machine its threads
        # spin against each other on the decoder's small matrix products (64 vectors: 17.6 s
        # instead of 1.9 s measured here), so the check runs them on one thread
        e.setdefault("OPENBLAS_NUM_THREADS", "1")
        if tools_built():
            e["GIC_BIN"] = RELEASE
        e.update(env or {})
        r = subprocess.run([py, CHECK, "--root", ROOT, "--installed", *extra], capture_output=True,
                           text=True, env=e, cwd=self.tmp.name)
        sys.stderr.write(r.stdout)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r.stdout

    def test_fresh_environment(self):
        py = self.make_env("fresh")
        out = self.run_check(py)
        self.assertIn("76 published vectors decoded", out)
        # numpy only: MS-SSIM through the NumPy implementation, the CLI runs
        r = subprocess.run([py, "-c", "import gic; print(gic.metrics.ms_ssim_backend())"],
                           capture_output=True, text=True, cwd=self.tmp.name)
        self.assertEqual(r.stdout.strip(), "numpy", r.stderr)
        r = subprocess.run([py, "-m", "gic", "inspect", os.path.join(ROOT, "models", "gic-v2.gicw")],
                           capture_output=True, text=True, cwd=self.tmp.name)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("codec model:  gic-v1", r.stdout)
        # without torch, export says what to install
        r = subprocess.run([py, "-m", "gic", "export", os.path.join(ROOT, "models", "gic-v2.pt"), "-o",
                            os.path.join(self.tmp.name, "x.npz")], capture_output=True, text=True,
                           cwd=self.tmp.name)
        self.assertEqual(r.returncode, 1)
        self.assertTrue(r.stderr.startswith("error: "), r.stderr)
        self.assertIn("torch", r.stderr)

    @unittest.skipUnless(tools_built(), "gic-convert/gic-ref not built (swift build -c release)")
    def test_export_with_compressai(self):
        if not compressai_available():
            self.skipTest("torch or CompressAI do not import here: the CompressAI export is not run")
        py = self.make_env("with-torch", system_site=True)
        compat = os.path.join(PYTHON, "compat")  # the torchvision stand-in (python/compat/README.md)
        out = self.run_check(py, "--export", env={"PYTHONPATH": compat})
        self.assertIn("gic.decode equals gic-ref decode", out)


if __name__ == "__main__":
    unittest.main()
