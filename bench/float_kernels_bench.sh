#!/usr/bin/env bash
# Single-thread throughput of the float32 calibration kernels (Sources/Converters/Calibration).
#
#     bench/float_kernels_bench.sh [threads]
#
# Compiles the Calibration sources with a small driver, optimised and whole-module as SwiftPM's
# release build does, into a temporary directory, and prints the best of 3 runs of
#   conv2d 128→128, k5 s2 p2, on a 128×128×128 input (64×64 output);
#   convTranspose2d 128→128, k5 s2 p2 op1, on a 64×64×128 input (128×128 output);
#   GDN, 128 channels, 128×128;
# in GFLOP/s (2 FLOP per multiply-add).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/main.swift" <<'SWIFT'
import Foundation

var state: UInt64 = 1
func random(_ n: Int) -> [Float] {
  (0..<n).map { _ in
    state &+= 0x9E37_79B9_7F4A_7C15
    return Float(state >> 40) / Float(1 << 24) * 2 - 1
  }
}
func best(_ f: () -> FloatTensor) -> Double {
  var t = Double.infinity
  for _ in 0..<3 {
    let start = DispatchTime.now().uptimeNanoseconds
    let y = f()
    t = min(t, Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
    precondition(y.values.count > 0)
  }
  return t
}
func report(_ name: String, _ flop: Double, _ seconds: Double) {
  print(String(format: "%@: %.1f ms, %.2f GFLOP/s", name, seconds * 1e3, flop / seconds / 1e9))
}
let threads = Int(CommandLine.arguments.dropFirst().first ?? "1") ?? 1
let w = random(128 * 128 * 25)
let b = random(128)
let macs = 64.0 * 64 * 128 * 128 * 25
let x = FloatTensor(channels: 128, height: 128, width: 128, values: random(128 * 128 * 128))
report("conv2d 128→128 k5 s2 p2, 128×128 in (threads \(threads))", 2 * macs, best {
  FloatKernels.conv2d(
    x, weight: w, bias: b, outChannels: 128, kernel: 5, stride: 2, padding: 2, threads: threads)
})
let x2 = FloatTensor(channels: 128, height: 64, width: 64, values: random(128 * 64 * 64))
report("convTranspose2d 128→128 k5 s2 p2 op1, 64×64 in (threads \(threads))", 2 * macs, best {
  FloatKernels.convTranspose2d(
    x2, weight: w, bias: b, outChannels: 128, kernel: 5, stride: 2, padding: 2, outputPadding: 1,
    threads: threads)
})
let gamma = random(128 * 128).map { $0.magnitude * 0.01 }
let beta = [Float](repeating: 1, count: 128)
report("gdn 128 channels, 128×128 (threads \(threads))", 2 * 128.0 * 128 * 128 * 128, best {
  FloatKernels.gdn(x, beta: beta, gamma: gamma, inverse: false, threads: threads)
})
SWIFT
swiftc -O -wmo -module-name FloatKernelsBench "$root"/Sources/Converters/Calibration/*.swift \
  "$tmp/main.swift" -o "$tmp/bench"
"$tmp/bench" "${1:-1}"
