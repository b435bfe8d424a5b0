import Foundation

/// The generative rate-variable model `gic-v1` (python/gicv1/model.py): an mbt2018-mean-shaped
/// hyperprior codec, a rate schedule of quantization steps, and the reverse network `reverse`,
/// a small U-Net on latents conditioned on the step q through FiLM layers.
///
/// The conditioning MLP (t = ln q → Linear(1, 64), SiLU, Linear(64, 64), SiLU → per FiLM layer
/// Linear(64, 2W) → γ, β) is evaluated here, in float64, once per level: the integer graph only
/// looks up per-level scale 1 + γ and bias β (`conditioned_affine`).
struct GICv1Architecture: Sendable {
  static let rateLevels = 256
  static let maxSteps = 4

  let base: HyperpriorArchitecture
  let qMax: Double
  let qMin: Double
  let extraLevels: Int
  /// α[n − 1][i], the sampler's noise strengths.
  let alpha: [[Double]]
  let reverse: FloatNetwork
  let width: Int

  /// Whether a state dict is a gic-v1 export (its keys).
  static func detect(shapes: [String: [Int]]) -> Bool {
    ["reverse.conv_in.weight", "reverse.film0.weight", "rate.q_max", "rate.q_min"].allSatisfy {
      shapes[$0] != nil
    } && HyperpriorArchitecture.detect(shapes: shapes) == .mbt2018Mean
  }

  /// ln(q_max / q_min) / (levels − 1): the step between levels in ln q.
  var delta: Double { log(qMax / qMin) / Double(Self.rateLevels - 1) }

  /// q(ℓ) = q_max · exp(−Δ·ℓ).
  func q(_ level: Int) -> Double { qMax * exp(-delta * Double(level)) }

  /// The export's `sampler.level_offsets` (row n − 1), if it has them.
  let storedOffsets: [[Int]]?

  /// d[n][i], i < n: the export's table, else round(ln(n / (n − i)) / Δ) (half away from zero).
  func offsets(steps n: Int) -> [Int] {
    if let storedOffsets { return Array(storedOffsets[n - 1][0..<n]) }
    return (0..<n).map { i in Int((log(Double(n) / Double(n - i)) / delta).rounded()) }
  }

  init(arrays: [String: NumPyArray]) throws {
    let dict = StateDict(arrays: arrays, profile: "gic-v1")
    let fail = dict.fail
    func floats(_ name: String, shape: [Int]? = nil) throws -> [Double] {
      try dict.floats(name, shape: shape)
    }
    base = try HyperpriorArchitecture(kind: .mbt2018Mean, arrays: arrays)
    let m = base.m
    qMax = try floats("rate.q_max", shape: [1])[0]
    qMin = try floats("rate.q_min", shape: [1])[0]
    guard qMin > 0, qMax > qMin, qMax <= 1024 else {
      throw fail("rate.q_max \(qMax) and rate.q_min \(qMin) must satisfy 0 < q_min < q_max ≤ 1024")
    }
    if let extra = arrays["sampler.extra_levels"] {
      guard extra.dtype == .int32 || extra.dtype == .int64,
        let v = try? CompressAITables.integers("sampler.extra_levels", in: arrays).values.first,
        (0...1024).contains(v)
      else { throw fail("sampler.extra_levels must be one integer in 0…1024") }
      extraLevels = Int(v)
    } else {
      extraLevels = 128
    }
    if arrays["sampler.level_offsets"] != nil {
      let v: [Int64]
      do { v = try CompressAITables.integers("sampler.level_offsets", in: arrays).values } catch {
        throw fail(error.description)
      }
      guard v.count == Self.maxSteps * Self.maxSteps else {
        throw fail("sampler.level_offsets must be (4, 4)")
      }
      storedOffsets = (0..<Self.maxSteps).map { n in
        (0..<Self.maxSteps).map { Int(v[n * Self.maxSteps + $0]) }
      }
    } else {
      storedOffsets = nil
    }
    let a = try floats("sampler.alpha", shape: [Self.maxSteps, Self.maxSteps])
    alpha = (0..<Self.maxSteps).map { n in (0..<Self.maxSteps).map { a[n * Self.maxSteps + $0] } }
    guard a.allSatisfy({ (0...1).contains($0) }) else { throw fail("sampler.alpha outside 0…1") }

    let inShape = arrays["reverse.conv_in.weight"]?.shape ?? []
    guard inShape.count == 4, inShape[1] == m, inShape[2] == 3 else {
      throw fail("reverse.conv_in.weight must be (W, M, 3, 3)")
    }
    let w = inShape[0]
    width = w
    func conv(
      _ prefix: String, input: String, output: String? = nil, cin: Int, cout: Int, stride: Int = 1,
      relu: Bool = false
    ) throws -> FloatNetwork.Layer {
      let weight = try floats(prefix + ".weight", shape: [cout, cin, 3, 3])
      let bias = try floats(prefix + ".bias", shape: [cout])
      return FloatNetwork.Layer(
        kind: .convolution(
          weight: weight.map { Float($0) }, bias: bias.map { Float($0) }, inChannels: cin,
          outChannels: cout, kernel: 3, stride: stride, padding: 1, transposed: false,
          outputPadding: 0),
        relu: relu, input: input, output: output ?? prefix, prefix: prefix)
    }
    // The conditioning MLP, per level.
    let w1 = try floats("reverse.cond.0.weight", shape: [64, 1])
    let b1 = try floats("reverse.cond.0.bias", shape: [64])
    let w2 = try floats("reverse.cond.2.weight", shape: [64, 64])
    let b2 = try floats("reverse.cond.2.bias", shape: [64])
    func silu(_ x: Double) -> Double { x / (1 + exp(-x)) }
    let qMaxV = qMax
    let deltaV = log(qMax / qMin) / Double(Self.rateLevels - 1)
    let levels = Self.rateLevels + extraLevels
    let embeddings: [[Double]] = (0..<levels).map { level in
      let t = log(qMaxV) - deltaV * Double(level)
      let e1 = (0..<64).map { silu(w1[$0] * t + b1[$0]) }
      var e2 = [Double](repeating: 0, count: 64)
      for i in 0..<64 {
        var sum = b2[i]
        for j in 0..<64 { sum += w2[i * 64 + j] * e1[j] }
        e2[i] = silu(sum)
      }
      return e2
    }
    func film(_ k: Int, input: String) throws -> FloatNetwork.Layer {
      let prefix = "reverse.film\(k)"
      let fw = try floats(prefix + ".weight", shape: [2 * w, 64])
      let fb = try floats(prefix + ".bias", shape: [2 * w])
      var scale: [[Double]] = []
      var bias: [[Double]] = []
      for e in embeddings {
        var out = [Double](repeating: 0, count: 2 * w)
        for o in 0..<(2 * w) {
          var sum = fb[o]
          for j in 0..<64 { sum += fw[o * 64 + j] * e[j] }
          out[o] = sum
        }
        scale.append(out[0..<w].map { 1 + $0 })
        bias.append(Array(out[w...]))
      }
      return FloatNetwork.Layer(
        kind: .film(scale: scale, bias: bias), input: input, output: prefix, prefix: prefix)
    }
    reverse = FloatNetwork(
      name: "reverse", input: "x", inputChannels: m,
      layers: [
        try conv("reverse.conv_in", input: "x", cin: m, cout: w, relu: true),
        try film(0, input: "reverse.conv_in"),
        try conv(
          "reverse.conv_down", input: "reverse.film0", cin: w, cout: w, stride: 2, relu: true),
        try conv("reverse.conv_mid", input: "reverse.conv_down", cin: w, cout: w, relu: true),
        try film(1, input: "reverse.conv_mid"),
        try conv("reverse.conv_up", input: "reverse.film1", cin: w, cout: 4 * w),
        FloatNetwork.Layer(
          kind: .pixelShuffle(factor: 2), input: "reverse.conv_up", output: "reverse.shuffle",
          prefix: "reverse.shuffle"),
        FloatNetwork.Layer(
          kind: .add(other: "reverse.film0"), relu: true, input: "reverse.shuffle",
          output: "reverse.skip", prefix: "reverse.skip"),
        try film(2, input: "reverse.skip"),
        try conv("reverse.conv_out", input: "reverse.film2", cin: w, cout: m),
        FloatNetwork.Layer(
          kind: .add(other: "x"), input: "reverse.conv_out", output: "x_hat",
          prefix: "reverse.residual"),
      ], outputs: ["x_hat"])
  }
}
