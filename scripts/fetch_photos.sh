#!/usr/bin/env bash
# Fetches the gic-v2 photographs from Debian packages (apt-get download + dpkg-deb -x), writes
# data/photos/{train,test}/*.png, data/photos/manifest.json and the training bundle
# out/gicv2-bundle.npz (python/gicv2/photos.py --help).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 python/gicv2/photos.py "$@"
