import ReferenceCodec
import Testing

/// A random GDN layer at the edge of its accumulator bound, and an input, for checkasm-style
/// comparisons of `PackedGDN` with `GDNLayer.reference`.
struct GDNCase: Sendable, CustomTestStringConvertible {
  var channels: Int
  var height: Int
  var width: Int
  var inverse: Bool

  var testDescription: String {
    "\(inverse ? "inverse GDN" : "GDN") C \(channels) \(height)×\(width)"
  }

  /// U = min(rshift(X², t), 32767), computed independently of the code under test.
  static func squareBound(_ x: Int64, _ t: Int) -> Int64 {
    min(IntegerMath.rshift(x * x, t), 32767)
  }

  /// A layer whose bound max_i |β_i| + Σ_j |γ_ij| · U is exactly 2^31 − 1 (every row reaches
  /// it), and an input whose values are mostly ±X, so the norms reach the bound.
  func make(seed: UInt64) -> (GDNLayer, ActivationTensor) {
    var rng = SplitMix64(seed: seed)
    let c = channels
    let limit = Int64(Int32.max)
    let x: Int64 = [32767, 32767, 4095, 1000, 255, 3, 1].randomElement(using: &rng) ?? 32767
    // Half the time shifts that keep U large (the hard case), else any shift (U may be 0).
    let t =
      Bool.random(using: &rng)
      ? Int.random(in: 12...16, using: &rng) : Int.random(in: 0...30, using: &rng)
    let u = Self.squareBound(x, t)
    let gmax: Int16 = u == 0 ? 32767 : Int16(min(32767, limit / (Int64(c) * u)))
    let gmin: Int16 = u == 0 || Int64(c) * 32768 * u <= limit ? Int16.min : -gmax
    var gamma: [Int16] = []
    var beta: [Int32] = []
    for _ in 0..<c {
      let row: [Int16]
      let positiveBeta: Bool
      switch Int.random(in: 0..<4, using: &rng) {
      case 0:
        // n = 2^31 − 1 exactly when every |x| = X: r = 46340.
        row = Array(repeating: gmax, count: c)
        positiveBeta = true
      case 1:
        row = Array(repeating: gmin, count: c)
        positiveBeta = Bool.random(using: &rng)
      default:
        row = (0..<c).map { _ in Int16.random(in: gmin...gmax, using: &rng) }
        positiveBeta = Bool.random(using: &rng)
      }
      let sum = row.reduce(Int64(0)) { $0 + abs(Int64($1)) }
      let rest = limit - sum * u
      gamma += row
      beta.append(Int32(positiveBeta ? rest : -rest))
    }
    let multipliers = (0..<c).map { _ in
      Bool.random(using: &rng)
        ? Int32.random(in: (1 << 30)...Int32.max, using: &rng)
        : Int32.random(in: 1...Int32.max, using: &rng)
    }
    let shifts = (0..<c).map { _ in
      inverse
        ? (Bool.random(using: &rng)
          ? Int.random(in: 0...62, using: &rng) : Int.random(in: 38...50, using: &rng))
        : (Bool.random(using: &rng)
          ? Int.random(in: 0...46, using: &rng) : Int.random(in: 8...24, using: &rng))
    }
    let lo = Int32.random(in: -32767...0, using: &rng)
    let layer = GDNLayer(
      channels: c, gamma: gamma, beta: beta, squareShift: t,
      requantization: Requantization(
        multipliers: multipliers, shifts: shifts, lo: lo,
        hi: Int32.random(in: 0...32767, using: &rng)),
      inverse: inverse)
    let values = (0..<(c * height * width)).map { _ -> Int16 in
      switch Int.random(in: 0..<8, using: &rng) {
      case 0, 1, 2: Int16(x)
      case 3, 4: Int16(-x)
      case 5: 0
      default: Int16.random(in: Int16(-x)...Int16(x), using: &rng)
      }
    }
    let input = ActivationTensor(
      channels: c, height: height, width: width, values: values, exponent: 8, lo: Int32(-x),
      hi: Int32(x))
    return (layer, input)
  }
}

@Suite("Fast GDN kernel (checkasm-style, bit-exact against the reference)")
struct GDNKernelTests {
  static let threadCounts = [1, 2, 8]
  static let paths = KernelPath.available + [.automatic]

  /// Every k² − 1, k², k² + 1, the ends of the int32 range and negatives (r = 0).
  static let edgeValues: [Int32] = {
    var v: [Int32] = [0, 1, 2, 3, 4, 5, -1, -2, Int32.min, Int32.min + 1, Int32.max, Int32.max - 1]
    for k in Int64(2)...46340 {
      v += [Int32(k * k - 1), Int32(k * k), Int32(k * k + 1)]
    }
    return v
  }()

  @Test("isqrt kernel equals IntegerMath.isqrt at k² − 1, k², k² + 1 and 2^20 random values")
  func isqrt() {
    var rng = SplitMix64(seed: 31)
    let random = (0..<(1 << 20)).map { _ -> Int32 in
      switch Int.random(in: 0..<4, using: &rng) {
      case 0: Int32.random(in: Int32.min...Int32.max, using: &rng)
      // Random bit lengths: small values as often as large ones.
      case 1: Int32.random(in: 0...Int32.max, using: &rng) >> Int32.random(in: 0...30, using: &rng)
      default: Int32.random(in: 0...Int32.max, using: &rng)
      }
    }
    for values in [Self.edgeValues, random] {
      let expected = values.map { Int32(IntegerMath.isqrt(max(Int64($0), 0))) }
      for path in Self.paths {
        let roots = PackedGDN.squareRoots(values, path: path)
        let mismatch = roots.indices.first { roots[$0] != expected[$0] }
        #expect(
          mismatch == nil,
          "\(path): isqrt(\(mismatch.map { values[$0] } ?? 0)) = \(mismatch.map { roots[$0] } ?? 0)"
        )
      }
    }
    #expect(
      PackedGDN.squareRoots([Int32.max, 2_147_395_600, 2_147_395_599]) == [46340, 46340, 46339])
  }

  static let cases: [GDNCase] = {
    var list: [GDNCase] = []
    // 1×1, small, and sizes spanning several bands without filling the last one.
    let sizes = [(1, 1), (2, 3), (1, 2049), (45, 47), (3, 5)]
    for c in [1, 3, 16, 17, 64] {
      for (h, w) in sizes {
        for inverse in [true, false] {
          list.append(GDNCase(channels: c, height: h, width: w, inverse: inverse))
        }
      }
    }
    return list
  }()

  @Test(
    "PackedGDN.run equals GDNLayer.reference on every path and thread count",
    arguments: cases.indices)
  func randomLayers(_ index: Int) throws {
    let c = Self.cases[index]
    let (layer, input) = c.make(seed: 500 + UInt64(index))
    let bound = layer.accumulatorBound(inputBound: input.bound)
    try #require(bound == Int64(Int32.max), "test data at the edge of the bound")
    let packed = PackedGDN(layer)
    #expect(packed.accumulatorBound(inputBound: input.bound) == bound)
    let expected = layer.reference(input, outputExponent: 3)
    let channelsLast = ChannelsLastActivations(input)
    for path in Self.paths {
      for threads in Self.threadCounts {
        let out = packed.run(channelsLast, outputExponent: 3, threads: threads, path: path)
        let got = out.activationTensor
        try #require(got.values.count == expected.values.count)
        let mismatch = expected.values.indices.first { got.values[$0] != expected.values[$0] }
        #expect(mismatch == nil, "\(path), \(threads) threads: first mismatch at \(mismatch ?? -1)")
        #expect((got.exponent, got.lo, got.hi) == (3, expected.lo, expected.hi))
        if c.channels % 2 == 1 {
          let pads = stride(from: c.channels, to: out.values.count, by: out.channelStride)
          #expect(pads.allSatisfy { out.values[$0] == 0 }, "padding channel")
        }
        // Over the input's own storage (the graph runner's last-reader case): the same tensor.
        var copy = channelsLast
        copy.values = Array(channelsLast.values)  // storage of its own, written over
        let inPlace = packed.runInPlace(copy, outputExponent: 3, threads: threads, path: path)
        #expect(inPlace == out, "\(path), \(threads) threads: in place differs")
      }
    }
  }

  @Test("norms of exactly 2^31 − 1 give r = 46340 and x · r = ±32767 · 46340")
  func boundEdge() {
    // X = 32767, t = 15: U = rshift(32767², 15) = 32766; γ = 1024 everywhere, β the rest.
    for c in [17, 64] {
      let u: Int64 = 32766
      #expect(GDNCase.squareBound(32767, 15) == u)
      let beta = Int32(Int64(Int32.max) - Int64(c) * 1024 * u)
      let values = (0..<(c * 20)).map { $0 % 3 == 0 ? Int16(-32767) : 32767 }
      let input = ActivationTensor(
        channels: c, height: 4, width: 5, values: values, exponent: 0, lo: -32767, hi: 32767)
      // Inverse: rshift(±32767 · 46340, 16) = rshift(±1518422780, 16) = ±23169 (±23169.29…).
      let inverse = GDNLayer(
        channels: c, gamma: Array(repeating: 1024, count: c * c),
        beta: Array(repeating: beta, count: c), squareShift: 15,
        requantization: Requantization(
          channels: c, multiplier: 1, shift: 16, lo: -32767, hi: 32767),
        inverse: true)
      // GDN: rdiv(±32767 · (2^31 − 1), 46340 · 2^16) = ±round(23170.24…) = ±23170.
      let forward = GDNLayer(
        channels: c, gamma: inverse.gamma, beta: inverse.beta, squareShift: 15,
        requantization: Requantization(
          channels: c, multiplier: Int32.max, shift: 16, lo: -32767, hi: 32767),
        inverse: false)
      #expect(inverse.accumulatorBound(inputBound: 32767) == Int64(Int32.max))
      let expectedInverse = values.map { $0 > 0 ? Int16(23169) : -23169 }
      let expectedForward = values.map { $0 > 0 ? Int16(23170) : -23170 }
      #expect(inverse.reference(input, outputExponent: 0).values == expectedInverse)
      #expect(forward.reference(input, outputExponent: 0).values == expectedForward)
      for path in Self.paths {
        for threads in Self.threadCounts {
          #expect(
            PackedGDN(inverse).run(input, outputExponent: 0, threads: threads, path: path).values
              == expectedInverse, "inverse, C \(c), \(path), \(threads) threads")
          #expect(
            PackedGDN(forward).run(input, outputExponent: 0, threads: threads, path: path).values
              == expectedForward, "GDN, C \(c), \(path), \(threads) threads")
        }
      }
    }
  }

  /// Two channels, three pixels x = (7, −6), (2, 1), (100, −100); t = 2, γ = [[3, 1], [2, 5]],
  /// β = (10, −4), m = (3, 5), output clamp ±100.
  ///
  ///     pixel       u = rshift(x², 2)     n                       r
  ///     (7, −6)     (12, 9)               (55, 65)                (7, 8)
  ///     (2, 1)      (1, 0)                (13, −2)                (3, 0)
  ///     (100, −100) (2500, 2500)          (10010, 17496)          (100, 132)
  static func handExampleLayer(inverse: Bool) -> (GDNLayer, ActivationTensor) {
    let layer = GDNLayer(
      channels: 2, gamma: [3, 1, 2, 5], beta: [10, -4], squareShift: 2,
      requantization: Requantization(
        multipliers: [3, 5], shifts: inverse ? [2, 3] : [0, 1], lo: -100, hi: 100),
      inverse: inverse)
    let input = ActivationTensor(
      channels: 2, height: 1, width: 3, values: [7, 2, 100, -6, 1, -100], exponent: 0, lo: -100,
      hi: 100)
    return (layer, input)
  }

  @Test("inverse GDN: a hand-computed example")
  func handInverse() {
    // out = clamp(rshift(x · r · m, s), −100, 100) with s = (2, 3):
    //   rshift(7·7·3 = 147, 2) = 37      rshift(−6·8·5 = −240, 3) = floor(−236 / 8) = −30
    //   rshift(2·3·3 = 18, 2) = 5        rshift(0, 3) = 0
    //   rshift(30000, 2) = 7500 → 100    rshift(−66000, 3) = −8250 → −100
    let (layer, input) = Self.handExampleLayer(inverse: true)
    let expected: [Int16] = [37, 5, 100, -30, 0, -100]
    #expect(layer.reference(input, outputExponent: 0).values == expected)
    for path in Self.paths {
      #expect(PackedGDN(layer).run(input, outputExponent: 0, path: path).values == expected)
    }
  }

  @Test("GDN: a hand-computed example")
  func handForward() {
    // out = clamp(rdiv(x · m, max(r, 1) · 2^s), −100, 100) with s = (0, 1):
    //   rdiv(21, 7) = 3                  rdiv(−30, 16) = −round(1.875) = −2
    //   rdiv(6, 3) = 2                   rdiv(5, max(0, 1) · 2) = round(2.5) = 3 (half away)
    //   rdiv(300, 100) = 3               rdiv(−500, 264) = −round(1.89…) = −2
    let (layer, input) = Self.handExampleLayer(inverse: false)
    let expected: [Int16] = [3, 2, 3, -2, 3, -2]
    #expect(layer.reference(input, outputExponent: 0).values == expected)
    for path in Self.paths {
      #expect(PackedGDN(layer).run(input, outputExponent: 0, path: path).values == expected)
    }
  }

  @Test("u saturates at 32767: x = 200, t = 0 gives u = 32767, not 40000")
  func squareSaturates() {
    // C = 1, γ = 1, β = 0: x = 200 → u = 32767 → r = 181 → rshift(36200, 8) = 141;
    // x = −181 → u = 32761 → r = 181 → rshift(−32761, 8) = floor(−32633 / 256) = −128.
    let layer = GDNLayer(
      channels: 1, gamma: [1], beta: [0], squareShift: 0,
      requantization: Requantization(channels: 1, multiplier: 1, shift: 8, lo: -32767, hi: 32767),
      inverse: true)
    let input = ActivationTensor(
      channels: 1, height: 1, width: 2, values: [200, -181], exponent: 0, lo: -200, hi: 200)
    #expect(layer.accumulatorBound(inputBound: 200) == 32767)
    #expect(layer.reference(input, outputExponent: 0).values == [141, -128])
    for path in Self.paths {
      #expect(PackedGDN(layer).run(input, outputExponent: 0, path: path).values == [141, -128])
    }
  }

  // Exit tests (`processExitsWith:`) are Swift Testing 6.2; a Swift 6.0 or 6.1 toolchain
  // builds the suite without this one.
  #if compiler(>=6.2)
  @Test("an input range that breaks the bound is refused, not computed wrongly")
  func refusesUnbounded() async {
    await #expect(processExitsWith: .failure) {
      // U = min(32767², 32767) = 32767, and 3 · 32767 · 32767 > 2^31 − 1.
      let layer = GDNLayer(
        channels: 3, gamma: [32767, 32767, 32767, 0, 0, 0, 0, 0, 0], beta: [0, 0, 0],
        squareShift: 0,
        requantization: Requantization(channels: 3, multiplier: 1, shift: 0, lo: -1, hi: 1),
        inverse: true)
      let input = ActivationTensor(
        channels: 3, height: 1, width: 1, values: [1, 1, 1], exponent: 0, lo: -32767, hi: 32767)
      _ = PackedGDN(layer).run(input, outputExponent: 0)
    }
  }
  #endif
}
