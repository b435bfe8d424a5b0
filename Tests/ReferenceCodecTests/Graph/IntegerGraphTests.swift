import Foundation
import ReferenceCodec
import Testing
import WeightFormat

/// Builds single-graph containers for the engine tests.
struct GraphBuilder {
  var writer = WeightFileWriter()
  var nodes: [GraphDescription.Node] = []

  mutating func int16(_ name: String, _ v: [Int16], _ shape: [Int]) throws {
    try writer.add(
      Tensor(name: name, dtype: .int16, shape: shape, data: v.withUnsafeBytes { Data($0) }))
  }

  mutating func int32(_ name: String, _ v: [Int32], _ shape: [Int]) throws {
    try writer.add(
      Tensor(name: name, dtype: .int32, shape: shape, data: v.withUnsafeBytes { Data($0) }))
  }

  mutating func node(
    _ op: String, _ inputs: [String], _ output: String, _ attributes: [(String, Int64)] = [],
    _ parameters: [String] = []
  ) {
    nodes.append(
      .init(
        op: op, inputs: inputs, output: output,
        attributes: attributes.map { (name: $0.0, value: $0.1) }, parameters: parameters))
  }

  func file(inputs: [GraphDescription.Input], outputs: [String]) throws -> WeightFile {
    var w = writer
    try w.setMetadata(
      GraphDescription.metadataKey("test"),
      GraphDescription(inputs: inputs, outputs: outputs, nodes: nodes).metadataValue)
    return try WeightFile(bytes: Data(w.serialized()))
  }
}

@Suite("Integer graph engine")
struct IntegerGraphTests {
  static let input = GraphDescription.Input(name: "x", channels: 4, exponent: 3, lo: -100, hi: 100)

  /// A random (4, 5, 6) input within ±100, channels last.
  static func randomInput(_ rng: inout SplitMix64) -> ChannelsLastActivations {
    let values = (0..<(5 * 6 * 4)).map { _ in Int16.random(in: -100...100, using: &rng) }
    return ChannelsLastActivations(
      channels: 4, height: 5, width: 6, values: values, exponent: 3, lo: -100, hi: 100)
  }

  /// The elementwise and layout operators give the values of their §6 formulas.
  @Test func elementwiseOperators() throws {
    var b = GraphBuilder()
    b.node("leaky_relu", ["x"], "l", [("slope", 328), ("slope_shift", 15)])
    b.node("abs", ["x"], "a")
    b.node("relu", ["x"], "r")
    b.node("clamp", ["x"], "c", [("lo", -7), ("hi", 9)])
    b.node(
      "add", ["x", "a"], "s",
      [
        ("multiplier_0", 3), ("shift_0", 1), ("multiplier_1", 5), ("shift_1", 2), ("exponent", 3),
        ("lo", -200), ("hi", 200),
      ])
    b.node(
      "concat", ["x", "r"], "k",
      [
        ("multiplier_0", 1 << 30), ("shift_0", 31), ("multiplier_1", 1 << 30), ("shift_1", 30),
        ("exponent", 2), ("lo", -60), ("hi", 60),
      ])
    b.node("pixel_shuffle", ["x"], "p", [("factor", 2)])
    try b.int16("aff.a", [1, -2, 3, 300], [4])
    try b.int32("aff.b", [0, 10, -10, 1000], [4])
    try b.int32("aff.m", [1 << 30, 1 << 30, 3 << 28, 5], [4])
    try b.int32("aff.s", [30, 31, 30, 0], [4])
    b.node(
      "affine", ["x"], "f", [("exponent", 3), ("lo", -32767), ("hi", 32767)],
      ["aff.a", "aff.b", "aff.m", "aff.s"])
    let file = try b.file(inputs: [Self.input], outputs: ["l", "a", "r", "c", "s", "k", "p", "f"])
    let graph = try IntegerGraph(file: file, name: "test")
    var rng = SplitMix64(seed: 11)
    let x = Self.randomInput(&rng)
    let out = graph.run([x])
    let xs = x.values
    func at(_ t: ChannelsLastActivations, _ p: Int, _ c: Int) -> Int64 {
      Int64(t.values[p * t.channelStride + c])
    }
    for p in 0..<30 {
      for c in 0..<4 {
        let v = Int64(xs[p * 4 + c])
        #expect(at(out[0], p, c) == (v >= 0 ? v : IntegerMath.rshift(v * 328, 15)))
        #expect(at(out[1], p, c) == abs(v))
        #expect(at(out[2], p, c) == max(v, 0))
        #expect(at(out[3], p, c) == min(max(v, -7), 9))
        let sum = IntegerMath.rshift(v * 3, 1) + IntegerMath.rshift(abs(v) * 5, 2)
        #expect(at(out[4], p, c) == min(max(sum, -200), 200))
        #expect(at(out[5], p, c) == min(max(IntegerMath.rshift(v * (1 << 30), 31), -60), 60))
        #expect(at(out[5], p, 4 + c) == min(max(max(v, 0), -60), 60))
        let a: [Int64] = [1, -2, 3, 300]
        let bb: [Int64] = [0, 10, -10, 1000]
        let m: [Int32] = [1 << 30, 1 << 30, 3 << 28, 5]
        let s = [30, 31, 30, 0]
        #expect(
          at(out[7], p, c)
            == Int64(IntegerMath.requant(v * a[c] + bb[c], m[c], s[c], -32767, 32767)))
      }
    }
    // pixel shuffle: out[c, 2y + i, 2x + j] = x[4c + 2i + j, y, x], one output channel.
    let ps = out[6]
    #expect(ps.channels == 1 && ps.height == 10 && ps.width == 12)
    for y in 0..<5 {
      for xx in 0..<6 {
        for i in 0..<2 {
          for j in 0..<2 {
            #expect(
              ps.values[((2 * y + i) * 12 + 2 * xx + j) * ps.channelStride]
                == xs[(y * 6 + xx) * 4 + 2 * i + j])
          }
        }
      }
    }
    // Static formats follow the operators.
    #expect(graph.outputs[0].lo == -1 && graph.outputs[0].hi == 100)
    #expect(graph.outputs[1].lo == 0 && graph.outputs[1].hi == 100)
    #expect(graph.outputs[6].channels == 1)
  }

  /// A convolution node equals the reference kernel, and runs identically on every path and
  /// thread count.
  @Test func convolutionNode() throws {
    var rng = SplitMix64(seed: 5)
    var b = GraphBuilder()
    let w = (0..<(3 * 4 * 9)).map { _ in Int16.random(in: -300...300, using: &rng) }
    try b.int16("c.w", w, [3, 4, 3, 3])
    try b.int32("c.b", [5, -7, 1000], [3])
    try b.int32("c.m", [1 << 30, 3 << 28, 1_500_000_000], [3])
    try b.int32("c.s", [36, 37, 38], [3])
    var bound: Int64 = 0
    for o in 0..<3 {
      let sum = (0..<36).reduce(Int64(0)) { $0 + abs(Int64(w[o * 36 + $1])) }
      bound = max(bound, abs(Int64([5, -7, 1000][o])) + sum * 100)
    }
    b.node(
      "conv2d", ["x"], "y",
      [
        ("kernel", 3), ("stride", 2), ("padding", 1), ("exponent", 1), ("lo", -50), ("hi", 60),
        ("accumulator_bound", bound),
      ], ["c.w", "c.b", "c.m", "c.s"])
    let graph = try IntegerGraph(
      file: try b.file(inputs: [Self.input], outputs: ["y"]), name: "test")
    let x = Self.randomInput(&rng)
    let layer = ConvolutionLayer(
      kind: .convolution, inputChannels: 4, outputChannels: 3, kernel: 3, stride: 2, padding: 1,
      weights: w, biases: [5, -7, 1000],
      requantization: Requantization(
        multipliers: [1 << 30, 3 << 28, 1_500_000_000], shifts: [36, 37, 38], lo: -50, hi: 60))
    let expected = layer.reference(x.activationTensor, outputExponent: 1)
    for path in KernelPath.available {
      for threads in [1, 2, 8] {
        let y = graph.run([x], threads: threads, path: path)[0]
        #expect(y.activationTensor == expected, "\(path), \(threads) threads")
      }
    }
  }

  /// Loading refuses broken graphs with the node and reason.
  @Test func malformedGraphsAreRefused() throws {
    func code(_ build: (inout GraphBuilder) throws -> Void, outputs: [String] = ["y"]) -> String {
      do {
        var b = GraphBuilder()
        try build(&b)
        _ = try IntegerGraph(file: try b.file(inputs: [Self.input], outputs: outputs), name: "test")
        return "ok"
      } catch let e as ModelError {
        return e.code
      } catch {
        return "other: \(error)"
      }
    }
    #expect(code { $0.node("softmax", ["x"], "y") } == "model.invalidNode")
    #expect(code { $0.node("relu", ["q"], "y") } == "model.invalidNode")
    #expect(code { $0.node("relu", ["x"], "x") } == "model.invalidNode")
    #expect(code { $0.node("relu", ["x"], "z") } == "model.missing")
    #expect(code { $0.node("pixel_shuffle", ["x"], "y", [("factor", 3)]) } == "model.invalidNode")
    #expect(code { $0.node("clamp", ["x"], "y", [("lo", 5), ("hi", 1)]) } == "model.invalidNode")
    func conv(_ b: inout GraphBuilder, weight: Int16, bound: Int64, tensor: String = "c.w") throws {
      try b.int16("c.w", Array(repeating: weight, count: 4), [1, 4, 1, 1])
      try b.int32("c.b", [0], [1])
      try b.int32("c.m", [1 << 30], [1])
      try b.int32("c.s", [30], [1])
      b.node(
        "conv2d", ["x"], "y",
        [
          ("kernel", 1), ("stride", 1), ("padding", 0), ("exponent", 0), ("lo", -9), ("hi", 9),
          ("accumulator_bound", bound),
        ], [tensor, "c.b", "c.m", "c.s"])
    }
    #expect(code { try conv(&$0, weight: 3, bound: 1200) } == "ok")
    #expect(code { try conv(&$0, weight: 3, bound: 1199) } == "model.invalidNode")
    #expect(code { try conv(&$0, weight: 3, bound: 1200, tensor: "nope") } == "model.invalidNode")
    // 4 · 32767 · 100 fits; a wider input bound would not: use a graph whose input allows 32767.
    do {
      var b = GraphBuilder()
      try b.int16("c.w", Array(repeating: 32767, count: 4 * 9), [1, 4, 3, 3])
      try b.int32("c.b", [0], [1])
      try b.int32("c.m", [1 << 30], [1])
      try b.int32("c.s", [30], [1])
      b.node(
        "conv2d", ["x"], "y",
        [
          ("kernel", 3), ("stride", 1), ("padding", 1), ("exponent", 0), ("lo", -9), ("hi", 9),
          ("accumulator_bound", 0),
        ], ["c.w", "c.b", "c.m", "c.s"])
      let wide = GraphDescription.Input(name: "x", channels: 4, exponent: 0, lo: -32767, hi: 32767)
      let file = try b.file(inputs: [wide], outputs: ["y"])
      #expect(
        throws: ModelError.accumulatorBoundExceeded(
          graph: "test", output: "y", bound: 36 * 32767 * 32767)
      ) {
        _ = try IntegerGraph(file: file, name: "test")
      }
    }
  }

  /// The stored form decodes to the same graph, and malformed items are named.
  @Test func descriptionRoundTrip() throws {
    let g = GraphDescription(
      inputs: [Self.input], outputs: ["y"],
      nodes: [
        .init(
          op: "conv2d", inputs: ["x"], output: "y", attributes: [("kernel", 3), ("stride", 1)],
          parameters: ["a", "b"])
      ])
    #expect(try GraphDescription(g.metadataValue, name: "g") == g)
    let bad: [MetadataValue] = [
      .string("x"),
      .list([.list([.string("node")])]),
      .list([
        .list([.string("input"), .string("x"), .integer(0), .integer(0), .integer(0), .integer(0)])
      ]),
      .list([.list([.string("wat")])]),
    ]
    for value in bad {
      #expect(throws: GraphFormatError.self) { _ = try GraphDescription(value, name: "g") }
    }
  }
}
