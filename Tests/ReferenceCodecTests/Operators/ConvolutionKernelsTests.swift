import ReferenceCodec
import Testing

@Suite("Fast convolution kernels (checkasm-style, bit-exact against the reference)")
struct ConvolutionKernelsTests {
  static let threadCounts = [1, 2, 8]

  static let convolutions: [KernelCase] = [
    .conv(1, 1, k: 1, s: 1, p: 0, 1, 1),
    .conv(1, 1, k: 3, s: 1, p: 1, 1, 1),
    .conv(1, 3, k: 5, s: 2, p: 2, 1, 1),
    .conv(3, 3, k: 3, s: 1, p: 1, 2, 2),
    .conv(3, 17, k: 5, s: 2, p: 2, 9, 7),
    .conv(3, 64, k: 5, s: 2, p: 2, 40, 33),
    .conv(5, 3, k: 5, s: 1, p: 2, 2, 31),
    .conv(7, 64, k: 1, s: 1, p: 0, 5, 33),
    .conv(17, 1, k: 3, s: 2, p: 1, 31, 3),
    .conv(64, 64, k: 3, s: 1, p: 1, 13, 11),
    .conv(64, 64, k: 5, s: 2, p: 2, 40, 9),
    .conv(64, 17, k: 5, s: 1, p: 2, 6, 40),
    .conv(64, 3, k: 5, s: 2, p: 2, 17, 23),
    .conv(2, 16, k: 5, s: 2, p: 0, 12, 13),
    .conv(1, 3, k: 3, s: 2, p: 2, 5, 6),
    .conv(4, 8, k: 5, s: 1, p: 4, 3, 3),
    .conv(9, 5, k: 1, s: 2, p: 0, 7, 8),
    .conv(33, 20, k: 3, s: 1, p: 0, 10, 19),
  ]

  static let transposed: [KernelCase] = [
    .deconv(1, 1, 1, 1),
    .deconv(1, 17, 2, 2),
    .deconv(3, 17, 5, 4),
    .deconv(17, 3, 20, 2),
    .deconv(64, 64, 7, 9),
    .deconv(64, 1, 3, 40),
    .deconv(5, 64, 20, 20),
    .deconv(64, 3, 11, 6),
    // Transposed convolutions other than CompressAI's: other kernels, strides and paddings,
    // including phases without taps (bias only).
    .deconv(8, 5, k: 3, s: 2, p: 1, op: 1, 6, 7),
    .deconv(5, 7, k: 4, s: 2, p: 1, op: 0, 5, 5),
    .deconv(6, 6, k: 3, s: 1, p: 1, op: 0, 4, 5),
    .deconv(3, 4, k: 5, s: 3, p: 1, op: 2, 4, 3),
    .deconv(4, 5, k: 1, s: 2, p: 0, op: 1, 3, 3),
    .deconv(3, 18, k: 2, s: 3, p: 0, op: 0, 4, 6),
    .deconv(2, 3, k: 5, s: 2, p: 0, op: 0, 3, 4),
    // Outputs smaller than the stride: phases without any output pixel.
    .deconv(2, 3, k: 1, s: 3, p: 0, op: 0, 1, 1),
    .deconv(4, 5, k: 2, s: 3, p: 0, op: 0, 1, 2),
    .deconv(3, 2, k: 3, s: 2, p: 1, op: 0, 1, 3),
  ]

  /// Every available path and thread count returns the reference accumulators exactly, and
  /// `run` the reference output.
  func check(_ c: KernelCase, seed: UInt64) throws {
    let (layer, input) = c.make(seed: seed)
    let bound = layer.accumulatorBound(inputBound: input.bound)
    try #require(bound <= Int64(Int32.max), "test data within the §3 bound")
    let packed = PackedConvolution(layer)
    #expect(packed.accumulatorBound(inputBound: input.bound) == bound)
    let expected = layer.referenceAccumulators(input)
    let expectedOutput = layer.reference(input, outputExponent: 5)
    for path in KernelPath.available + [.automatic] {
      for threads in Self.threadCounts {
        let acc = packed.accumulators(input, threads: threads, path: path)
        #expect(acc.count == expected.count)
        let mismatch = acc.indices.first { Int64(acc[$0]) != expected[$0] }
        #expect(mismatch == nil, "\(path), \(threads) threads: first mismatch at \(mismatch ?? -1)")
        // run() requantizes inside the kernel (fused); channels last, the padding channel of
        // an odd channel count must stay 0.
        let fused = packed.run(
          ChannelsLastActivations(input), outputExponent: 5, threads: threads, path: path)
        #expect(fused.activationTensor == expectedOutput, "\(path), \(threads) threads: output")
        if c.outputChannels % 2 == 1 {
          let pads = stride(from: c.outputChannels, to: fused.values.count, by: fused.channelStride)
          #expect(pads.allSatisfy { fused.values[$0] == 0 }, "padding channel")
        }
      }
    }
  }

  @Test("convolution: fast accumulators equal the reference", arguments: convolutions.indices)
  func convolution(_ index: Int) throws {
    try check(Self.convolutions[index], seed: 1000 + UInt64(index))
  }

  @Test(
    "transposed convolution: fast accumulators equal the reference", arguments: transposed.indices)
  func transposedConvolution(_ index: Int) throws {
    try check(Self.transposed[index], seed: 2000 + UInt64(index))
  }

  /// Random shapes: every kernel size, stride, padding and small size mixed.
  static let sweep: [KernelCase] = {
    var rng = SplitMix64(seed: 4242)
    let channels = [1, 2, 3, 5, 8, 15, 16, 17, 31, 33, 64]
    return (0..<48).map { n in
      let cin = channels.randomElement(using: &rng) ?? 1
      let cout = channels.randomElement(using: &rng) ?? 1
      let (h, w) = (Int.random(in: 1...24, using: &rng), Int.random(in: 1...24, using: &rng))
      if n % 3 == 2 {
        let k = Int.random(in: 1...5, using: &rng)
        let s = Int.random(in: 1...3, using: &rng)
        return .deconv(
          cin, cout, k: k, s: s, p: Int.random(in: 0...(k - 1) / 2, using: &rng),
          op: Int.random(in: 0..<s, using: &rng), h, w)
      }
      let k = [1, 3, 5].randomElement(using: &rng) ?? 1
      return .conv(
        cin, cout, k: k, s: Int.random(in: 1...2, using: &rng),
        p: Int.random(in: 0...k, using: &rng), max(h, k), max(w, k))
    }
  }()

  @Test("random shapes: fast accumulators equal the reference", arguments: sweep.indices)
  func randomShapes(_ index: Int) throws {
    try check(Self.sweep[index], seed: 3000 + UInt64(index))
  }

  @Test("accumulators at ±(2^31 − 1), the edge of the §3 bound, are exact")
  func boundEdge() throws {
    let (cin, cout, k) = (64, 20, 5)
    let x: Int16 = 32767
    for transposed in [false, true] {
      // Transposed: weights only at even (u, v), the 3×3 taps of output phase (0, 0), so that
      // phase reaches the whole bound (other phases see fewer taps).
      let w: Int16 = transposed ? 113 : 40
      let weights = (0..<(cin * cout * k * k)).map { index -> Int16 in
        let (u, v) = (index / k % k, index % k)
        return transposed && (u % 2 == 1 || v % 2 == 1) ? 0 : w
      }
      let taps = Int64(cin * (transposed ? 9 : k * k))
      let headroom = Int64(Int32.max) - taps * Int64(w) * Int64(x)
      for sign: Int16 in [1, -1] {
        let layer = ConvolutionLayer(
          kind: transposed ? .transposed(outputPadding: 1) : .convolution, inputChannels: cin,
          outputChannels: cout, kernel: k, stride: transposed ? 2 : 1, padding: 2,
          weights: weights, biases: Array(repeating: Int32(Int64(sign) * headroom), count: cout),
          requantization: Requantization(
            channels: cout, multiplier: Int32.max, shift: 62, lo: -32767, hi: 32767))
        #expect(layer.accumulatorBound(inputBound: 32767) == Int64(Int32.max))
        let input = ActivationTensor(
          channels: cin, height: 9, width: 8,
          values: Array(repeating: sign * x, count: cin * 72), exponent: 0)
        let expected = layer.referenceAccumulators(input)
        #expect(expected.contains(Int64(sign) * Int64(Int32.max)))
        let packed = PackedConvolution(layer)
        for path in KernelPath.available {
          for threads in Self.threadCounts {
            #expect(
              packed.accumulators(input, threads: threads, path: path).map(Int64.init) == expected,
              "transposed \(transposed), sign \(sign), \(path), \(threads) threads")
          }
        }
      }
    }
  }

  // Exit tests (`processExitsWith:`) are Swift Testing 6.2; a Swift 6.0 or 6.1 toolchain
  // builds the suite without this one.
  #if compiler(>=6.2)
  @Test("an input range that breaks the §3 bound is refused, not computed wrongly")
  func refusesUnbounded() async {
    await #expect(processExitsWith: .failure) {
      let layer = ConvolutionLayer(
        kind: .convolution, inputChannels: 3, outputChannels: 1, kernel: 1, stride: 1, padding: 0,
        weights: [32767, 32767, 32767], biases: [0],
        requantization: Requantization(channels: 1, multiplier: 1, shift: 0, lo: -1, hi: 1))
      let input = ActivationTensor(
        channels: 3, height: 1, width: 1, values: [1, 1, 1], exponent: 0, lo: -32767, hi: 32767)
      _ = PackedConvolution(layer).accumulators(input)
    }
  }
  #endif
}
