import Foundation
import Testing
import WeightFormat

@testable import Converters

/// The converter's `lookup` (sigmoid table) and `mul` nodes (spec/integer-ops.md §6.1.1, §6.2)
/// against float, within the error bounds the spec states.
///
/// The integer results are computed here from the stored nodes with the spec's formulas (this
/// target does not link the decoder; the decoder's own kernels are checked against the same
/// formulas in ReferenceCodecTests).
@Suite("Converter: sigmoid table and mul")
struct LookupMulQuantizationTests {
  static func sigma(_ t: Double) -> Double { 1 / (1 + exp(-t)) }

  static func rshift(_ a: Int64, _ s: Int) -> Int64 { s == 0 ? a : (a + (1 << (s - 1))) >> s }

  /// §6.1: T[clamp(rshift(x, k), first, first + L − 1) − first].
  static func lookup(_ x: Int, table: [Int16], shift: Int, first: Int) -> Int {
    let i = min(max(Int(rshift(Int64(x), shift)), first), first + table.count - 1)
    return Int(table[i - first])
  }

  /// §6.1.1's bound, exhaustively: every input of every exponent the converter's calibration
  /// may choose (−16 … 24), both sign conventions of the clamp range.
  @Test func sigmoidTableErrorBound() {
    var worst = 0.0
    var worstBelowTop = 0.0
    var longest = 0
    for e in -16...24 {
      for nonNegative in [false, true] {
        let f = GraphQuantizer.Format.power(e, nonNegative: nonNegative)
        let (first, table) = GraphQuantizer.sigmoidTable(input: f)
        longest = max(longest, table.count)
        #expect(zip(table, table.dropFirst()).allSatisfy { $0 <= $1 }, "e \(e): non-decreasing")
        #expect(table.allSatisfy { (0...32767).contains($0) })
        for x in f.lo...f.hi {
          let q = Self.lookup(x, table: table, shift: 0, first: first)
          let err = Swift.abs(Double(q) / 32768 - Self.sigma(Double(x) * f.scale))
          worst = max(worst, err)
          if q < 32767 { worstBelowTop = max(worstBelowTop, err) }
        }
      }
    }
    #expect(worst <= pow(2, -15), "largest error \(worst)")
    #expect(worstBelowTop <= pow(2, -16), "largest error below the top entry \(worstBelowTop)")
    #expect(longest <= 8191)
    // The figures spec/integer-ops.md §6.1.1 states.
    #expect(worst == 3.0517578125e-05)
    #expect(Swift.abs(worstBelowTop - 1.5258789058e-05) < 1e-14)
  }

  /// The calibration kernels: `torch.sigmoid` to float32 rounding, saturating without NaN, and
  /// the element-wise product.
  @Test func floatKernels() {
    let x = FloatTensor(
      channels: 1, height: 1, width: 6, values: [-1000, -100, -1, 0, 2.5, 1000])
    let s = FloatKernels.sigmoid(x).values
    #expect(s[0] == 0 && s[3] == 0.5 && s[5] == 1)
    #expect(s[1] > 0 && s[1] < 1e-43)
    #expect(s[2] == Float(Self.sigma(-1)) && s[4] == Float(Self.sigma(2.5)))
    let y = FloatTensor(channels: 1, height: 1, width: 6, values: [1, 2, 3, 4, 5, -6])
    #expect(FloatKernels.multiply(x, y).values == [-1000, -200, -3, 0, 12.5, -6000])
  }

  /// A constant table (every input saturates) is one entry at the input's top.
  @Test func constantTableIsOneEntry() {
    let (first, table) = GraphQuantizer.sigmoidTable(
      input: GraphQuantizer.Format(exponent: -30, scale: pow(2, 30), lo: 1, hi: 4095))
    #expect(table == [32767] && first == 4095)
  }

  /// x → sigmoid → s, mul(x, s) → p, add(p, x) → y (CompressAI's attention gate with a = b = x):
  /// quantized with calibrated formats, every node's integer output within the stated bound of
  /// the float operator applied to the node's integer inputs.
  @Test func attentionGateWithinBound() throws {
    let net = FloatNetwork(
      name: "gate", input: "x", inputChannels: 3,
      layers: [
        .init(kind: .sigmoid, input: "x", output: "s", prefix: "s"),
        .init(kind: .mul(other: "s"), input: "x", output: "p", prefix: "p"),
        .init(kind: .add(other: "x"), input: "p", output: "y", prefix: "y"),
      ], outputs: ["y"])
    var rng = SplitMix64(seed: 15)
    let inFormat = GraphQuantizer.Format.power(8)
    let xq = (0..<(3 * 5 * 7)).map { _ in Int.random(in: -4095...4095, using: &rng) }
    let x = FloatTensor(
      channels: 3, height: 5, width: 7, values: xq.map { Float(Double($0) * inFormat.scale) })
    let values = net.run(x, threads: 1)
    #expect(Swift.abs(values["s"]!.values[0] - Float(Self.sigma(Double(x.values[0])))) < 1e-6)
    let ranges = values.mapValues { Double($0.maxAbs()) }
    var quantizer = GraphQuantizer()
    let (graph, formats) = try quantizer.graph(net, input: inFormat, fixed: [:], ranges: ranges)
    #expect(graph.nodes.map(\.op) == ["lookup", "mul", "add"])
    let lookupNode = graph.nodes[0]
    let mulNode = graph.nodes[1]
    let tableTensor = try #require(quantizer.tensors.first { $0.name == "s.table" })
    let table = tableTensor.data.withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
    #expect(tableTensor.shape == [table.count] && tableTensor.dtype == .int16)
    let first = Int(try #require(lookupNode.attribute("first")))
    #expect(lookupNode.attribute("shift") == 0 && lookupNode.attribute("exponent") == 15)
    #expect(lookupNode.attribute("lo") == 0 && lookupNode.attribute("hi") == 32767)
    #expect(lookupNode.parameters == ["s.table"] && formats["s"]?.exponent == 15)
    let m = try #require(mulNode.attribute("multiplier"))
    let s = Int(try #require(mulNode.attribute("shift")))
    let pFormat = try #require(formats["p"])
    #expect(
      mulNode.inputs == ["x", "s"] && mulNode.attribute("exponent") == Int64(pFormat.exponent))
    // Exponents are powers of two: the rescale is m = 2^30 exactly.
    #expect(m == 1 << 30 && s == 30 + 8 + 15 - pFormat.exponent)
    for xi in xq {
      let real = Double(xi) * inFormat.scale
      let sq = Self.lookup(xi, table: table, shift: 0, first: first)
      #expect(Swift.abs(Double(sq) / 32768 - Self.sigma(real)) <= pow(2, -15))
      let pq = min(
        max(Self.rshift(Int64(xi) * Int64(sq) * m, s), Int64(pFormat.lo)), Int64(pFormat.hi))
      let bound = Swift.abs(real) * pow(2, -15) + pFormat.scale / 2
      #expect(Swift.abs(Double(pq) * pFormat.scale - real * Self.sigma(real)) <= bound, "x \(xi)")
    }
  }
}
