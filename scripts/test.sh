#!/usr/bin/env bash
# Every test: the Swift suites (containers, NumPy readers, malformed corpora, codec, command
# lines), the release binaries against the codec goldens, and the Python checks (fixtures regenerate byte-identically; NumPy reads what gic-convert extracts;
# the gic package, installed with pip into a fresh virtual environment, decodes every conformance
# vector: python/tests/test_gic_venv.py).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh

echo "== swift test" >&2
swift build --build-tests >&2
echo "== platform calls only in WeightFormat/SystemCalls.swift (docs/cross-platform.md)" >&2
bash scripts/check_platform_calls.sh
swift test

echo "== release build against the codec goldens" >&2
bash scripts/check_release_goldens.sh

if python3 -c "import PIL" >/dev/null 2>&1; then
  echo "== batches: one batch, 4 shards merged, killed and resumed agree (docs/scaling.md)" >&2
  bash scripts/check_batch.sh
else
  echo "== batch check skipped: Pillow is not installed" >&2
fi

if python3 -c "import numpy" >/dev/null 2>&1; then
  echo "== python checks" >&2
  python3 -m unittest discover -s python/tests -v
else
  echo "== python checks skipped: numpy is not installed" >&2
fi
