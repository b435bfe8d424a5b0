#!/usr/bin/env bash
# The C kernels' bit-exactness on both architectures, in seconds (docs/cross-platform.md):
# Tests/CKernelsHarness/harness.c with Sources/CKernels, built natively (x86-64: portable vs AVX2
# vs AVX-512 VNNI, also with GIC_KERNELS=avx2) and cross-compiled for aarch64 (portable vs NEON)
# with aarch64-linux-gnu-gcc and, where it can target aarch64, clang (the compiler SwiftPM uses),
# linked -static and run under qemu-aarch64.
# Each binary also runs with GIC_KERNELS=portable. Installs gcc-aarch64-linux-gnu and
# qemu-user-static through apt when missing; if they cannot be installed the aarch64 part is
# skipped with a message (exit 0). Exits non-zero on any mismatch; the harness names the kernel,
# the path, the shape and the first differing index.
#
# Usage: scripts/check_kernels_aarch64.sh [scale]   (scale multiplies the random cases; default 1)
set -euo pipefail
cd "$(dirname "$0")/.."
scale="${1:-1}"
start=$(date +%s.%N)

sources=(Sources/CKernels/*.c Sources/CKernels/*/*.c Tests/CKernelsHarness/harness.c)
flags=(-O2 -std=gnu11 -Wall -Wextra -Wno-unknown-pragmas -ISources/CKernels/include)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }'; }

# Runs one harness binary with the default dispatch and with GIC_KERNELS=portable.
run_harness() {
  local label=$1
  shift
  local t
  t=$(date +%s.%N)
  echo "-- $label" >&2
  "$@" "$scale" >&2 || { echo "check_kernels: $label: the kernel paths differ" >&2; exit 1; }
  GIC_KERNELS=portable "$@" "$scale" >/dev/null \
    || { echo "check_kernels: $label with GIC_KERNELS=portable: mismatch" >&2; exit 1; }
  echo "-- $label: ok ($(elapsed "$t"), both runs)" >&2
}

# 1. Native (x86-64: portable vs AVX2; any other host: its own paths).
native_cc=cc
if command -v clang >/dev/null 2>&1; then native_cc=clang; fi
"$native_cc" "${flags[@]}" "${sources[@]}" -o "$work/harness-native"
run_harness "native $(uname -m) ($native_cc)" "$work/harness-native"
# GIC_KERNELS=avx2 forces AVX2 where AVX-512 VNNI would be the default (the harness checks it).
GIC_KERNELS=avx2 "$work/harness-native" "$scale" >/dev/null \
  || { echo "check_kernels: native with GIC_KERNELS=avx2: mismatch" >&2; exit 1; }

# 2. aarch64 under user-mode emulation.
qemu=""
find_tools() {
  qemu=$(command -v qemu-aarch64-static || command -v qemu-aarch64 || true)
  command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 && [ -n "$qemu" ] \
    && [ -e /usr/aarch64-linux-gnu/lib/libc.a ]
}
if ! find_tools; then
  pkgs=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static)
  echo "check_kernels: installing ${pkgs[*]}" >&2
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo -n"; fi
  export DEBIAN_FRONTEND=noninteractive
  { $sudo apt-get install -y --no-install-recommends "${pkgs[@]}" >/dev/null 2>&1 \
    || { $sudo apt-get update >/dev/null 2>&1 \
      && $sudo apt-get install -y --no-install-recommends "${pkgs[@]}" >/dev/null 2>&1; }; } || true
  if ! find_tools; then
    echo "check_kernels: SKIPPED the aarch64 (NEON) check: apt could not install" \
      "gcc-aarch64-linux-gnu, libc6-dev-arm64-cross and qemu-user-static" >&2
    echo "check_kernels: native check passed ($(elapsed "$start"))" >&2
    exit 0
  fi
fi

aarch64-linux-gnu-gcc "${flags[@]}" -static "${sources[@]}" -o "$work/harness-aarch64-gcc"
run_harness "aarch64 (aarch64-linux-gnu-gcc, $(basename "$qemu"))" "$qemu" "$work/harness-aarch64-gcc"

if command -v clang >/dev/null 2>&1 \
  && clang --target=aarch64-linux-gnu "${flags[@]}" -static "${sources[@]}" \
    -o "$work/harness-aarch64-clang" 2>"$work/clang.log"; then
  run_harness "aarch64 (clang, $(basename "$qemu"))" "$qemu" "$work/harness-aarch64-clang"
else
  echo "-- aarch64 (clang): skipped, clang cannot build for aarch64 here" >&2
fi

echo "check_kernels: all kernel paths bit-exact on $(uname -m) and aarch64 ($(elapsed "$start"))" >&2
