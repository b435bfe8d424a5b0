"""Stand-in for torchvision.transforms (see python/compat/README.md): only ToTensor, which
compressai.utils.eval_model reads its pictures with."""


class ToTensor:
    """A PIL image (8-bit) → a float32 tensor (C, H, W) in [0, 1], as torchvision's ToTensor."""

    def __call__(self, pic):
        import numpy as np
        import torch

        a = np.asarray(pic, dtype=np.uint8)
        if a.ndim == 2:
            a = a[:, :, None]
        return torch.from_numpy(a.copy()).permute(2, 0, 1).contiguous().float().div(255)
