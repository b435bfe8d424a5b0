"""gic-v1: PyTorch reference of gic's generative rate-variable codec profile.

Modules (each imports only torch, numpy and the standard library unless stated):
  model.py        the network (g_a, g_s, h_a, h_s, entropy models, reverse network U, rate
                  schedule, sampler) and the training forward pass
  prng.py         the normative counter-based noise generator of the sampler
  float_codec.py  float encoder (image -> symbols) and decoder (symbols -> image); CLI (the CLI
                  reads/writes PNG with pillow)
  train.py        time-budgeted training from an image bundle (.npz)
  make_bundle.py  writes that bundle from data/images (pillow; runs where the repo's data is)
  export.py       checkpoint -> models/gic-v1.npz with CompressAI-built CDF tables (CompressAI)
  msssim.py       MS-SSIM and a gradient-energy texture statistic
"""
