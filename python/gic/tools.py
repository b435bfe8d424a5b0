"""Locating and running the Swift tools `gic-convert` and `gic-ref`.

Search order: the folder named by the environment variable GIC_BIN (only there, when it is
set); else PATH; then
`.build/release` of the gic checkout this package was imported from (when it was) and of the
current directory. `swift build -c release` in a gic checkout builds both tools.
"""
import json
import os
import shutil
import subprocess

__all__ = ["ToolNotFound", "ToolError", "find_tool", "run_tool", "convert"]

TOOLS = ("gic-convert", "gic-ref")
_HERE = os.path.dirname(os.path.abspath(__file__))


class ToolNotFound(FileNotFoundError):
    """gic-convert or gic-ref is not installed where gic looks for it."""


class ToolError(RuntimeError):
    """A tool exited with a non-zero status; the message is its `error: …` line."""


def _candidates(name):
    env = os.environ.get("GIC_BIN")
    if env:  # an explicit choice: nothing else is looked at
        yield os.path.join(env, name), "GIC_BIN"
        return
    found = shutil.which(name)
    if found:
        yield found, "PATH"
    checkout = os.path.dirname(os.path.dirname(_HERE))  # python/gic -> the repository root
    for root in (checkout, os.getcwd()):
        if os.path.exists(os.path.join(root, "Package.swift")):
            yield os.path.join(root, ".build", "release", name), ".build/release"


def find_tool(name):
    """The path of gic-convert or gic-ref; ToolNotFound (with what to do) when there is none."""
    if name not in TOOLS:
        raise ValueError(f"unknown tool {name!r} (one of {', '.join(TOOLS)})")
    looked = []
    for path, where in _candidates(name):
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
        looked.append(f"{path} ({where})")
    env = os.environ.get("GIC_BIN")
    hint = (f"GIC_BIN={env} has no executable {name}; " if env else "")
    raise ToolNotFound(
        f"{name} not found: {hint}it is part of gic's Swift tools (in a gic checkout, "
        f"`swift build -c release` builds .build/release/{name}); put it on PATH or set GIC_BIN "
        f"to the folder that holds it" + (f" (looked at {', '.join(looked)})" if looked else ""))


def run_tool(name, *args, json_output=False, check=True):
    """Run a tool with the given arguments; returns its stdout (parsed when json_output, which
    also passes --json). A non-zero exit raises ToolError with the tool's error line."""
    cmd = [find_tool(name), *[os.fspath(a) for a in args]]
    if json_output:
        cmd.append("--json")
    r = subprocess.run(cmd, capture_output=True, text=True)
    if check and r.returncode != 0:
        lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
        msg = next((ln for ln in reversed(lines) if ln.startswith("error:")), lines[-1] if lines else "")
        if not msg and json_output:  # the tools' --json error report: {"error": {"code", "message"}}
            try:
                msg = "error: " + json.loads(r.stdout)["error"]["message"]
            except (ValueError, KeyError, TypeError):
                pass
        raise ToolError(f"{os.path.basename(cmd[0])} exited with status {r.returncode}: {msg}")
    return json.loads(r.stdout) if json_output else r.stdout


def convert(npz, gicw, profile="auto", calibration=(), quiet=True):
    """`gic-convert npz -o gicw --profile profile [--calibration …]`; returns its JSON report."""
    args = [npz, "-o", gicw, "--profile", profile]
    for c in calibration:
        args += ["--calibration", c]
    if quiet:
        args.append("--quiet")
    return run_tool("gic-convert", *args, json_output=True)
