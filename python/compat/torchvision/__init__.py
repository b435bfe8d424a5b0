"""Stand-in for torchvision: see python/compat/README.md."""
from . import transforms  # noqa: F401
