import Foundation
import NumPyIO
import ReferenceCodec
import Testing
import WeightFormat

@Suite("Integer operators (spec/integer-ops.md)")
struct IntegerOpsTests {
  @Test("rshift rounds half up; requant matches the exact formula and clamps")
  func requant() {
    #expect(IntegerMath.rshift(5, 1) == 3)
    #expect(IntegerMath.rshift(-5, 1) == -2)
    #expect(IntegerMath.rshift(-6, 2) == -1)
    #expect(IntegerMath.rshift(7, 0) == 7)
    var rng = SplitMix64(seed: 9)
    for _ in 0..<20_000 {
      let a = Int64.random(in: -(1 << 31)...(1 << 31), using: &rng)
      let m = Int32.random(in: 1...Int32.max, using: &rng)
      let s = Int.random(in: 0...62, using: &rng)
      // With |a| ≤ 2^31 and m < 2^31 the product fits 63 bits: compare with plain Int64 maths.
      let direct = IntegerMath.rshift(a * Int64(m), s)
      let expected = Int32(min(max(direct, -32767), 32767))
      #expect(IntegerMath.requant(a, m, s, -32767, 32767) == expected)
    }
    // Products beyond 64 bits: 2^46 · (2^31 − 1) >> 62 = 2^15 − 2^−16 → rounds to 32768, clamps.
    #expect(IntegerMath.requant(1 << 46, Int32.max, 62, -40_000, 40_000) == 32_768)
    #expect(IntegerMath.requant(-(1 << 46), Int32.max, 62, -40_000, 40_000) == -32_768)
    #expect(IntegerMath.requant(1 << 46, Int32.max, 40, -32767, 32767) == 32767)
  }

  @Test("isqrt is the floor square root; rdiv rounds half away from zero")
  func isqrtAndRdiv() {
    var rng = SplitMix64(seed: 10)
    var samples: [Int64] = [0, 1, 2, 3, 4, 15, 16, 17, (1 << 62) - 1]
    for _ in 0..<20_000 { samples.append(Int64.random(in: 0..<(1 << 62), using: &rng)) }
    for n in samples {
      let r = IntegerMath.isqrt(n)
      #expect(r * r <= n && (r + 1) * (r + 1) > n, "isqrt(\(n)) = \(r)")
    }
    #expect(IntegerMath.rdiv(5, 2) == 3)
    #expect(IntegerMath.rdiv(-5, 2) == -3)
    #expect(IntegerMath.rdiv(4, 3) == 1)
    #expect(IntegerMath.rdiv(-7, 7) == -1)
  }

  static func fixture() throws -> [String: NumPyArray] {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("Fixtures/graph/conv.npz")
    return try NPZReader(Data(contentsOf: url)).readAll()
  }

  static func ints<T: FixedWidthInteger>(_ a: NumPyArray, as: T.Type) -> [T] {
    a.data.withUnsafeBytes { raw in
      (0..<(a.data.count / MemoryLayout<T>.size)).map {
        T(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self))
      }
    }
  }

  @Test("convolution and CompressAI's deconv accumulate exactly as PyTorch computes them")
  func matchesPyTorch() throws {
    let f = try Self.fixture()
    let x = try #require(f["x"])
    let input = ActivationTensor(
      channels: x.shape[0], height: x.shape[1], width: x.shape[2],
      values: Self.ints(x, as: Int16.self), exponent: 0)
    for (kind, prefix, kernel, stride, padding, bias) in [
      (ConvolutionLayer.Kind.convolution, "conv", 5, 2, 2, true),
      (.transposed(outputPadding: 1), "deconv", 5, 2, 2, true),
      (.convolution, "conv3", 3, 1, 1, false),
    ] {
      let w = try #require(f[prefix + "_weight"])
      let expected = try #require(f[prefix + "_out"])
      let outputs = { if case .convolution = kind { w.shape[0] } else { w.shape[1] } }()
      let layer = ConvolutionLayer(
        kind: kind, inputChannels: x.shape[0], outputChannels: outputs, kernel: kernel,
        stride: stride, padding: padding, weights: Self.ints(w, as: Int16.self),
        biases: bias
          ? Self.ints(try #require(f[prefix + "_bias"]), as: Int32.self)
          : Array(repeating: 0, count: outputs),
        requantization: Requantization(
          channels: outputs, multiplier: 1, shift: 0, lo: -32767, hi: 32767))
      let size = layer.outputSize(height: input.height, width: input.width)
      #expect([outputs, size.height, size.width] == expected.shape, "\(prefix)")
      #expect(
        layer.referenceAccumulators(input) == Self.ints(expected, as: Int64.self), "\(prefix)")
    }
  }

  @Test("the accumulator bound covers every accumulator of random inputs within the clamp range")
  func accumulatorBound() {
    var rng = SplitMix64(seed: 12)
    let layer = ConvolutionLayer(
      kind: .transposed(outputPadding: 1), inputChannels: 4, outputChannels: 3, kernel: 5,
      stride: 2,
      padding: 2, weights: (0..<300).map { _ in Int16.random(in: -2000...2000, using: &rng) },
      biases: [5, -7, 100],
      requantization: Requantization(channels: 3, multiplier: 1 << 30, shift: 40, lo: -100, hi: 100)
    )
    let bound = layer.accumulatorBound(inputBound: 2047)
    for _ in 0..<20 {
      let input = ActivationTensor(
        channels: 4, height: 5, width: 6,
        values: (0..<120).map { _ in Int16.random(in: -2047...2047, using: &rng) }, exponent: 8,
        lo: -2047, hi: 2047)
      #expect(layer.referenceAccumulators(input).allSatisfy { abs($0) <= bound })
      let out = layer.reference(input, outputExponent: 4)
      #expect(out.values.allSatisfy { $0 >= -100 && $0 <= 100 })
    }
  }

  @Test("integer GDN and inverse GDN follow their float definitions closely")
  func gdn() {
    // x in units of 2^-8; γ in units of 2^-12. u = x² >> 6 is in units of 2^-10, γ·u and β in
    // units of 2^-22 (|x| ≤ 800 keeps u ≤ 10000, below the saturation at 32767).
    let c = 4
    var rng = SplitMix64(seed: 13)
    let gammaReal = (0..<(c * c)).map { _ in Double.random(in: 0...0.5, using: &rng) }
    let betaReal = (0..<c).map { _ in Double.random(in: 0.5...1.5, using: &rng) }
    let gamma = gammaReal.map { Int16(($0 * 4096).rounded()) }
    let beta = betaReal.map { Int32(($0 * 4_194_304).rounded()) }
    let xs = (0..<(c * 6)).map { _ in Int16.random(in: -800...800, using: &rng) }
    let input = ActivationTensor(
      channels: c, height: 2, width: 3, values: xs, exponent: 8, lo: -800, hi: 800)
    // n is in units of 2^-22, so r = isqrt(n) is √norm in units of 2^-11.
    // Inverse: x · r is in units of 2^-19, back to 2^-8 with m = 1, s = 11.
    let igdn = GDNLayer(
      channels: c, gamma: gamma, beta: beta, squareShift: 6,
      requantization: Requantization(channels: c, multiplier: 1, shift: 11, lo: -32767, hi: 32767),
      inverse: true)
    // GDN: x / √norm = (x_q · 2^-8) / (r · 2^-11), or x_q · 2^11 / r in units of 2^-8:
    // m = 2^11, s = 0.
    let gdnLayer = GDNLayer(
      channels: c, gamma: gamma, beta: beta, squareShift: 6,
      requantization: Requantization(
        channels: c, multiplier: 2048, shift: 0, lo: -32767, hi: 32767),
      inverse: false)
    #expect(igdn.accumulatorBound(inputBound: 800) <= Int64(Int32.max))
    let inv = igdn.reference(input, outputExponent: 8)
    let fwd = gdnLayer.reference(input, outputExponent: 8)
    for p in 0..<6 {
      for i in 0..<c {
        var norm = betaReal[i]
        for j in 0..<c {
          let xj = Double(xs[j * 6 + p]) / 256
          norm += gammaReal[i * c + j] * xj * xj
        }
        let x = Double(xs[i * 6 + p]) / 256
        #expect(abs(Double(inv.values[i * 6 + p]) / 256 - x * norm.squareRoot()) < 0.02)
        #expect(abs(Double(fwd.values[i * 6 + p]) / 256 - x / norm.squareRoot()) < 0.02)
      }
    }
  }
}
