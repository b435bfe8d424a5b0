"""Stand-in for torchvision.transforms: no transforms (see python/compat/README.md)."""
