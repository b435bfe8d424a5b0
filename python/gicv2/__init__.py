"""gic-v2: the generative rate-variable codec trained for realism at low rates (see model.py)."""
