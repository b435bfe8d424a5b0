#!/usr/bin/env bash
# Debug/release determinism: the release binaries must reproduce the codec goldens (bitstream
# and decoded-pixel SHA-256) that the debug-build test suite also checks, for 1, 2 and 8
# threads and with the default fast kernels (AVX-512 VNNI where the CPU has it), AVX2
# (GIC_KERNELS=avx2; the portable path on CPUs without AVX2) and off (GIC_KERNELS=scalar); they
# must decode every published conformance vector in the same matrix, and regenerate the vector
# archive byte for byte.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product gic-ref >&2
bin=$(swift build -c release --show-bin-path)
python3 - "$bin/gic-ref" <<'PY'
import hashlib, json, os, subprocess, sys, tempfile
gic_ref = sys.argv[1]
root = "Tests/ReferenceCodecTests/Fixtures/codec"
vectors = json.load(open(os.path.join(root, "goldens.json")))["vectors"]
tmp = tempfile.mkdtemp()
failures = 0
for v in vectors:
    for kernels in ("auto", "avx2", "scalar"):
        env = dict(os.environ)
        env.pop("GIC_KERNELS", None)
        if kernels != "auto":
            env["GIC_KERNELS"] = kernels
        for threads in ("1", "2", "8"):
            gic = os.path.join(tmp, "x.gic")
            subprocess.run([gic_ref, "encode", os.path.join(root, v["image"]), "-m",
                            os.path.join(root, v["model"]), "-o", gic, "-q", "--threads", threads,
                            *v.get("parameters", [])],
                           check=True, env=env)
            digest = hashlib.sha256(open(gic, "rb").read()).hexdigest()
            out = json.loads(subprocess.run(
                [gic_ref, "decode", gic, "-m", os.path.join(root, v["model"]), "-o",
                 os.path.join(tmp, "x.png"), "--json", "--threads", threads],
                check=True, env=env, capture_output=True, text=True).stdout)
            ok = digest == v["bitstream_sha256"] and out["rgb_sha256"] == v["rgb_sha256"]
            failures += not ok
            print(f"{'ok ' if ok else 'MISMATCH'} {v['model']} {v['image']} {' '.join(v.get('parameters', []))} kernels={kernels} threads={threads}")
print(f"{len(vectors) * 9 - failures}/{len(vectors) * 9} release runs match the goldens")
sys.exit(1 if failures else 0)
PY

for kernels in auto avx2 scalar; do
  for threads in 1 2 8; do
    if [ "$kernels" = auto ]; then unset GIC_KERNELS; else export GIC_KERNELS=$kernels; fi
    for set in conformance conformance/gic-v2 conformance/bmshj2018-factorized conformance/mbt2018 \
      conformance/cheng2020-anchor conformance/cheng2020-attn; do
      "$bin/gic-ref" verify "$set" --threads "$threads" > /dev/null 2>&1 \
        || { echo "$set vectors fail with kernels=$kernels threads=$threads" >&2; exit 1; }
    done
    echo "conformance vectors (all six sets) all pass (kernels=$kernels, threads=$threads)"
  done
done
unset GIC_KERNELS
swift build -c release --product gic-convert >&2
python3 scripts/make_conformance.py --check
python3 scripts/make_conformance.py --set gic-v2 --check
python3 scripts/make_conformance.py --set bmshj2018-factorized --check
python3 scripts/make_conformance.py --set mbt2018 --check
python3 scripts/make_conformance.py --set cheng2020-anchor --check
python3 scripts/make_conformance.py --set cheng2020-attn --check
