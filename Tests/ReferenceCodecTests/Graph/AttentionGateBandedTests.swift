import Foundation
import Testing
import WeightFormat

@testable import ReferenceCodec

/// An attention gate as the converter stores it (spec/integer-ops.md §6.1, §6.2):
/// `y = x · lookup(conv3×3(x)) + x`, run whole and in bands of 1 … 5 rows: `lookup` and `mul`
/// are pointwise, so the banded run equals the whole one bit for bit on every path.
@Suite("Attention gate: lookup and mul in banded runs")
struct AttentionGateBandedTests {
  static func graph() throws -> IntegerGraph {
    var b = GraphBuilder()
    var rng = SplitMix64(seed: 0x6761_7465)
    let weights = (0..<(4 * 4 * 9)).map { _ in Int16.random(in: -3...3, using: &rng) }
    var bound: Int64 = 0
    for o in 0..<4 {
      let sum = weights[(o * 36)..<(o * 36 + 36)].map { Int64(abs(Int32($0))) }.reduce(0, +)
      bound = max(bound, sum * 4095)
    }
    try b.int16("b.w", weights, [4, 4, 3, 3])
    try b.int32("b.b", [0, 0, 0, 0], [4])
    try b.int32("b.m", [Int32](repeating: 1 << 30, count: 4), [4])
    try b.int32("b.s", [Int32](repeating: 32, count: 4), [4])
    b.node(
      "conv2d", ["x"], "b",
      [
        ("kernel", 3), ("stride", 1), ("padding", 1), ("exponent", 6), ("lo", -4095),
        ("hi", 4095), ("accumulator_bound", bound),
      ], ["b.w", "b.b", "b.m", "b.s"])
    // A non-decreasing table over index values −512 … 511 (k = 3), saturating beyond.
    try b.int16("s.table", (0..<1024).map { Int16($0 * 32) }, [1024])
    b.node(
      "lookup", ["b"], "s",
      [("shift", 3), ("first", -512), ("exponent", 15), ("lo", 0), ("hi", 32767)], ["s.table"])
    b.node(
      "mul", ["x", "s"], "p",
      [("multiplier", 1 << 30), ("shift", 45), ("exponent", 8), ("lo", -4095), ("hi", 4095)])
    b.node(
      "add", ["p", "x"], "y",
      [
        ("multiplier_0", 1 << 30), ("shift_0", 30), ("multiplier_1", 1 << 30), ("shift_1", 30),
        ("exponent", 8), ("lo", -8190), ("hi", 8190),
      ])
    let input = GraphDescription.Input(name: "x", channels: 4, exponent: 8, lo: -4095, hi: 4095)
    return try IntegerGraph(file: try b.file(inputs: [input], outputs: ["y"]), name: "test")
  }

  @Test func bandedEqualsWhole() throws {
    let graph = try Self.graph()
    for (h, w) in [(9, 7), (1, 3), (5, 1)] {
      let inputs = BandedRunTests.inputs(graph, height: h, width: w, seed: UInt64(h * 10 + w))
      let whole = graph.run(inputs, path: .portable)
      for path in KernelPath.available {
        #expect(graph.run(inputs, threads: 3, path: path) == whole, "\(path)")
      }
      for band in 1...5 {
        let banded = try BandedRunTests.banded(graph, inputs, band: band)
        #expect(banded == whole, "\(h)×\(w) bands of \(band)")
      }
    }
  }
}
