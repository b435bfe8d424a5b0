import ReferenceCodec
import Testing
import WeightFormat

/// Hand-picked edge cases of the fast paths of `add`, `leaky_relu` and `pixel_shuffle`
/// (spec/integer-ops.md §6): extreme values (±32767), shifts 0 and large (on both sides of the
/// 32-bit split at 17 and of the vanishing term at 47), odd channel counts (the padding channel
/// stays 0), 1 × 1 and wide tensors, tensors large enough to be split over threads, and the
/// in-place run of a node that is its input's last reader; on 1, 2 and 8 threads.
///
/// Each runs through a stored graph and is compared with the §6 formula written out here, value
/// by value and padding included. The random cases against each operator's kept reference are
/// in `OperatorTableTests`.
@Suite("add, leaky_relu and pixel_shuffle: fast path edge cases")
struct PointwiseKernelTests {
  static let threadCounts = [1, 2, 8]

  /// (height, width) pairs: a single pixel, a wide row, and one that is split over threads.
  static let shapes = [(1, 1), (1, 1031), (67, 251)]

  /// A channels-last tensor within ±`bound`: the bounds, 0, ±1 and random values.
  static func tensor(
    _ rng: inout SplitMix64, channels: Int, height: Int, width: Int, bound: Int16 = 32767
  ) -> ChannelsLastActivations {
    let stride = ChannelsLastLayout.channelStride(channels)
    var values = [Int16](repeating: 0, count: height * width * stride)
    for p in 0..<(height * width) {
      for c in 0..<channels {
        let picks: [Int16] = [-bound, bound, 0, -1, 1]
        let k = Int.random(in: 0..<8, using: &rng)
        values[p * stride + c] =
          k < picks.count ? picks[k] : Int16.random(in: -bound...bound, using: &rng)
      }
    }
    return ChannelsLastActivations(
      channels: channels, height: height, width: width, values: values, exponent: 0,
      lo: -Int32(bound), hi: Int32(bound))
  }

  static func input(_ name: String, channels: Int, bound: Int = 32767)
    -> GraphDescription.Input
  {
    GraphDescription.Input(name: name, channels: channels, exponent: 0, lo: -bound, hi: bound)
  }

  /// `values` mapped element by element, the padding channel of an odd count left 0.
  static func pointwise(
    _ t: ChannelsLastActivations, _ f: (Int) -> Int64
  ) -> [Int16] {
    var out = [Int16](repeating: 0, count: t.values.count)
    for p in 0..<(t.height * t.width) {
      for c in 0..<t.channels {
        let i = p * t.channelStride + c
        out[i] = Int16(f(i))
      }
    }
    return out
  }

  /// Runs `graph` on `inputs` on every thread count and expects `expected` (the first output).
  static func expectRuns(
    _ graph: IntegerGraph, _ inputs: [ChannelsLastActivations], _ expected: [Int16],
    _ label: String
  ) {
    for threads in threadCounts {
      let got = graph.run(inputs, threads: threads)[0].values
      #expect(got == expected, "\(label), \(threads) threads")
    }
  }

  /// Multiplier and shift pairs: the extremes of each, and shifts either side of 17 and 47.
  static let scales: [(Int64, Int64)] = [
    (1, 0), (Int64(Int32.max), 0), (Int64(Int32.max), 16), (Int64(Int32.max), 17), (65535, 17),
    (65536, 17), (1 << 30, 30), (1_518_500_250, 31), (Int64(Int32.max), 46),
    (Int64(Int32.max), 47), (1, 62), (Int64(Int32.max), 62),
  ]

  @Test(
    "add: extreme values, every scale pair, odd channels, in place and not",
    arguments: [1, 2, 3, 9])
  func add(channels: Int) throws {
    var rng = SplitMix64(seed: 0xADD0 + UInt64(channels))
    let ranges: [(Int64, Int64)] = [(-32767, 32767), (-100, 3), (5, 900), (-900, -5)]
    for (h, w) in Self.shapes {
      let x = Self.tensor(&rng, channels: channels, height: h, width: w)
      let y = Self.tensor(&rng, channels: channels, height: h, width: w)
      for (k, (m0, s0)) in Self.scales.enumerated() {
        let (m1, s1) = Self.scales[(k * 5 + channels) % Self.scales.count]
        let (lo, hi) = ranges[(k + h) % ranges.count]
        for inPlace in [false, true] {
          // In place: the add's first input is a clamp's output (no-op range) it reads last.
          var b = GraphBuilder()
          if inPlace { b.node("clamp", ["x"], "c", [("lo", -32767), ("hi", 32767)]) }
          b.node(
            "add", [inPlace ? "c" : "x", "y"], "s",
            [
              ("multiplier_0", m0), ("shift_0", s0), ("multiplier_1", m1), ("shift_1", s1),
              ("exponent", 0), ("lo", lo), ("hi", hi),
            ])
          let file = try b.file(
            inputs: [Self.input("x", channels: channels), Self.input("y", channels: channels)],
            outputs: ["s"])
          let graph = try IntegerGraph(file: file, name: "test")
          let expected = Self.pointwise(x) { i in
            let sum =
              IntegerMath.rshift(Int64(x.values[i]) * m0, Int(s0))
              + IntegerMath.rshift(Int64(y.values[i]) * m1, Int(s1))
            return min(max(sum, lo), hi)
          }
          Self.expectRuns(
            graph, [x, y], expected,
            "add C\(channels) \(h)×\(w) m\(m0)/\(m1) s\(s0)/\(s1) [\(lo), \(hi)] in place \(inPlace)"
          )
        }
      }
    }
  }

  @Test(
    "leaky_relu: slopes and shifts at their extremes, odd channels, in place and not",
    arguments: [1, 2, 5])
  func leakyReLU(channels: Int) throws {
    var rng = SplitMix64(seed: 0x1EA4 + UInt64(channels))
    // (slope, shift, input bound): the output of the bound's negative fits int16.
    let cases: [(Int64, Int64, Int16)] = [
      (0, 0, 32767), (1, 0, 32767), (32767, 15, 32767), (32767, 30, 32767), (1, 30, 32767),
      (328, 15, 32767), (3, 2, 32767), (32767, 0, 1), (300, 0, 100), (32767, 1, 2),
    ]
    for (h, w) in Self.shapes {
      for (a, s, bound) in cases {
        let x = Self.tensor(&rng, channels: channels, height: h, width: w, bound: bound)
        for inPlace in [false, true] {
          var b = GraphBuilder()
          if inPlace { b.node("clamp", ["x"], "c", [("lo", -32767), ("hi", 32767)]) }
          b.node("leaky_relu", [inPlace ? "c" : "x"], "l", [("slope", a), ("slope_shift", s)])
          let file = try b.file(
            inputs: [Self.input("x", channels: channels, bound: Int(bound))], outputs: ["l"])
          let graph = try IntegerGraph(file: file, name: "test")
          let expected = Self.pointwise(x) { i in
            let q = Int64(x.values[i])
            return q >= 0 ? q : IntegerMath.rshift(q * a, Int(s))
          }
          Self.expectRuns(
            graph, [x], expected,
            "leaky_relu C\(channels) \(h)×\(w) a\(a) s\(s) |x|≤\(bound) in place \(inPlace)")
        }
      }
    }
  }

  @Test("pixel_shuffle: factors 1 … 8, odd output channels, 1×1, wide and split tensors")
  func pixelShuffle() throws {
    var rng = SplitMix64(seed: 0x5A0F)
    let cases: [(factor: Int, channels: Int)] = [(1, 3), (2, 1), (2, 3), (2, 16), (3, 2), (8, 1)]
    for (r, c) in cases {
      for (h, w) in [(1, 1), (1, 301), (23, 31)] {
        let x = Self.tensor(&rng, channels: c * r * r, height: h, width: w)
        var b = GraphBuilder()
        b.node("pixel_shuffle", ["x"], "p", [("factor", Int64(r))])
        let file = try b.file(inputs: [Self.input("x", channels: c * r * r)], outputs: ["p"])
        let graph = try IntegerGraph(file: file, name: "test")
        let (oh, ow) = (h * r, w * r)
        let stride = ChannelsLastLayout.channelStride(c)
        var expected = [Int16](repeating: 0, count: oh * ow * stride)
        for oy in 0..<oh {
          for ox in 0..<ow {
            for ch in 0..<c {
              let source =
                (oy / r * w + ox / r) * x.channelStride + ch * r * r + oy % r * r + ox % r
              expected[(oy * ow + ox) * stride + ch] = x.values[source]
            }
          }
        }
        Self.expectRuns(graph, [x], expected, "pixel_shuffle r\(r) C\(c) \(h)×\(w)")
        let out = graph.run([x])[0]
        #expect(out.height == oh && out.width == ow && out.channels == c)
      }
    }
  }
}
