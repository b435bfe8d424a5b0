"""Writes Tests/ConvertersTests/Fixtures/zoo/keys.json: the state-dict keys and shapes of the six
compressai.zoo image architectures at a tiny size (N=8, M=12; cheng2020 N=8), as exported without
update() (empty entropy tables). Profile detection is tested on zero-filled exports built from it.

Run from the repository root: PYTHONPATH=python/compat:python python3 python/make_zoo_keys.py
"""

import json

from gic.exporting import CHENG2020, COMPRESSAI_CLASSES, compressai_model

keys = {
    name: {k: list(v.shape) for k, v in compressai_model(name, 8, None if name in CHENG2020 else 12).state_dict().items()}
    for name in COMPRESSAI_CLASSES.values()
}
with open("Tests/ConvertersTests/Fixtures/zoo/keys.json", "w") as f:
    json.dump(keys, f, indent=1, sort_keys=True)
    f.write("\n")
