import Foundation
import ReferenceCodec
import Testing
import WeightFormat

/// Sizes of crafted graphs (issue #17): a chain of upsamplings must not overflow while a
/// model's sizes are computed, and a codec refuses what it cannot run.
@Suite("Graph sizes of crafted graphs")
struct GraphSizeTests {
  /// 25 transposed 1×1 convolutions of stride 8 (one shared weight): each side grows ×8 per
  /// node, 8^25 = 2^75 in all, past Int.max; the sizes saturate at 2^31 instead of trapping.
  @Test func upsamplingChainSaturates() throws {
    var b = GraphBuilder()
    try b.int16("w", [0], [1, 1, 1, 1])
    try b.int32("b", [0], [1])
    try b.int32("m", [1 << 30], [1])
    try b.int32("s", [30], [1])
    var previous = "x"
    for n in 0..<25 {
      b.node(
        "conv_transpose2d", [previous], "u\(n)",
        [
          ("kernel", 1), ("stride", 8), ("padding", 0), ("output_padding", 7), ("exponent", 0),
          ("lo", -9), ("hi", 9), ("accumulator_bound", 0),
        ], ["w", "b", "m", "s"])
      previous = "u\(n)"
    }
    let input = GraphDescription.Input(name: "x", channels: 1, exponent: 0, lo: -9, hi: 9)
    let graph = try IntegerGraph(
      file: try b.file(inputs: [input], outputs: [previous]), name: "test")
    let sizes = graph.sizes(height: 2, width: 3)
    #expect(sizes[1].height == 16 && sizes[1].width == 24)
    #expect(sizes.last?.height == 1 << 31 && sizes.last?.width == 1 << 31)
    #expect(sizes.allSatisfy { $0.height >= 0 && $0.height <= 1 << 31 })
  }
}
