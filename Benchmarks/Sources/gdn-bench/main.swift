// gdn-bench: time of the fast GDN kernel (ReferenceCodec.PackedGDN) on a decoder-sized input.
//
//   swift build -c release --package-path Benchmarks
//   Benchmarks/.build/release/gdn-bench [--height 384] [--width 256] [--channels 128]
//                                       [--threads 1] [--reps 5]
//
// For each kernel path: integer square roots alone (PackedGDN.formSquareRoots over H·W·C int32
// values, in band-sized pieces), the whole inverse GDN and GDN layers, and for scale the 1×1
// convolution C → C with fused requantization (PackedConvolution), about the norm step's share.
// The layer is random with its accumulator bound near 2^31 − 1 (input clamp ±32767). Prints one
// JSON object per line: best and median time over the repetitions, and the best in ns per
// element (H·W·C).
import ReferenceCodec

func argument(_ name: String, default value: Int) -> Int {
  let args = CommandLine.arguments
  if let i = args.firstIndex(of: name), i + 1 < args.count, let v = Int(args[i + 1]) { return v }
  return value
}

/// SplitMix64, so every run times the same data.
struct Generator: RandomNumberGenerator {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

let (h, w, c) = (
  argument("--height", default: 384), argument("--width", default: 256),
  argument("--channels", default: 128)
)
let threads = argument("--threads", default: 1)
let reps = argument("--reps", default: 5)
let elements = h * w * c
var rng = Generator(state: 2024)

// γ ≥ 0 with Σ_j γ_ij · U + β_i ≤ 2^31 − 1 for U = rshift(32767², 15) = 32766.
let t = 15
let u: Int64 = 32766
let gmax = Int16(min(32767, Int64(Int32.max) / (Int64(c) * u)))
let gamma = (0..<(c * c)).map { _ in Int16.random(in: 0...gmax, using: &rng) }
let beta = (0..<c).map { i -> Int32 in
  let sum = (0..<c).reduce(Int64(0)) { $0 + Int64(gamma[i * c + $1]) }
  return Int32.random(in: 1...Int32(Int64(Int32.max) - sum * u), using: &rng)
}
func layer(inverse: Bool) -> GDNLayer {
  GDNLayer(
    channels: c, gamma: gamma, beta: beta, squareShift: t,
    requantization: Requantization(
      channels: c, multiplier: 1 << 30, shift: inverse ? 46 : 16, lo: -32767, hi: 32767),
    inverse: inverse)
}
let input = ChannelsLastActivations(
  ActivationTensor(
    channels: c, height: h, width: w,
    values: (0..<elements).map { _ in Int16.random(in: -32767...32767, using: &rng) },
    exponent: 8))
let norms = (0..<min(128 * 1024, elements)).map { _ in
  Int32.random(in: Int32.min...Int32.max, using: &rng)
}
let conv = PackedConvolution(
  ConvolutionLayer(
    kind: .convolution, inputChannels: c, outputChannels: c, kernel: 1, stride: 1, padding: 0,
    weights: gamma, biases: beta,
    requantization: Requantization(
      channels: c, multiplier: 1 << 30, shift: 46, lo: -32767, hi: 32767)))
var sink = 0

@MainActor func time(_ name: String, _ path: KernelPath, _ body: () -> Int) {
  var seconds: [Double] = []
  for _ in 0..<reps {
    let start = ContinuousClock.now
    sink &+= body()
    let d = ContinuousClock.now - start
    seconds.append(
      Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
  }
  seconds.sort()
  let best = seconds[0]
  print(
    "{\"kernel\": \"\(name)\", \"path\": \"\(path)\", \"threads\": \(threads), "
      + "\"shape\": [\(h), \(w), \(c)], \"best_ms\": \(best * 1e3), "
      + "\"median_ms\": \(seconds[seconds.count / 2] * 1e3), "
      + "\"best_ns_per_element\": \(best * 1e9 / Double(elements))}")
}

// Release-build check: every path equals the reference on a crop of the input (24 × 24 pixels,
// several bands at small C), before anything is timed.
let crop = ChannelsLastActivations(
  channels: c, height: 24, width: 24,
  values: Array(input.values[0..<(24 * 24 * input.channelStride)]), exponent: 8)
for inverse in [true, false] {
  let expected = layer(inverse: inverse).reference(crop.activationTensor, outputExponent: 8)
  for path in KernelPath.available {
    let out = PackedGDN(layer(inverse: inverse)).run(crop, outputExponent: 8, path: path)
    guard out.activationTensor == expected else {
      fatalError("\(path): PackedGDN differs from GDNLayer.reference (inverse \(inverse))")
    }
  }
}
print("{\"verified\": \"PackedGDN == GDNLayer.reference on 24×24×\(c), every path\"}")

for path in KernelPath.available {
  // One band's worth of random norms, copied into place and rooted there (the layer's access
  // pattern: within the cache); the copy is timed alone too.
  var band = norms
  func refill() {
    band.withUnsafeMutableBufferPointer { b in
      norms.withUnsafeBufferPointer { n in _ = b.update(fromContentsOf: n) }
    }
  }
  time("copy of the norms alone", path) {
    var sum = 0
    for start in stride(from: 0, to: elements, by: norms.count) {
      refill()
      sum &+= Int(band[start % norms.count])
    }
    return sum
  }
  time("isqrt (with the copy)", path) {
    var sum = 0
    for start in stride(from: 0, to: elements, by: norms.count) {
      refill()
      PackedGDN.formSquareRoots(&band, path: path)
      sum &+= Int(band[start % norms.count])
    }
    return sum
  }
  for inverse in [true, false] {
    let packed = PackedGDN(layer(inverse: inverse))
    time(inverse ? "inverse GDN" : "GDN", path) {
      Int(packed.run(input, outputExponent: 8, threads: threads, path: path).values[elements / 3])
    }
  }
  time("1×1 conv (norm step, fused requant)", path) {
    Int(conv.run(input, outputExponent: 8, threads: threads, path: path).values[elements / 3])
  }
}
print("{\"sink\": \(sink)}")
