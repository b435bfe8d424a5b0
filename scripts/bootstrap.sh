#!/usr/bin/env bash
# Installs what gic needs on a Debian machine when it is missing: the C libraries (through
# apt) and NumPy (through pip, for the Python checks). Swift 6 must already be on PATH.
set -euo pipefail

need=()
for pkg in libarchive-dev libpng-dev zlib1g-dev pkg-config; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "bootstrap: installing ${need[*]}" >&2
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
    || { $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends "${need[@]}" >/dev/null; }
fi

if ! command -v swift >/dev/null 2>&1; then
  echo "bootstrap: swift not found; install Swift 6 from https://swift.org/install and retry" >&2
  exit 1
fi

if ! python3 -c "import numpy" >/dev/null 2>&1; then
  echo "bootstrap: installing numpy" >&2
  python3 -m pip install --quiet numpy >&2 || echo "bootstrap: numpy unavailable; Python checks will be skipped" >&2
fi
