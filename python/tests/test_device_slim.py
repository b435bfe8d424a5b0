"""scripts/device_slim.sh on a throwaway clone: `status` reports the tracked tree as over the
device tool's 64 MiB, `on` untracks everything but what GPU training needs (python/, scripts/,
models/gic-v2.pt) so that it fits, a second `on` and a commit-ready index are refused, and `off`
leaves the clone exactly as it was (no change in `git status`, .git/info/exclude as before).

Skipped where git is missing or the checkout is not a git repository. About 5 s.
"""
import os
import shutil
import subprocess
import tempfile
import unittest

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SCRIPT = os.path.join(ROOT, "scripts", "device_slim.sh")


def git(cwd, *args):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@unittest.skipUnless(shutil.which("git") and os.path.isdir(os.path.join(ROOT, ".git")),
                     "git or a git checkout is missing")
class DeviceSlimTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.repo = os.path.join(self.tmp.name, "repo")
        git(self.tmp.name, "clone", "-q", ROOT, self.repo)
        # test this checkout's script, committed or not
        shutil.copy(SCRIPT, os.path.join(self.repo, "scripts", "device_slim.sh"))
        git(self.repo, "update-index", "--refresh")

    def tearDown(self):
        self.tmp.cleanup()

    def run_script(self, *args):
        return subprocess.run(["bash", "scripts/device_slim.sh", *args], cwd=self.repo,
                              capture_output=True, text=True)

    def test_on_fits_the_limit_and_off_restores_everything(self):
        exclude = os.path.join(self.repo, ".git", "info", "exclude")
        with open(exclude) as f:
            exclude_before = f.read()
        status_before = git(self.repo, "status", "--porcelain")
        tracked_before = git(self.repo, "ls-files").split()

        full = self.run_script("status")
        self.assertEqual(full.returncode, 1, full.stdout)   # ~140 MB > 64 MiB

        on = self.run_script("on")
        self.assertEqual(on.returncode, 0, on.stderr)
        tracked = git(self.repo, "ls-files").split()
        self.assertIn("models/gic-v2.pt", tracked)
        self.assertIn("python/gicv2/train.py", tracked)
        self.assertIn("scripts/train_gicv2_device.sh", tracked)
        self.assertNotIn("Package.swift", tracked)
        self.assertFalse([p for p in tracked if p.startswith(("conformance/", "Tests/", "models/context/"))])
        self.assertTrue(all(os.path.exists(os.path.join(self.repo, p)) for p in tracked_before),
                        "untracking must leave every file on disk")
        # nothing dropped shows up as untracked: it is ignored while slim
        self.assertNotIn("??", git(self.repo, "status", "--porcelain", "--untracked-files=all"))
        slim = self.run_script("status")
        self.assertEqual(slim.returncode, 0, slim.stdout)
        self.assertEqual(self.run_script("on").returncode, 1)   # twice: refused

        off = self.run_script("off")
        self.assertEqual(off.returncode, 0, off.stderr)
        self.assertEqual(git(self.repo, "status", "--porcelain"), status_before)
        self.assertEqual(git(self.repo, "ls-files").split(), tracked_before)
        with open(exclude) as f:
            self.assertEqual(f.read(), exclude_before)
        self.assertEqual(self.run_script("off").returncode, 0)   # idempotent

    def test_on_refuses_staged_changes(self):
        with open(os.path.join(self.repo, "README.md"), "a") as f:
            f.write("\nstaged\n")
        git(self.repo, "add", "README.md")
        r = self.run_script("on")
        self.assertEqual(r.returncode, 1)
        self.assertIn("staged changes", r.stderr)
        self.assertIn("README.md", git(self.repo, "diff", "--cached", "--name-only"))


if __name__ == "__main__":
    unittest.main()
