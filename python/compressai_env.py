"""Imports CompressAI, working around a torchvision wheel that does not load (python/compat)."""
import os
import sys


def import_compressai():
    """Returns the `compressai` module."""
    try:
        import torchvision  # noqa: F401
    except Exception:
        for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
            del sys.modules[name]
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "compat"))
    import compressai
    return compressai
