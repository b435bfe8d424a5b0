"""Writes Tests/ConvertersTests/Fixtures/zoo/keys.json: the state-dict keys and shapes of the six
compressai.zoo image architectures at a tiny size (N=8, M=12; cheng2020 N=8), as exported without
update() (empty entropy tables). Profile detection is tested on zero-filled exports built from it.

Run from the repository root: PYTHONPATH=python/compat python3 python/make_zoo_keys.py
"""

import json

from compressai.models import (
    Cheng2020Anchor,
    Cheng2020Attention,
    FactorizedPrior,
    JointAutoregressiveHierarchicalPriors,
    MeanScaleHyperprior,
    ScaleHyperprior,
)

ARCHITECTURES = {
    "bmshj2018-factorized": lambda: FactorizedPrior(N=8, M=12),
    "bmshj2018-hyperprior": lambda: ScaleHyperprior(N=8, M=12),
    "mbt2018-mean": lambda: MeanScaleHyperprior(N=8, M=12),
    "mbt2018": lambda: JointAutoregressiveHierarchicalPriors(N=8, M=12),
    "cheng2020-anchor": lambda: Cheng2020Anchor(N=8),
    "cheng2020-attn": lambda: Cheng2020Attention(N=8),
}

keys = {
    name: {k: list(v.shape) for k, v in make().state_dict().items()}
    for name, make in ARCHITECTURES.items()
}
with open("Tests/ConvertersTests/Fixtures/zoo/keys.json", "w") as f:
    json.dump(keys, f, indent=1, sort_keys=True)
    f.write("\n")
